-- The steps of a database: the C table the coordinator runs
-- (migrate.database_steps()) and the CHECK of migrate.database_state.status
-- name the same steps, in an order that starts at pending and ends at done
-- and failed.
BEGIN;
SELECT plan(5);

SELECT set_eq(
    $$SELECT (regexp_matches(pg_get_constraintdef(c.oid), '''([a-z_]+)''::text', 'g'))[1]
      FROM pg_constraint c
      WHERE c.conrelid = 'migrate.database_state'::regclass AND c.contype = 'c'
        AND pg_get_constraintdef(c.oid) LIKE '%status%'$$,
    $$SELECT status FROM migrate.database_steps()$$,
    'the CHECK of migrate.database_state.status lists exactly the steps of the coordinator''s table');

SELECT is((SELECT status FROM migrate.database_steps() ORDER BY step LIMIT 1), 'pending',
          'a database starts pending (the column''s default)');

SELECT is((SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
           JOIN pg_attribute a ON a.attrelid = d.adrelid AND a.attnum = d.adnum
           WHERE d.adrelid = 'migrate.database_state'::regclass AND a.attname = 'status'),
          '''pending''::text', 'the default status is the first step');

SELECT set_eq($$SELECT status FROM migrate.database_steps() WHERE final$$,
              ARRAY['done', 'failed'], 'done and failed are the only ends');

SELECT is_empty($$SELECT status FROM migrate.database_steps()
                  WHERE final AND step < (SELECT max(step) FROM migrate.database_steps() WHERE NOT final)$$,
                'the ends come after every step that runs');

SELECT * FROM finish();
ROLLBACK;
