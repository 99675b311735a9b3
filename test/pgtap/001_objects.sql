-- The installed objects: schema, functions, privileges, search_path.
BEGIN;
SELECT plan(43);

SELECT has_schema('migrate', 'the extension creates schema migrate');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'migrate'), false,
          'the extension is not relocatable');
SELECT is((SELECT nspowner FROM pg_namespace WHERE nspname = 'migrate'),
          (SELECT extowner FROM pg_extension WHERE extname = 'migrate'),
          'schema migrate belongs to the extension owner');
SELECT is((SELECT array_agg(objid::regnamespace::text ORDER BY 1) FROM pg_depend
           WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'migrate')
             AND classid = 'pg_namespace'::regclass AND deptype = 'e'),
          ARRAY['migrate', 'migrate_private'],
          'schemas migrate and migrate_private are members of the extension');

SELECT has_function('migrate', 'validate', ARRAY['text', 'jsonb'], 'migrate.validate(text, jsonb) exists');
SELECT function_returns('migrate', 'validate', ARRAY['text', 'jsonb'], 'setof record',
                        'validate returns a set');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'migrate.validate(text,jsonb)'::regprocedure),
          ARRAY['source', 'options', 'check_name', 'status', 'detail', 'hint'],
          'validate has the contract''s columns');
