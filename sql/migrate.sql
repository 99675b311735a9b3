/*
 * migrate — install script.  Edit this file; the build copies it to
 * migrate--<version>.sql.  Released upgrade scripts (migrate--a--b.sql) are
 * never edited.
 */
\echo Use "CREATE EXTENSION migrate" to load this file. \quit

-- The extension's own schema, created here so that nobody can pre-seed it.
CREATE SCHEMA migrate;

-- Only in the database that migrate.database names, where the background
-- workers look for the extension: refused anywhere else, before anything
-- else is created (the check loads the library, which defines the setting).
CREATE FUNCTION migrate.check_install_database() RETURNS void
LANGUAGE c AS 'MODULE_PATHNAME', 'migrate_check_install_database';
SELECT migrate.check_install_database();
DROP FUNCTION migrate.check_install_database();
COMMENT ON SCHEMA migrate IS 'migrate: pull a whole PostgreSQL server into this one';

-- The functions of the API are not STRICT: a null argument is an error with
-- a hint (raised in C), never a silent null result.

-- What will and will not work when migrating SOURCE with OPTIONS; changes nothing.
CREATE FUNCTION migrate.validate(source text, options jsonb DEFAULT '{}')
RETURNS TABLE(check_name text, status text, detail text, hint text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_validate';
COMMENT ON FUNCTION migrate.validate(text, jsonb) IS
  'checks a source server and options before a migration: one row a check, status ok, warning or error';

-- SOURCE with its password masked, as it may be shown in views and events.
CREATE FUNCTION migrate.mask_source(source text)
RETURNS text
LANGUAGE c IMMUTABLE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_mask_source';
COMMENT ON FUNCTION migrate.mask_source(text) IS
  'the connection string with its password masked';

-- Roles copied by copy_roles or by a migration's roles step.  Rows are
-- written by the extension (as its owner); each role sees the rows of the
-- runs it started.  rolpassword holds a placeholder password, shown once.
CREATE TABLE migrate.roles (
    migration_id bigint,
    rolname name NOT NULL,
    rolpassword text,
    status text NOT NULL CHECK (status IN ('created', 'exists', 'skipped', 'failed')),
    message text,
    owner regrole NOT NULL,
    at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE migrate.roles IS 'the roles copied from sources, one row a role a run';
CREATE INDEX ON migrate.roles (migration_id);
ALTER TABLE migrate.roles ENABLE ROW LEVEL SECURITY;
CREATE POLICY roles_of_owner ON migrate.roles FOR SELECT
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'));

-- Copies the roles of SOURCE into this server, as far as the caller may.
CREATE FUNCTION migrate.copy_roles(source text, options jsonb DEFAULT '{}')
RETURNS TABLE(rolname name, rolpassword text, status text, message text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_copy_roles_sql';
COMMENT ON FUNCTION migrate.copy_roles(text, jsonb) IS
  'copies every role of a source: attributes, passwords, memberships, settings, comments; one row a role';

-- ---------------------------------------------------------------------------
-- The engine's state.  Written by the extension (as its owner) only; each
-- role sees the rows of the migrations it started (row level security).
-- ---------------------------------------------------------------------------

-- One row a migration.  The source string, with its password, is kept apart
-- in migrate_private.source (below); here is source_masked.
CREATE TABLE migrate.migration (
    id bigserial PRIMARY KEY,
    owner regrole NOT NULL,
    source_masked text NOT NULL,
    source_key text NOT NULL,
    options jsonb NOT NULL,
    method text NOT NULL CHECK (method IN ('auto', 'replication', 'dump')),
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'running', 'stopping', 'stopped', 'failed',
                         'cancelling', 'cancelled', 'done')),
    phase text NOT NULL DEFAULT 'pending',
    workers int NOT NULL,
    error text,
    snapshot_moves int NOT NULL DEFAULT 0,
    -- why the databases are copied with dump when method auto could not
    -- replicate (validate's reasons); NULL when replication is possible
    dump_reason text,
    cutover_started_at timestamptz,
    cutover_seconds float8,
    -- fence_writes: the longest a migrated database took no writes on the source
    write_pause_seconds float8,
    started_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at timestamptz,
    updated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE migrate.migration IS 'one row a migration started with migrate.start';

-- The source strings, passwords and all: in a schema of their own that
-- nobody but the extension's owner may use, whatever is granted on schema
-- migrate.
CREATE SCHEMA migrate_private;
REVOKE ALL ON SCHEMA migrate_private FROM PUBLIC;
CREATE TABLE migrate_private.source (
    migration_id bigint PRIMARY KEY REFERENCES migrate.migration ON DELETE CASCADE,
    source text NOT NULL
);
REVOKE ALL ON migrate_private.source FROM PUBLIC;

-- One row a database of a migration.
CREATE TABLE migrate.database_state (
    migration_id bigint NOT NULL REFERENCES migrate.migration ON DELETE CASCADE,
    dbname name NOT NULL,
    method text NOT NULL,
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'creating', 'schema', 'copying', 'indexing',
                          'replicating', 'cutover', 'verifying', 'finishing', 'done', 'failed')),
    created_here boolean NOT NULL DEFAULT false,
    size_bytes bigint NOT NULL DEFAULT 0,
    message text,
    -- the replication method's objects (migrate.replication_names), and
    -- where the slot's stream starts (its consistent point)
    publication name,
    subscription name,
    subscription_oid oid,       -- the one this migration made (cleanup drops only it as its maker)
    slot name,
    slot_lsn pg_lsn,
    -- the tables given REPLICA IDENTITY FULL on the source (no key), to
    -- restore at cutover: qualified, quoted names
    identity_full text[] NOT NULL DEFAULT '{}',
    -- the lag as the coordinator last measured it
    lag_bytes bigint,
    confirmed_lsn pg_lsn,
    source_lsn pg_lsn,
    lag_at timestamptz,
    in_sync boolean NOT NULL DEFAULT false,
    -- the WAL the slot keeps on the source (from its restart_lsn)
    slot_retained_bytes bigint,
    -- the position of the latest snapshot tables were copied at, after the
    -- slot's own was lost (NULL: none); in sync once the target is past it
    resync_lsn pg_lsn,
    -- cutover: the source position the target must reach first
    cutover_lsn pg_lsn,
    -- fence_writes: since when the database is read-only on the source
    fenced_at timestamptz,
    -- the subscription stopped on an apply error: what to do (NULL: it applies)
    apply_error text,
    -- the source's tables and their columns when the slot was made (and
    -- the tables made since that were joined to the stream, or could not
    -- be), one "schema.table(column type, ...)" each, and what changed since
    source_schema text[],
    schema_changes text,
    PRIMARY KEY (migration_id, dbname)
);

