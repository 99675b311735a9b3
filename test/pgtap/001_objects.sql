-- The installed objects: schema, functions, privileges, search_path.
BEGIN;
SELECT plan(16);

SELECT has_schema('migrate', 'the extension creates schema migrate');
SELECT is((SELECT extrelocatable FROM pg_extension WHERE extname = 'migrate'), false,
          'the extension is not relocatable');
SELECT is((SELECT nspowner FROM pg_namespace WHERE nspname = 'migrate'),
          (SELECT extowner FROM pg_extension WHERE extname = 'migrate'),
          'schema migrate belongs to the extension owner');
SELECT is((SELECT count(*)::int FROM pg_depend
           WHERE refobjid = (SELECT oid FROM pg_extension WHERE extname = 'migrate')
             AND classid = 'pg_namespace'::regclass AND deptype = 'e'), 1,
          'schema migrate is a member of the extension');

SELECT has_function('migrate', 'validate', ARRAY['text', 'jsonb'], 'migrate.validate(text, jsonb) exists');
SELECT function_returns('migrate', 'validate', ARRAY['text', 'jsonb'], 'setof record',
                        'validate returns a set');
SELECT is((SELECT proargnames FROM pg_proc WHERE oid = 'migrate.validate(text,jsonb)'::regprocedure),
          ARRAY['source', 'options', 'check_name', 'status', 'detail', 'hint'],
          'validate has the contract''s columns');
SELECT is((SELECT pg_get_expr(proargdefaults, 0) FROM pg_proc WHERE oid = 'migrate.validate(text,jsonb)'::regprocedure),
          '''{}''::jsonb', 'options default to {}');
SELECT has_function('migrate', 'mask_source', ARRAY['text'], 'migrate.mask_source(text) exists');

SELECT is_empty($$SELECT p.oid FROM pg_proc p
                 WHERE p.pronamespace = 'migrate'::regnamespace
                   AND has_function_privilege('public', p.oid, 'EXECUTE')$$,
                'no function of schema migrate is executable by PUBLIC');
SELECT ok(NOT has_schema_privilege('public', 'migrate', 'USAGE'), 'PUBLIC has no USAGE on schema migrate');
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
GRANT USAGE ON SCHEMA migrate TO pgtap_admin;
GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO pgtap_admin;
CREATE ROLE pgtap_nobody;
SET ROLE pgtap_admin;
SELECT is(migrate.mask_source('postgres://app:pa55word@h/db'), 'user=app password=******** dbname=db host=h',
          'a granted admin can call the API');
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app')$$,
                 '2F003', 'password is required',
                 'a non-superuser must give a password');
RESET ROLE;
SET ROLE pgtap_nobody;
SELECT throws_ok($$SELECT * FROM migrate.validate('host=127.0.0.1 port=1')$$,
                 '42501', NULL, 'a role without grants cannot call validate');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
