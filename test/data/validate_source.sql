-- The source of the validate tests (001, 015): a bit of everything that
-- validate checks.  Run with psql in database postgres; it connects to the
-- databases it creates.  The roles' password is Sup3r-s3cret-pw.
CREATE ROLE app LOGIN PASSWORD 'Sup3r-s3cret-pw';
CREATE ROLE trust_user LOGIN PASSWORD 'Sup3r-s3cret-pw';
CREATE ROLE big_boss SUPERUSER;
CREATE ROLE replicator REPLICATION LOGIN;
CREATE ROLE "Mixed Case" LOGIN;
CREATE ROLE rdsadmin;
CREATE ROLE rds_superuser;
CREATE ROLE already_there;
CREATE DATABASE app OWNER app;
CREATE DATABASE shop OWNER app;
CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
CREATE DATABASE closed;
ALTER DATABASE closed ALLOW_CONNECTIONS false;
CREATE DATABASE private;
REVOKE CONNECT ON DATABASE private FROM PUBLIC;

\connect app
SET ROLE app;
CREATE TABLE accounts (id int PRIMARY KEY, balance numeric);
CREATE TABLE events (at timestamptz, what text);              -- no key
CREATE TABLE audit (id int NOT NULL, note text);
CREATE UNIQUE INDEX audit_id ON audit (id);
ALTER TABLE audit REPLICA IDENTITY USING INDEX audit_id;      -- identity, no key
CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
CREATE MATERIALIZED VIEW totals AS SELECT sum(balance) FROM accounts;
SELECT lo_create(0);
RESET ROLE;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION pg_stat_statements;
CREATE TABLE owned_by_postgres (id int PRIMARY KEY);

\connect shop
CREATE EXTENSION hstore;
CREATE TABLE orders (id bigint PRIMARY KEY, items hstore);
CREATE FUNCTION my_handler() RETURNS language_handler
	AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
CREATE LANGUAGE homemade HANDLER my_handler;
-- pretend: an extension the target lacks, and one newer than the target's
UPDATE pg_extension SET extversion = '99.0' WHERE extname = 'hstore';

\connect postgres
CREATE EXTENSION citext;
UPDATE pg_extension SET extname = 'no_such_extension' WHERE extname = 'citext';
