/*
 * migrate — install script.  Edit this file; the build copies it to
 * migrate--<version>.sql.  Released upgrade scripts (migrate--a--b.sql) are
 * never edited.
 */
\echo Use "CREATE EXTENSION migrate" to load this file. \quit

-- The extension's own schema, created here so that nobody can pre-seed it.
CREATE SCHEMA migrate;
COMMENT ON SCHEMA migrate IS 'migrate: pull a whole PostgreSQL server into this one';

-- What will and will not work when migrating SOURCE with OPTIONS; changes nothing.
CREATE FUNCTION migrate.validate(source text, options jsonb DEFAULT '{}')
RETURNS TABLE(check_name text, status text, detail text, hint text)
LANGUAGE c VOLATILE STRICT
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

-- Nothing here is for PUBLIC: the operator grants the API to an admin role
-- (see README, "Granting the API").
REVOKE ALL ON SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA migrate FROM PUBLIC;