-- The units of work.  kind: schema (pre-data script), copy (a table or a
-- block range of one), index (post-data: indexes and keys), constraint
-- (post-data: foreign keys), post (the rest of post-data, in order),
-- sequences, large_objects (their data; pre-data creates them), analyze
-- (a table), analyze_partitioned (a partitioned table, across its
-- partitions), analyze_small (small tables, their names one a line, once
-- the database's tables are in), subscribe (the replication method: the
-- subscription, once the data and keys are in), join (replication: tables
-- made on the source while replicating, created here and synchronized
-- by the subscription's own table sync), cutover (sequences and
-- materialized views brought up to date, the subscription dropped), verify
-- (migrate.verify: a table, or a database's schema or large objects,
-- compared; statement: the level, then what a database's task checks and
-- the relations left out).  What each waits for: migrate.task_kinds(), from the C table
-- the scheduler uses (src/tasks.c); this CHECK lists the same names.
CREATE TABLE migrate.task (
    id bigserial PRIMARY KEY,
    migration_id bigint NOT NULL REFERENCES migrate.migration ON DELETE CASCADE,
    dbname name NOT NULL,
    kind text NOT NULL CHECK (kind IN ('schema', 'copy', 'index', 'constraint', 'post',
                                       'sequences', 'large_objects', 'analyze',
                                       'analyze_partitioned', 'analyze_small',
                                       'subscribe', 'join', 'cutover', 'verify', 'repair')),
    schema_name name,
    table_name name,
    part int NOT NULL DEFAULT 0,
    parts int NOT NULL DEFAULT 1,
    block_from bigint,
    block_to bigint,
    statement text,
    size_bytes bigint NOT NULL DEFAULT 0,
    unlogged boolean NOT NULL DEFAULT false,
    -- a copy at a snapshot other than the slot's: its position (the
    -- subscription applies to the table what came after it)
    snapshot_lsn pg_lsn,
    -- verify: the run (migrate.verify_run) the task is of
    verify_run int,
    state text NOT NULL DEFAULT 'pending'
        CHECK (state IN ('pending', 'running', 'done', 'failed')),
    attempts int NOT NULL DEFAULT 0,
    retry_at timestamptz,
    rows_copied bigint NOT NULL DEFAULT 0,
    bytes_copied bigint NOT NULL DEFAULT 0,
    error text,
    started_at timestamptz,
    finished_at timestamptz
);
CREATE INDEX ON migrate.task (migration_id, dbname, state);
-- the scheduler looks up the other parts and the indexes of a table
CREATE INDEX ON migrate.task (migration_id, dbname, schema_name, table_name);

