-- A line a user table of the current database: its name (schema-qualified,
-- quoted), its row count and an order-independent md5 of its rows, tab
-- separated, ordered by name.  One read-only query that creates nothing, for
-- any role that may read the tables: the tests, the demo and bench/ compare
-- source and target with it.  With the setting fingerprint.schema (e.g.
-- PGOPTIONS='-c fingerprint.schema=s1'), only the tables of that schema: a
-- query over ten thousand tables takes more locks than a default lock
-- table holds, so bench/ asks schema by schema.
SELECT format('%I.%I', n.nspname, c.relname) AS relation,
       (xpath('/row/n/text()', x))[1]::text AS rows,
       coalesce((xpath('/row/h/text()', x))[1]::text, md5('')) AS md5
FROM pg_catalog.pg_class c
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
CROSS JOIN LATERAL pg_catalog.query_to_xml(
    format('SELECT count(*) AS n, md5(string_agg(md5(t::text), '''' ORDER BY md5(t::text))) AS h FROM %I.%I t',
           n.nspname, c.relname), false, true, '') x
WHERE c.relkind IN ('r', 'p')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema')
  AND n.nspname !~ '^pg_toast'
  AND coalesce(nullif(current_setting('fingerprint.schema', true), ''), n.nspname) = n.nspname
ORDER BY 1;
