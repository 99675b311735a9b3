-- The "many tables" dataset: :tables tables spread over :schemas schemas
-- (one schema a tenant), each with a primary key, a text column and a few
-- rows.  One transaction a schema, so that the source's lock table need not
-- hold every table at once.
--   psql -v tables=10000 -v schemas=100 -f bench/many.sql
\set ON_ERROR_STOP on
SELECT format($$
DO $do$
BEGIN
	CREATE SCHEMA tenant_%1$s;
	FOR t IN 1..%2$s LOOP
		EXECUTE format('CREATE TABLE tenant_%1$s.t_%%s (id int PRIMARY KEY, v text NOT NULL, at timestamptz DEFAULT now())', t);
		EXECUTE format('INSERT INTO tenant_%1$s.t_%%s (id, v) SELECT i, md5(i::text) FROM generate_series(1, %%s) i',
					   t, 1 + (t * %1$s) %% 50);
	END LOOP;
END
$do$;
$$, s, ceil(:tables::numeric / :schemas)::int)
FROM generate_series(1, :schemas) s
\gexec
