-- migrate.validate: bad sources, the password rule, an unreachable source,
-- and this server given as its own source.
\set VERBOSITY default

-- malformed connection strings: an error with a hint, password not shown
SELECT * FROM migrate.validate('postgres://app:s3cret@host:notaport/db');
SELECT * FROM migrate.validate('host=db.example.com password=s3cret bogus=1');
SELECT * FROM migrate.validate('postgres://app:s3cret@db.example.com/db?sslmode=sometimes');
SELECT * FROM migrate.validate('host=db.example.com password=''s3cret');

-- unreachable: a row that says so, not an error, and nothing else is checked
SELECT check_name, status, detail FROM migrate.validate('host=127.0.0.1 port=1 user=app password=s3cret');

-- the rule of dblink and postgres_fdw for non-superusers
CREATE ROLE regress_admin CREATEROLE CREATEDB;
GRANT USAGE ON SCHEMA migrate TO regress_admin;
GRANT EXECUTE ON FUNCTION migrate.validate(text, jsonb) TO regress_admin;
SET ROLE regress_admin;
-- no password given
SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app');
-- files of this server
SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app password=s3cret passfile=/tmp/pgpass');
SELECT * FROM migrate.validate('service=prod password=s3cret');
SELECT * FROM migrate.validate('host=127.0.0.1 user=app password=s3cret sslkey=/etc/ssl/private/key.pem');
-- a password given, but the server does not ask for it (trust)
\getenv port PGPORT
SELECT * FROM migrate.validate(format('host=127.0.0.1 port=%s dbname=postgres user=%s password=unused',
                                      :'port', (SELECT rolname FROM pg_roles WHERE oid = 10)));
RESET ROLE;
DROP OWNED BY regress_admin;
DROP ROLE regress_admin;

-- this server as its own source: refused by system identifier
\getenv host PGHOST
SELECT check_name, status
FROM migrate.validate(format('host=%s port=%s dbname=contrib_regression', :'host', :'port'))
WHERE check_name IN ('source', 'connection', 'distinct_servers', 'source_version', 'pg_dump', 'databases')
ORDER BY 1;
-- a databases filter that matches nothing, and a table filter likewise
SELECT check_name, status, detail
FROM migrate.validate(format('host=%s port=%s dbname=contrib_regression', :'host', :'port'),
                      '{"databases": ["contrib_regression", "no_such_db*"], "tables": ["contrib_regression.public.nothing"]}')
WHERE (status = 'error' OR check_name = 'databases') AND check_name <> 'distinct_servers'
ORDER BY 1, 3;
