-- The "wide" dataset of the benchmark: several big tables of mixed types
-- (text, jsonb, numeric, bytea, arrays, timestamps, inet, uuid, values large
-- enough to be TOASTed), secondary indexes and a foreign key, with one table,
-- wide_events, holding about half of the data so that copying a single table
-- in parallel parts matters.  psql -v mb=N sets the size, about N MB of
-- table data.  Deterministic: the same N gives the same rows.
\set ON_ERROR_STOP on
SELECT :mb::bigint * 1024 * 1024 / 2 / 330 AS events,
       :mb::bigint * 1024 * 1024 / 5 / 1850 AS documents,
       :mb::bigint * 1024 * 1024 / 10 / 560 AS blobs,
       :mb::bigint * 1024 * 1024 / 5 / 145 AS metrics
\gset
SELECT setseed(0.42);

CREATE TABLE wide_accounts (
    id int PRIMARY KEY,
    name text NOT NULL,
    email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL
);
INSERT INTO wide_accounts
SELECT i, 'account ' || i, 'user' || i || '@example.org',
       '2020-01-01'::timestamptz + i * interval '1 minute'
FROM generate_series(1, 10000) i;

CREATE TABLE wide_events (
    id bigint PRIMARY KEY,
    account_id int NOT NULL REFERENCES wide_accounts,
    created_at timestamptz NOT NULL,
    kind text NOT NULL,
    amount numeric(14, 2),
    payload jsonb NOT NULL,
    tags text[],
    flagged boolean NOT NULL DEFAULT false
);
INSERT INTO wide_events
SELECT i, 1 + (i::bigint * 7919 % 10000)::int,
       '2024-01-01'::timestamptz + i * interval '1 second',
       (ARRAY['click', 'view', 'purchase', 'refund', 'signup'])[1 + i % 5],
       CASE WHEN i % 7 = 0 THEN NULL ELSE round((random() * 100000)::numeric, 2) END,
       jsonb_build_object('session', md5(i::text), 'page', '/p/' || (i % 977),
                          'ms', (random() * 5000)::int, 'ok', i % 3 <> 0,
                          'items', jsonb_build_array(i % 11, i % 13, 'sku-' || (i % 1000)),
                          'agent', 'Mozilla/5.0 (X11; Linux x86_64) bench/' || (i % 50)),
       CASE WHEN i % 4 = 0 THEN NULL ELSE ARRAY['t' || (i % 17), 't' || (i % 23)] END,
       i % 101 = 0
FROM generate_series(1, :events) i;
CREATE INDEX wide_events_account ON wide_events (account_id);
CREATE INDEX wide_events_created ON wide_events (created_at);

CREATE TABLE wide_documents (
    id bigint PRIMARY KEY,
    title text NOT NULL,
    body text NOT NULL,
    lang char(2) NOT NULL,
    version numeric NOT NULL
);
-- every tenth body is long enough (about 6 kB of hex) to be TOASTed
INSERT INTO wide_documents
SELECT i, 'document ' || i || ' ' || md5((i * 3)::text),
       (SELECT string_agg(md5((i * 100 + j)::text || random()::text), ' ')
        FROM generate_series(1, CASE WHEN i % 10 = 0 THEN 180 ELSE 33 END) j),
       (ARRAY['en', 'fi', 'de', 'fr'])[1 + i % 4], (i % 9) / 3.0
FROM generate_series(1, :documents) i;
CREATE INDEX wide_documents_title ON wide_documents (title);

CREATE TABLE wide_blobs (
    id uuid PRIMARY KEY,
    name text NOT NULL,
    data bytea NOT NULL,
    checksum bytea NOT NULL
);
INSERT INTO wide_blobs
SELECT md5('blob' || i)::uuid, 'blob-' || i || '.bin', b, sha256(b)
FROM generate_series(1, :blobs) i,
     LATERAL (SELECT decode(string_agg(md5((i * 31 + j)::text), ''), 'hex') AS b
              FROM generate_series(1, 32) j) d;

CREATE TABLE wide_metrics (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    device_id int NOT NULL,
    ts timestamptz NOT NULL,
    reading double precision,
    vals float8[] NOT NULL,
    source inet NOT NULL
);
INSERT INTO wide_metrics (device_id, ts, reading, vals, source)
SELECT i % 5000, '2025-01-01'::timestamptz + i * interval '100 milliseconds',
       random() * 1000, ARRAY[random(), random(), random(), random(), random(), random()],
       ('10.' || (i % 250) || '.' || (i % 199) || '.' || (i % 251))::inet
FROM generate_series(1, :metrics) i;
CREATE INDEX wide_metrics_device_ts ON wide_metrics (device_id, ts);
