-- The kinds of task: the C table the scheduler applies (migrate.task_kinds())
-- and the CHECK of migrate.task.kind name the same kinds, and what each
-- waits for makes an order (the schema first, nothing waiting for itself,
-- no cycle).
BEGIN;
SELECT plan(5);

SELECT set_eq(
    $$SELECT (regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''::text', 'g'))[1]
      FROM pg_constraint c
      WHERE c.conrelid = 'migrate.task'::regclass AND c.contype = 'c'
        AND pg_get_constraintdef(c.oid) LIKE '%kind%'$$,
    $$SELECT kind FROM migrate.task_kinds()$$,
    'the CHECK of migrate.task.kind lists exactly the kinds of the scheduler''s table');

SELECT is_empty(
    $$SELECT k.kind, w FROM migrate.task_kinds() k,
             unnest(k.waits_in_database || k.waits_on_table) w
      WHERE w NOT IN (SELECT kind FROM migrate.task_kinds())$$,
    'a kind waits only for kinds that exist');

SELECT is((SELECT waits_in_database || waits_on_table FROM migrate.task_kinds() WHERE kind = 'schema'),
          '{}'::text[], 'the schema waits for nothing');

SELECT is_empty(
    $$SELECT kind FROM migrate.task_kinds() WHERE kind <> 'schema' AND NOT 'schema' = ANY (waits_in_database)$$,
    'every other kind waits for the schema of its database');

-- no kind reaches itself through what it waits for
SELECT is_empty(
    $$WITH RECURSIVE reach(kind, w, depth) AS (
          SELECT k.kind, x, 1 FROM migrate.task_kinds() k, unnest(k.waits_in_database || k.waits_on_table) x
          UNION ALL
          SELECT r.kind, x, r.depth + 1 FROM reach r JOIN migrate.task_kinds() k ON k.kind = r.w,
                 unnest(k.waits_in_database || k.waits_on_table) x
          WHERE r.depth < 20)
      SELECT DISTINCT kind FROM reach WHERE kind = w$$,
    'what the kinds wait for has no cycle');

SELECT * FROM finish();
ROLLBACK;
