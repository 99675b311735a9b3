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
LANGUAGE c VOLATILE STRICT
SET search_path = pg_catalog, pg_temp
AS 'MODULE_PATHNAME', 'migrate_copy_roles_sql';
COMMENT ON FUNCTION migrate.copy_roles(text, jsonb) IS
  'copies every role of a source: attributes, passwords, memberships, settings, comments; one row a role';

-- Nothing here is for PUBLIC: the operator grants the API to an admin role
-- (see README, "Granting the API").
REVOKE ALL ON SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA migrate FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA migrate FROM PUBLIC;