-- The audit trail.
CREATE TABLE migrate.event (
    migration_id bigint NOT NULL REFERENCES migrate.migration ON DELETE CASCADE,
    at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    kind text NOT NULL,
    detail jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX ON migrate.event (migration_id, at);
-- (migrate.status counts a migration's warnings, migrate.warnings lists them)
CREATE INDEX ON migrate.event (migration_id, at) WHERE kind OPERATOR(pg_catalog.=) 'warning';

-- The runs of migrate.verify: run 1 is the option verify of start (each
-- database as its data is in), 2 and on the calls of migrate.verify and of
-- migrate.repair (level repair).
CREATE TABLE migrate.verify_run (
    migration_id bigint NOT NULL REFERENCES migrate.migration ON DELETE CASCADE,
    run int NOT NULL,
    level text NOT NULL CHECK (level IN ('schema', 'counts', 'checksums', 'rows', 'repair')),
    state text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    token bigint,               -- names the run its caller waits for
    differences bigint,         -- results that are not ok, once it is over
    error text,
    started_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
    finished_at timestamptz,
    PRIMARY KEY (migration_id, run)
);

-- What a run found: a row a check (status ok) or a difference (differs,
-- missing: on the source only, extra: on the target only), an object on the
-- target only that is the target's own (own: the database was merged into), an
-- object on the source only that the migration left out and warned about
-- (left_out: only a superuser may make it on the target), what the
-- migration did not keep and warned about (not_kept: an owner it could not
-- give, a publication's schema, a tablespace the target lacks), a check that
-- could not run (error, detail says why), a database not verified
-- (skipped); of a repair run, a table whose ranges that differed were
-- copied again (repaired), equal already (ok) or not repaired (skipped).  source_at: where the source was read (snapshot: the copy's
-- own; now: as it was when checked).
CREATE TABLE migrate.verify_result (
    migration_id bigint NOT NULL,
    run int NOT NULL,
    dbname name NOT NULL,
    relation text,
    check_name text NOT NULL,
    status text NOT NULL CHECK (status IN ('ok', 'differs', 'missing', 'extra', 'own', 'left_out', 'not_kept', 'error', 'skipped', 'repaired')),
    source_value text,
    target_value text,
    detail text,
    source_at text,
    FOREIGN KEY (migration_id, run) REFERENCES migrate.verify_run ON DELETE CASCADE
);
CREATE INDEX ON migrate.verify_result (migration_id, run);

ALTER TABLE migrate.migration ENABLE ROW LEVEL SECURITY;
ALTER TABLE migrate.database_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE migrate.task ENABLE ROW LEVEL SECURITY;
ALTER TABLE migrate.event ENABLE ROW LEVEL SECURITY;
ALTER TABLE migrate.verify_run ENABLE ROW LEVEL SECURITY;
ALTER TABLE migrate.verify_result ENABLE ROW LEVEL SECURITY;
CREATE POLICY migration_of_owner ON migrate.migration FOR SELECT
    USING (pg_catalog.pg_has_role(owner, 'MEMBER'));
CREATE POLICY database_of_owner ON migrate.database_state FOR SELECT
    USING (EXISTS (SELECT 1 FROM migrate.migration m
                   WHERE m.id OPERATOR(pg_catalog.=) migration_id
                     AND pg_catalog.pg_has_role(m.owner, 'MEMBER')));
CREATE POLICY task_of_owner ON migrate.task FOR SELECT
    USING (EXISTS (SELECT 1 FROM migrate.migration m
                   WHERE m.id OPERATOR(pg_catalog.=) migration_id
                     AND pg_catalog.pg_has_role(m.owner, 'MEMBER')));
CREATE POLICY event_of_owner ON migrate.event FOR SELECT
    USING (EXISTS (SELECT 1 FROM migrate.migration m
                   WHERE m.id OPERATOR(pg_catalog.=) migration_id
                     AND pg_catalog.pg_has_role(m.owner, 'MEMBER')));
CREATE POLICY verify_run_of_owner ON migrate.verify_run FOR SELECT
    USING (EXISTS (SELECT 1 FROM migrate.migration m
                   WHERE m.id OPERATOR(pg_catalog.=) migration_id
                     AND pg_catalog.pg_has_role(m.owner, 'MEMBER')));
CREATE POLICY verify_result_of_owner ON migrate.verify_result FOR SELECT
    USING (EXISTS (SELECT 1 FROM migrate.migration m
                   WHERE m.id OPERATOR(pg_catalog.=) migration_id
                     AND pg_catalog.pg_has_role(m.owner, 'MEMBER')));

-- The tasks running now, with their rows and bytes so far, from shared
-- memory (with the library preloaded; no rows without): of the migrations
-- the caller may see.  The views below add them to what migrate.task holds.
CREATE FUNCTION migrate.live_progress()
RETURNS TABLE(migration_id bigint, task_id bigint, rows_copied bigint, bytes_copied bigint)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_live_progress_sql';
COMMENT ON FUNCTION migrate.live_progress() IS
  'the running tasks'' rows and bytes so far, live (with the library preloaded)';

-- The views of the contract.  security_invoker: the caller's row level
-- security applies.
CREATE VIEW migrate.status WITH (security_invoker = true) AS
SELECT m.id, m.source_masked AS source, m.method, m.state, m.phase,
       d.databases_total, d.databases_done,
       t.tables_total, t.tables_done, t.rows_copied, t.bytes_copied,
       t.bytes_total,
       CASE WHEN m.state OPERATOR(pg_catalog.=) 'done' THEN 100.0
            WHEN t.bytes_total > 0
            THEN pg_catalog.round(100.0 * t.bytes_done / t.bytes_total, 1)
            ELSE 0.0 END AS percent,
       CASE WHEN t.copy_seconds > 0 THEN (t.bytes_copied / t.copy_seconds)::bigint END AS bytes_per_second,
       CASE WHEN m.state OPERATOR(pg_catalog.=) 'running' AND t.copy_seconds > 0
                 AND t.bytes_done > 0 AND t.bytes_total > t.bytes_done
            THEN pg_catalog.make_interval(secs => pg_catalog.round(
                     ((t.bytes_total - t.bytes_done) / (t.bytes_done / t.copy_seconds))::numeric, 0)::float8)
       END AS eta,
       (SELECT pg_catalog.max(ds.lag_bytes) FROM migrate.database_state ds
        WHERE ds.migration_id OPERATOR(pg_catalog.=) m.id
          AND ds.status OPERATOR(pg_catalog.=) ANY (ARRAY['replicating', 'cutover'])) AS lag_bytes,
       m.started_at, m.finished_at,
       COALESCE(m.error, (SELECT pg_catalog.string_agg(ds.dbname || ': ' || ds.apply_error, '; ' ORDER BY ds.dbname)
                          FROM migrate.database_state ds
                          WHERE ds.migration_id OPERATOR(pg_catalog.=) m.id AND ds.apply_error IS NOT NULL)) AS error,
       (SELECT pg_catalog.count(*) FROM migrate.event e
        WHERE e.migration_id OPERATOR(pg_catalog.=) m.id AND e.kind OPERATOR(pg_catalog.=) 'warning') AS warnings
FROM migrate.migration m
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*) AS databases_total,
           pg_catalog.count(*) FILTER (WHERE ds.status OPERATOR(pg_catalog.=) 'done') AS databases_done
    FROM migrate.database_state ds WHERE ds.migration_id OPERATOR(pg_catalog.=) m.id) d ON true
LEFT JOIN LATERAL (
    SELECT pg_catalog.count(*) AS tables_total,
           pg_catalog.count(*) FILTER (WHERE x.done) AS tables_done,
           COALESCE(pg_catalog.sum(x.rows_copied), 0)::bigint AS rows_copied,
           COALESCE(pg_catalog.sum(x.bytes_copied), 0)::bigint AS bytes_copied,
           COALESCE(pg_catalog.sum(x.size_bytes), 0)::bigint AS bytes_total,
           COALESCE(pg_catalog.sum(x.bytes_done), 0)::bigint AS bytes_done,
           -- clock time: a caller's transaction (migrate.wait) lasts
           EXTRACT(epoch FROM COALESCE(m.finished_at, pg_catalog.clock_timestamp()) OPERATOR(pg_catalog.-)
                   pg_catalog.min(x.started_at))::float8 AS copy_seconds
    FROM (SELECT pg_catalog.bool_and(tk.state OPERATOR(pg_catalog.=) 'done') AS done,
                 pg_catalog.sum(tk.rows_now) AS rows_copied,
                 pg_catalog.sum(tk.bytes_now) AS bytes_copied,
                 pg_catalog.sum(tk.size_bytes) AS size_bytes,
                 -- a task counts its size when done, what it read (at most its size) before
                 pg_catalog.sum(CASE WHEN tk.state OPERATOR(pg_catalog.=) 'done' THEN tk.size_bytes
                                     WHEN tk.bytes_now OPERATOR(pg_catalog.<) tk.size_bytes THEN tk.bytes_now
                                     ELSE tk.size_bytes END) AS bytes_done,
                 pg_catalog.min(tk.started_at) AS started_at
          FROM (SELECT t.*,
                      -- a running task's figures live from shared memory, when there
                      CASE WHEN t.state OPERATOR(pg_catalog.=) 'running'
                           THEN GREATEST(t.rows_copied, l.rows_copied)
                           ELSE t.rows_copied END AS rows_now,
                      CASE WHEN t.state OPERATOR(pg_catalog.=) 'running'
                           THEN GREATEST(t.bytes_copied, l.bytes_copied)
                           ELSE t.bytes_copied END AS bytes_now
               FROM migrate.task t
               LEFT JOIN migrate.live_progress() l ON l.task_id OPERATOR(pg_catalog.=) t.id) tk
          WHERE tk.migration_id OPERATOR(pg_catalog.=) m.id AND tk.kind OPERATOR(pg_catalog.=) 'copy'
          GROUP BY tk.dbname, tk.schema_name, tk.table_name) x) t ON true;
COMMENT ON VIEW migrate.status IS 'one row a migration: state, progress, rate and ETA';

CREATE VIEW migrate.databases WITH (security_invoker = true) AS
SELECT migration_id, dbname, method, status, message,
       publication, subscription, slot, lag_bytes, in_sync, slot_retained_bytes
FROM migrate.database_state;

CREATE VIEW migrate.table_progress WITH (security_invoker = true) AS
SELECT migration_id, dbname, schema_name, table_name,
       pg_catalog.count(*)::int AS parts_total,
       (pg_catalog.count(*) FILTER (WHERE state OPERATOR(pg_catalog.=) 'done'))::int AS parts_done,
       (pg_catalog.count(*) FILTER (WHERE state OPERATOR(pg_catalog.=) 'failed'))::int AS parts_failed,
       pg_catalog.sum(rows_now)::bigint AS rows_copied,
       pg_catalog.sum(bytes_now)::bigint AS bytes_copied,
       CASE WHEN pg_catalog.bool_and(state OPERATOR(pg_catalog.=) 'done') THEN 'done'
            WHEN pg_catalog.bool_or(state OPERATOR(pg_catalog.=) 'failed') THEN 'failed'
            WHEN pg_catalog.bool_or(state OPERATOR(pg_catalog.=) 'running') THEN 'copying'
            ELSE 'pending' END AS state,
       (pg_catalog.array_agg(error ORDER BY part) FILTER (WHERE error IS NOT NULL))[1] AS first_error
FROM (SELECT t.*,
            -- a running task's figures live from shared memory, when there
            CASE WHEN t.state OPERATOR(pg_catalog.=) 'running'
                 THEN GREATEST(t.rows_copied, l.rows_copied)
                 ELSE t.rows_copied END AS rows_now,
            CASE WHEN t.state OPERATOR(pg_catalog.=) 'running'
                 THEN GREATEST(t.bytes_copied, l.bytes_copied)
                 ELSE t.bytes_copied END AS bytes_now
     FROM migrate.task t
     LEFT JOIN migrate.live_progress() l ON l.task_id OPERATOR(pg_catalog.=) t.id) tk
WHERE kind OPERATOR(pg_catalog.=) 'copy'
GROUP BY migration_id, dbname, schema_name, table_name;

CREATE VIEW migrate.errors WITH (security_invoker = true) AS
SELECT migration_id, dbname, task, error, at FROM (
    SELECT migration_id, dbname,
           CASE WHEN table_name IS NOT NULL
                THEN kind || ' ' || pg_catalog.quote_ident(schema_name) || '.' || pg_catalog.quote_ident(table_name)
                     || CASE WHEN parts > 1 THEN ' part ' || (part + 1) || '/' || parts ELSE '' END
                ELSE kind END AS task,
           error, finished_at AS at,
           error LIKE 'not run: it depends on %' AS follows
    FROM migrate.task
    WHERE error IS NOT NULL AND state OPERATOR(pg_catalog.=) 'failed'
    UNION ALL
    -- a subscription stopped by an apply error (disable_on_error), while it is
    SELECT migration_id, dbname, 'subscription ' || pg_catalog.quote_ident(subscription), apply_error, lag_at, false
    FROM migrate.database_state
    WHERE apply_error IS NOT NULL
    UNION ALL
    -- a database that failed in a step of its own (pg_dump, a connection,
    -- its snapshot, its verify run), not in a task
    SELECT d.migration_id, d.dbname, 'database', d.message,
           (SELECT pg_catalog.max(e.at) FROM migrate.event e WHERE e.migration_id OPERATOR(pg_catalog.=) d.migration_id
             AND e.kind OPERATOR(pg_catalog.=) 'database_failed' AND e.detail->>'database' OPERATOR(pg_catalog.=) d.dbname),
           false
    FROM migrate.database_state d
    WHERE d.status OPERATOR(pg_catalog.=) 'failed' AND d.message IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM migrate.task t WHERE t.migration_id OPERATOR(pg_catalog.=) d.migration_id
                      AND t.dbname OPERATOR(pg_catalog.=) d.dbname AND t.state OPERATOR(pg_catalog.=) 'failed'
                      AND t.error IS NOT NULL AND t.error NOT LIKE 'not run: it depends on %')
    UNION ALL
    -- a migration that failed with no database failed (its coordinator)
    SELECT m.id, NULL, 'migration', m.error, m.finished_at, false
    FROM migrate.migration m
    WHERE m.state OPERATOR(pg_catalog.=) 'failed' AND m.error IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM migrate.database_state d WHERE d.migration_id OPERATOR(pg_catalog.=) m.id
                      AND d.status OPERATOR(pg_catalog.=) 'failed')
) e
-- the root errors first: those of the tasks that only follow them last
ORDER BY migration_id, follows, at;

