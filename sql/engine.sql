-- The engine's functions: bad input is an error with a hint, and nothing
-- is started.  (Whole migrations are in the TAP tests, with real servers.)
\set VERBOSITY default

SELECT migrate.start('host=127.0.0.1 port=1 connect_timeout=2 password=s3cret-pw');
SELECT migrate.start('host=127.0.0.1 port=1 password=s3cret-pw', '{"method": "replication"}');
SELECT migrate.start('host=127.0.0.1 port=1 password=s3cret-pw', '{"workers": 0}');
SELECT count(*) AS migrations FROM migrate.migration;

SELECT migrate.wait(42);
SELECT migrate.wait(42, 'finished');
SELECT migrate.wait(42, 'done', '-1 s');
SELECT migrate.stop(42);
SELECT migrate.resume(42);
SELECT migrate.cancel(42);
-- the replication method's functions: of a migration the caller has
SELECT * FROM migrate.replication_lag(42);
SELECT migrate.wait_for_lag(42);
SELECT migrate.wait_for_lag(42, -1);
SELECT migrate.wait_for_lag(42, NULL);
SELECT migrate.wait_for_lag(42, 0, '-1 s');
SELECT * FROM migrate.cutover(42);
SELECT * FROM migrate.cutover(NULL);
SELECT * FROM migrate.cleanup(NULL);
SELECT * FROM migrate.cleanup('host=127.0.0.1 port=1 password=s3cret-pw connect_timeout=2');

-- the views answer, empty
SELECT * FROM migrate.status;
SELECT * FROM migrate.databases;
SELECT * FROM migrate.table_progress;
SELECT * FROM migrate.errors;
