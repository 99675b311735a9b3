-- The source of the copy_roles tests (002, 019, 020): roles with every
-- attribute, memberships, settings and a comment.  App's password is
-- App-pa55word-xyz.
CREATE ROLE app LOGIN PASSWORD 'App-pa55word-xyz' CREATEDB CONNECTION LIMIT 5 VALID UNTIL '2031-01-01 00:00:00+00';
CREATE ROLE reporting NOLOGIN NOINHERIT;
CREATE ROLE "Mixed Case" LOGIN PASSWORD 'whatever-1';
CREATE ROLE "we""ird role" NOLOGIN;
CREATE ROLE "rôle_ünïcode" LOGIN;
CREATE ROLE big_boss SUPERUSER LOGIN;
CREATE ROLE replicator REPLICATION LOGIN;
CREATE ROLE rls_skipper BYPASSRLS NOLOGIN;
CREATE ROLE manager CREATEROLE NOLOGIN;
CREATE ROLE rdsadmin LOGIN;
CREATE ROLE legacy_1 NOLOGIN;
CREATE ROLE already_there NOLOGIN CREATEDB;
GRANT reporting TO app WITH ADMIN OPTION;
GRANT reporting TO "Mixed Case";
GRANT "we""ird role" TO "rôle_ünïcode";
GRANT pg_read_all_data TO reporting;
GRANT big_boss TO manager;
ALTER ROLE app SET search_path = app, "My Schema", public;
ALTER ROLE app SET statement_timeout = '5s';
ALTER ROLE app IN DATABASE postgres SET work_mem = '8MB';
ALTER ROLE app IN DATABASE postgres SET search_path = reports, public;
CREATE DATABASE only_on_source;
ALTER ROLE app IN DATABASE only_on_source SET work_mem = '16MB';
COMMENT ON ROLE app IS 'the application''s login';