-- The warnings of the migrations, one a row: what was left out, not kept or
-- placed otherwise than on the source, with the object each is about (null
-- where it is about none in particular) and the task that found it.
CREATE VIEW migrate.warnings WITH (security_invoker = true) AS
SELECT e.migration_id, e.detail->>'database' AS dbname, e.detail->>'object' AS object,
       e.detail->>'message' AS message, (e.detail->>'task')::bigint AS task_id, e.at
FROM migrate.event e
WHERE e.kind OPERATOR(pg_catalog.=) 'warning'
ORDER BY e.migration_id, e.at;

-- The kinds of task and what each waits for, as the scheduler applies them.
CREATE FUNCTION migrate.task_kinds()
RETURNS TABLE(kind text, priority int, waits_in_database text[], waits_on_table text[])
LANGUAGE c IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_task_kinds_sql';
COMMENT ON FUNCTION migrate.task_kinds() IS
  'the kinds of task: the order of work, and the kinds each waits for in its database and on its table';

-- The steps of a database in their order, as the coordinator runs them
-- (src/steps.c); database_state's CHECK lists the same names.
CREATE FUNCTION migrate.database_steps()
RETURNS TABLE(step int, status text, final boolean, does text)
LANGUAGE c IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_database_steps_sql';
COMMENT ON FUNCTION migrate.database_steps() IS
  'the steps of a database: its status in migrate.databases, in order, and what happens in each';

