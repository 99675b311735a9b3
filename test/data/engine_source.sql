-- A database with a bit of everything the engine must carry: several
-- schemas, types, a partitioned table, generated columns, a table without a
-- key, an unlogged table, quoted names, a materialized view, sequences,
-- foreign keys, and a table whose load is slow (a CHECK calls pg_sleep) so
-- that tests can act while it copies.
CREATE SCHEMA app;
CREATE SCHEMA "Odd ""Schema""";
CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
CREATE TABLE app.customers (
	id bigserial PRIMARY KEY,
	name text NOT NULL,
	mood app.mood,
	tags text[],
	profile jsonb,
	balance numeric(12, 2),
	avatar bytea,
	name_upper text GENERATED ALWAYS AS (upper(name)) STORED
);
CREATE TABLE app.orders (
	id bigserial PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES app.customers (id),
	placed date NOT NULL,
	amount numeric
) ;
CREATE INDEX orders_customer ON app.orders (customer_id);
CREATE TABLE app.events (at timestamptz, payload json);
CREATE UNLOGGED TABLE app.cache (k text PRIMARY KEY, v text);
CREATE TABLE app.measurements (
	city int NOT NULL,
	logdate date NOT NULL,
	peak int,
	PRIMARY KEY (city, logdate)
) PARTITION BY RANGE (logdate);
CREATE TABLE app.measurements_2023 PARTITION OF app.measurements
	FOR VALUES FROM ('2023-01-01') TO ('2024-01-01');
CREATE TABLE app.measurements_2024 PARTITION OF app.measurements
	FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
CREATE INDEX measurements_peak ON app.measurements (peak);
CREATE TABLE "Odd ""Schema"""."Mixed Case ""Table""" ("Id" int PRIMARY KEY, "Value; with; semicolons" text);
-- char(n), which binary COPY receives through a faster path of migrate's
-- own when a value is plain ASCII: short, exact, empty, non-ASCII values,
-- no length at all, and arrays (received by the element's own function)
CREATE TABLE app.codes (id int PRIMARY KEY, code char(8), exact char(4), wide char(3),
	free bpchar, one char(1), many char(5)[]);
CREATE MATERIALIZED VIEW app.customer_totals AS
	SELECT c.id, sum(o.amount) AS total FROM app.customers c JOIN app.orders o ON o.customer_id = c.id GROUP BY c.id;
CREATE FUNCTION app.slow_ok(int) RETURNS boolean LANGUAGE sql IMMUTABLE
	AS $$ SELECT pg_sleep(0.004) IS NOT NULL $$;
CREATE TABLE app.slow (id int PRIMARY KEY, v text CHECK (app.slow_ok(length(v))));

INSERT INTO app.customers (name, mood, tags, profile, balance, avatar)
	SELECT 'customer ' || i, (ARRAY['sad', 'ok', 'happy'])[1 + i % 3]::app.mood,
		ARRAY['t' || i % 5, NULL, 'x'], jsonb_build_object('i', i, 'nested', jsonb_build_object('a', i % 7)),
		i * 1.25, decode(md5(i::text), 'hex')
	FROM generate_series(1, 3000) i;
INSERT INTO app.orders (customer_id, placed, amount)
	SELECT 1 + i % 3000, date '2024-01-01' + i % 365, i % 1000 + 0.5 FROM generate_series(1, 20000) i;
INSERT INTO app.events SELECT now() - i * interval '1 minute', json_build_object('k', i) FROM generate_series(1, 2000) i;
INSERT INTO app.cache SELECT 'k' || i, repeat('v', i % 50) FROM generate_series(1, 500) i;
INSERT INTO app.measurements SELECT i % 50, date '2023-01-01' + i / 50, i % 40 FROM generate_series(0, 29999) i;
INSERT INTO "Odd ""Schema"""."Mixed Case ""Table""" SELECT i, 'a;b;' || i FROM generate_series(1, 100) i;
INSERT INTO app.slow SELECT i, 'value ' || i FROM generate_series(1, 1500) i;
INSERT INTO app.codes VALUES
	(1, 'ab', 'abcd', 'äöü', 'x  y ', 'a', ARRAY['a', 'bb ', NULL]),
	(2, '', 'ab  ', 'a', '', NULL, '{}'),
	(3, NULL, 'é', 'ß', 'ünïcödé', 'ä', ARRAY['é']),
	(4, 'tab	end', '1234', '   ', '  ', ' ', ARRAY['']);
INSERT INTO app.codes SELECT i, 'c' || i, lpad(i::text, 4, '0'), CASE WHEN i % 2 = 0 THEN 'x' ELSE 'ÿz' END,
	repeat('f', i % 20), chr(65 + i % 26), ARRAY[i::text] FROM generate_series(5, 2000) i;
REFRESH MATERIALIZED VIEW app.customer_totals;
-- large objects: a small one and one that takes several chunks
SELECT lo_from_bytea(0, 'a small large object'::bytea);
SELECT lo_from_bytea(0, decode(repeat(md5('x'), 300000), 'hex'));
SELECT setval('app.orders_id_seq', 50000);
ANALYZE;
