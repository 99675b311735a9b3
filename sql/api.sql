-- The installed objects of the extension and their privileges.
\set VERBOSITY default

-- everything lives in schema migrate, created by the extension itself
SELECT n.nspname, e.extrelocatable, e.extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate') AS current
FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
WHERE e.extname = 'migrate';

SELECT pg_describe_object(classid, objid, objsubid) AS member
FROM pg_depend
WHERE refclassid = 'pg_extension'::regclass
  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'migrate')
  AND deptype = 'e'
ORDER BY 1;

-- nothing is executable by PUBLIC, and every function pins search_path
SELECT p.proname,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public_can_execute,
       p.proisstrict, p.proconfig
FROM pg_proc p
WHERE p.pronamespace = 'migrate'::regnamespace
ORDER BY 1;
SELECT has_schema_privilege('public', 'migrate', 'USAGE') AS public_has_usage;

-- a role without grants cannot call the API
CREATE ROLE regress_nobody;
SET ROLE regress_nobody;
SELECT * FROM migrate.validate('host=127.0.0.1');
RESET ROLE;
DROP ROLE regress_nobody;

-- a null argument is an error with a hint, not a silent null
SELECT * FROM migrate.validate(NULL);
SELECT * FROM migrate.validate(NULL, '{}');
SELECT * FROM migrate.validate('host=127.0.0.1 port=1', NULL);
SELECT * FROM migrate.copy_roles(NULL);
SELECT * FROM migrate.copy_roles('host=127.0.0.1 port=1', NULL);
SELECT migrate.start(NULL);
SELECT migrate.start('host=127.0.0.1 port=1', NULL);
SELECT migrate.stop(NULL);
SELECT migrate.resume(NULL);
SELECT migrate.cancel(NULL);
SELECT * FROM migrate.verify(NULL);
SELECT * FROM migrate.verify(1, NULL);
SELECT * FROM migrate.verify(1, 'everything');
SELECT * FROM migrate.verify(424242);
SELECT * FROM migrate.repair(NULL);
SELECT * FROM migrate.repair(424242);
SELECT migrate.mask_source(NULL) IS NULL AS masked_null;

-- GUCs and their defaults
SHOW migrate.database;
SHOW migrate.max_workers;
SHOW migrate.pg_bin_dir;
SET migrate.max_workers = 0;
SET migrate.no_such_setting = 1;

-- masking: the password never comes back
SELECT migrate.mask_source('postgres://app:s3cret@db.example.com:6543/shop?sslmode=require');
SELECT migrate.mask_source('host=db.example.com user=app password=''s3 cr\''et'' dbname=shop');
SELECT migrate.mask_source('postgresql://app@[::1]/shop');
SELECT migrate.mask_source('dbname=''my db'' user=app');

-- the kinds of task and what each waits for (the scheduler's own table)
SELECT * FROM migrate.task_kinds();

-- the steps of a database, in their order (the coordinator's own table)
SELECT * FROM migrate.database_steps();
