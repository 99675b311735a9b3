-- A small sample database for the demo and the tests: roles, two schemas,
-- keys, a table without a key, an unlogged table, a view, a sequence.
CREATE ROLE shop_owner LOGIN PASSWORD 'demo-password' CREATEDB;
CREATE ROLE shop_reader LOGIN PASSWORD 'reader-password';
CREATE ROLE "Analytics Team" NOLOGIN;
GRANT "Analytics Team" TO shop_reader;
CREATE DATABASE shop OWNER shop_owner;
\connect shop
SET ROLE shop_owner;
CREATE SCHEMA sales;
CREATE SCHEMA stock;
CREATE TABLE sales.customers (
	id bigserial PRIMARY KEY,
	name text NOT NULL,
	email text UNIQUE,
	signed_up timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE stock.products (
	id int PRIMARY KEY,
	title text NOT NULL,
	price numeric(10, 2) NOT NULL,
	tags text[],
	attrs jsonb
);
CREATE TABLE sales.orders (
	id bigserial PRIMARY KEY,
	customer_id bigint NOT NULL REFERENCES sales.customers (id),
	ordered_at timestamptz NOT NULL,
	note text
);
CREATE TABLE sales.order_lines (
	order_id bigint NOT NULL REFERENCES sales.orders (id),
	product_id int NOT NULL REFERENCES stock.products (id),
	quantity int NOT NULL,
	PRIMARY KEY (order_id, product_id)
);
CREATE TABLE sales.page_views (at timestamptz, path text);   -- no key
CREATE UNLOGGED TABLE stock.cache (k text PRIMARY KEY, v bytea);
CREATE VIEW sales.revenue AS
	SELECT o.id, sum(l.quantity * p.price) AS total
	FROM sales.orders o JOIN sales.order_lines l ON l.order_id = o.id
	JOIN stock.products p ON p.id = l.product_id GROUP BY o.id;

INSERT INTO sales.customers (name, email, signed_up)
	SELECT 'customer ' || i, 'c' || i || '@example.com', '2024-01-01'::timestamptz + i * interval '1 hour'
	FROM generate_series(1, 5000) i;
INSERT INTO stock.products
	SELECT i, 'product ' || i, (i % 97) + 0.99, ARRAY['tag' || (i % 7), 'tag' || (i % 11)],
		jsonb_build_object('weight', i % 13, 'colour', CASE i % 3 WHEN 0 THEN 'red' WHEN 1 THEN 'green' ELSE 'blue' END)
	FROM generate_series(1, 500) i;
INSERT INTO sales.orders (customer_id, ordered_at, note)
	SELECT 1 + (i % 5000), '2024-06-01'::timestamptz + i * interval '1 minute',
		CASE WHEN i % 10 = 0 THEN 'gift: ''wrap it'' "please"' END
	FROM generate_series(1, 20000) i;
INSERT INTO sales.order_lines
	SELECT o, 1 + ((o * 7 + k) % 500), 1 + (o + k) % 5
	FROM generate_series(1, 20000) o, generate_series(0, 2) k;
INSERT INTO sales.page_views SELECT now() - i * interval '1 second', '/p/' || (i % 500) FROM generate_series(1, 10000) i;
RESET ROLE;
GRANT USAGE ON SCHEMA sales TO "Analytics Team";
GRANT SELECT ON ALL TABLES IN SCHEMA sales TO "Analytics Team";
ANALYZE;