-- Starts migrating SOURCE; returns at once with the migration id.
CREATE FUNCTION migrate.start(source text, options jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_start';

-- Waits until migration ID reaches UNTIL (copied, replicating, done), printing progress.
CREATE FUNCTION migrate.wait(migration_id bigint, until text DEFAULT 'copied',
                             timeout interval DEFAULT NULL)
RETURNS text
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_wait';

-- Stops a migration, keeping everything; migrate.resume continues it.
CREATE FUNCTION migrate.stop(migration_id bigint)
RETURNS text
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_stop';

-- Resumes a stopped or failed migration where it left off.
CREATE FUNCTION migrate.resume(migration_id bigint)
RETURNS text
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_resume';

-- Stops a migration for good.
CREATE FUNCTION migrate.cancel(migration_id bigint)
RETURNS text
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_cancel';

-- The names of the replication method's publication, subscription and slot
-- for a database: aiven_db_migrate_<dbname>_pub, _sub, _slot, made fit for a
-- slot name ([a-z0-9_], 63 bytes, a hash of the real name where it had to
-- change).
CREATE FUNCTION migrate.replication_names(dbname text)
RETURNS TABLE(publication name, subscription name, slot name)
LANGUAGE c IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_replication_names_sql';
COMMENT ON FUNCTION migrate.replication_names(text) IS
  'the publication, subscription and slot names of the replication method for a database';

-- Per database of migration ID: the bytes of WAL between the source's
-- current position and what the target confirmed, asked of the source now.
CREATE FUNCTION migrate.replication_lag(migration_id bigint)
RETURNS TABLE(dbname text, lag_bytes bigint, confirmed_flush_lsn pg_lsn, source_lsn pg_lsn)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_replication_lag_sql';
COMMENT ON FUNCTION migrate.replication_lag(bigint) IS
  'the replication lag of each replicated database, measured on the source now';

-- Waits until every replicated database of migration ID is in sync with a
-- lag of at most MAX_LAG_BYTES; false on timeout.
CREATE FUNCTION migrate.wait_for_lag(migration_id bigint, max_lag_bytes bigint DEFAULT 0,
                                     timeout interval DEFAULT NULL)
RETURNS boolean
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_wait_for_lag_sql';

-- Switches migration ID over: waits until the target has every change up to
-- the source's position now, brings sequences and materialized views up to
-- date, drops the replication objects, marks the migration done.
CREATE FUNCTION migrate.cutover(migration_id bigint, timeout interval DEFAULT NULL)
RETURNS TABLE(dbname text, cutover_lsn pg_lsn, status text, seconds float8,
              write_pause_seconds float8)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_cutover_sql';

-- Drops every aiven_db_migrate_* subscription of this server, and slot and
-- publication of SOURCE, that no active migration uses; gives back the
-- replica identities ended migrations changed.  One row an object.
CREATE FUNCTION migrate.cleanup(source text)
RETURNS TABLE(side text, dbname text, object_type text, object_name text, status text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_cleanup_sql';
COMMENT ON FUNCTION migrate.cleanup(text) IS
  'drops the aiven_db_migrate_* subscriptions, publications and slots no active migration uses, on both sides';

-- Compares the source and the target of a migration that is over, at
-- LEVEL (schema, counts, checksums, rows); waits for it; the differences
-- first.  Kept in migrate.verify_result.
CREATE FUNCTION migrate.verify(migration_id bigint, level text DEFAULT 'checksums')
RETURNS TABLE(dbname text, relation text, check_name text, status text,
              source_value text, target_value text, detail text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_verify_sql';
COMMENT ON FUNCTION migrate.verify(bigint, text) IS
  'compares the source and the target of a migration that is over: schema, counts, checksums or rows';

-- Copies again, from the source, the rows of the key ranges that differ in
-- each table the latest migrate.verify found different; waits for it.
CREATE FUNCTION migrate.repair(migration_id bigint)
RETURNS TABLE(dbname text, relation text, status text, rows_copied text, rows_deleted text, detail text)
LANGUAGE c VOLATILE
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_repair_sql';
COMMENT ON FUNCTION migrate.repair(bigint) IS
  'copies again the key ranges of the tables the latest migrate.verify found different';

-- Nothing here is for PUBLIC: the operator grants the API to an admin role
-- (see README, "Granting the API").
REVOKE ALL ON SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA migrate FROM PUBLIC;