SELECT is((SELECT pg_get_expr(proargdefaults, 0) FROM pg_proc WHERE oid = 'migrate.validate(text,jsonb)'::regprocedure),
          '''{}''::jsonb', 'options default to {}');
SELECT has_function('migrate', 'mask_source', ARRAY['text'], 'migrate.mask_source(text) exists');
SELECT has_function('migrate', 'copy_roles', ARRAY['text', 'jsonb'], 'migrate.copy_roles(text, jsonb) exists');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'migrate.copy_roles(text,jsonb)'::regprocedure),
          ARRAY['source', 'options', 'rolname', 'rolpassword', 'status', 'message'],
          'copy_roles has the contract''s columns');
SELECT has_table('migrate', 'roles', 'migrate.roles exists');
SELECT columns_are('migrate', 'roles',
                   ARRAY['migration_id', 'rolname', 'rolpassword', 'status', 'message', 'owner', 'at'],
                   'migrate.roles has the contract''s columns');
SELECT ok((SELECT relrowsecurity FROM pg_class WHERE oid = 'migrate.roles'::regclass),
          'migrate.roles has row level security');
SELECT columns_are('migrate', 'status',
                   ARRAY['id', 'source', 'method', 'state', 'phase', 'databases_total', 'databases_done',
                         'tables_total', 'tables_done', 'rows_copied', 'bytes_copied', 'bytes_total',
                         'percent', 'bytes_per_second', 'eta', 'lag_bytes', 'started_at', 'finished_at', 'error',
                         'warnings'],
                   'migrate.status has the contract''s columns');
SELECT columns_are('migrate', 'databases', ARRAY['migration_id', 'dbname', 'method', 'status', 'message',
                                                 'publication', 'subscription', 'slot', 'lag_bytes', 'in_sync', 'slot_retained_bytes'],
                   'migrate.databases has the contract''s columns, and the replication method''s');
-- the replication method's functions, with the contract's shapes
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'migrate.replication_lag(bigint)'::regprocedure),
          ARRAY['migration_id', 'dbname', 'lag_bytes', 'confirmed_flush_lsn', 'source_lsn'],
          'replication_lag has the contract''s columns');
SELECT function_returns('migrate', 'wait_for_lag', ARRAY['bigint', 'bigint', 'interval'], 'boolean',
                        'wait_for_lag(id, max_lag_bytes, timeout) returns boolean');
SELECT is((SELECT pg_get_expr(proargdefaults, 0) FROM pg_proc WHERE oid = 'migrate.wait_for_lag(bigint,bigint,interval)'::regprocedure),
          '0, NULL::interval', 'wait_for_lag waits for lag 0, without a limit, by default');
SELECT has_function('migrate', 'cutover', ARRAY['bigint', 'interval'], 'migrate.cutover(id, timeout) exists');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'migrate.cleanup(text)'::regprocedure),
          ARRAY['source', 'side', 'dbname', 'object_type', 'object_name', 'status'],
          'cleanup has the contract''s columns');
SELECT columns_are('migrate', 'table_progress',
                   ARRAY['migration_id', 'dbname', 'schema_name', 'table_name', 'parts_total', 'parts_done',
                         'parts_failed', 'rows_copied', 'bytes_copied', 'state', 'first_error'],
                   'migrate.table_progress has the contract''s columns');
SELECT columns_are('migrate', 'errors', ARRAY['migration_id', 'dbname', 'task', 'error', 'at'],
                   'migrate.errors has the contract''s columns');
SELECT columns_are('migrate', 'warnings', ARRAY['migration_id', 'dbname', 'object', 'message', 'task_id', 'at'],
                   'migrate.warnings has the contract''s columns');
SELECT columns_are('migrate', 'event', ARRAY['migration_id', 'at', 'kind', 'detail'],
                   'migrate.event has the contract''s columns');
SELECT is_empty($$SELECT c.relname FROM pg_class c
                 WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind = 'r' AND NOT c.relrowsecurity$$,
                'every state table has row level security');
SELECT is_empty($$SELECT 1 FROM pg_class WHERE oid = 'migrate.status'::regclass
                   AND NOT ('security_invoker=true' = ANY (coalesce(reloptions, '{}')))$$,
                'the status view applies the caller''s row level security');
SELECT is_empty($$SELECT c.relname FROM pg_class c
                 WHERE c.relnamespace = 'migrate'::regnamespace AND c.relkind IN ('r', 'v')
                   AND (has_table_privilege('public', c.oid, 'SELECT')
                        OR has_table_privilege('public', c.oid, 'INSERT')
                        OR has_table_privilege('public', c.oid, 'UPDATE')
                        OR has_table_privilege('public', c.oid, 'DELETE'))$$,
                'no table of schema migrate is readable or writable by PUBLIC');

SELECT is_empty($$SELECT p.oid FROM pg_proc p
                 WHERE p.pronamespace = 'migrate'::regnamespace
                   AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
                'no function of schema migrate is executable by PUBLIC');
SELECT ok(NOT has_schema_privilege('public', 'migrate', 'USAGE'), 'PUBLIC has no USAGE on schema migrate');
SELECT ok(NOT has_schema_privilege('public', 'migrate_private', 'USAGE'),
          'PUBLIC has no USAGE on schema migrate_private, where source strings are kept');
SELECT is_empty($$SELECT p.proname FROM pg_proc p
                 WHERE p.pronamespace = 'migrate'::regnamespace
                   AND (p.proconfig IS NULL
                        OR NOT 'search_path=pg_catalog, pg_temp' = ANY (p.proconfig))$$,
                'every function pins search_path to pg_catalog, pg_temp');
SELECT is_empty($$SELECT p.proname FROM pg_proc p
                 WHERE p.pronamespace = 'migrate'::regnamespace AND p.prosecdef$$,
                'no function is SECURITY DEFINER');

-- the README's grant: an admin role gets the API
CREATE ROLE pgtap_admin CREATEROLE CREATEDB;
CREATE ROLE pgtap_nobody;
GRANT USAGE ON SCHEMA migrate TO pgtap_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO pgtap_admin;
GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO pgtap_admin;
-- a row of another role, written as the extension owner would
INSERT INTO migrate.roles (rolname, rolpassword, status, owner)
VALUES ('someone', 'placeholder_abcdefghijklmnop', 'created', 'pgtap_nobody');
SET ROLE pgtap_admin;
SELECT is(migrate.mask_source('postgres://app:pa55word@h/db'), 'user=app password=******** dbname=db host=h',
          'a granted admin can call the API');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app')$$,
                 '2F003', 'password is required',
                 'a non-superuser must give a password');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=/tmp port=1 user=app password=s3cret-pw')$$,
                 '42501', 'only superusers may reach the source through a Unix-domain socket',
                 'a non-superuser may not name a socket');
SELECT throws_ok($$SELECT * FROM migrate.validate('port=1 user=app password=s3cret-pw')$$,
                 '42501', 'only superusers may reach the source through a Unix-domain socket',
                 'nor leave the host out (the default socket)');
SELECT throws_ok($$SELECT * FROM migrate.validate('hostaddr=, port=1 user=app password=s3cret-pw')$$,
                 '42501', 'only superusers may reach the source through a Unix-domain socket',
                 'nor give an empty address (the default socket)');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app password=s3cret-pw sslcrl=/etc/crl.pem')$$,
                 '42501', 'only superusers may use the connection option "sslcrl" in a source',
                 'nor an option that reads this server''s files');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app password=s3cret-pw', '{"grant_predefined_roles": true}')$$,
                 '42501', 'only superusers may use option "grant_predefined_roles"',
                 'nor ask for the predefined roles that reach files and programs');
SELECT is_empty($$SELECT * FROM migrate.roles$$, 'an admin does not see the rows of other roles');
SELECT throws_ok($$INSERT INTO migrate.roles (rolname, status, owner) VALUES ('x', 'created', 'pgtap_admin')$$,
                 '42501', NULL, 'an admin cannot write migrate.roles');
RESET ROLE;
SET ROLE pgtap_nobody;
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1')$$,
                 '42501', NULL, 'a role without grants cannot call validate');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
