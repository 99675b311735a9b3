# migrate.verify and the option verify (issue: fidelity): a rich source
# (engine_source's shop and bench, and a database of hard cases: quoted
# names, a table without a key and with duplicate rows, numeric scales,
# enums, arrays, jsonb, large objects, materialized views populated, stale
# and unpopulated, a partitioned table, a table of two million rows)
# migrated with verify at the end finds no difference at any level; then
# the target is damaged (a changed row, a missing row, an extra row, a
# duplicate taken from a table without a key, a missing index, a sequence
# behind, a lost grant) and verify names each difference.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src) = engine_source();
$source->safe_psql('postgres', 'CREATE DATABASE hard; CREATE ROLE app_reader');
$source->safe_psql('hard', q{
	CREATE SCHEMA "Mixed Case";
	CREATE TYPE "Mixed Case".mood AS ENUM ('sad', 'ok', 'happy');
	CREATE TABLE "Mixed Case"."Odd ""Name""" (id bigint PRIMARY KEY, "Value" numeric, m "Mixed Case".mood,
		tags text[], doc jsonb, at timestamptz, span interval, f float8);
	INSERT INTO "Mixed Case"."Odd ""Name"""
		SELECT i, CASE WHEN i % 3 = 0 THEN 1.10 ELSE i / 7.0 END, (ARRAY['sad', 'ok', 'happy'])[i % 3 + 1]::"Mixed Case".mood,
		       ARRAY['a' || i, NULL], jsonb_build_object('i', i, 'n', NULL), '2024-02-29 12:00+02'::timestamptz + i * interval '1 minute',
		       make_interval(days => i % 5, hours => i % 24), i * 0.1
		FROM generate_series(1, 5000) i;
	CREATE TYPE pair AS (a int, b text);
	CREATE TABLE pairs (id int PRIMARY KEY, p pair);
	INSERT INTO pairs VALUES (1, ROW(1, NULL)), (2, NULL), (3, ROW(NULL, NULL)), (4, ROW(4, 'x'));
	CREATE TABLE no_key (a int, b text);
	INSERT INTO no_key SELECT i % 100, 'v' || (i % 100) FROM generate_series(1, 3000) i;
	CREATE TABLE big (id int PRIMARY KEY, v int NOT NULL);
	INSERT INTO big SELECT i, i % 1000 FROM generate_series(1, 2000000) i;
	CREATE INDEX big_v ON big (v);
	CREATE INDEX big_some ON big (v) WHERE v > 5 AND id > 100;
	CREATE TABLE events (id int, at date, what text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
	CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
	CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
	INSERT INTO events SELECT i, '2024-06-01'::date + (i % 400), 'e' || i FROM generate_series(1, 2000) i;
	CREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN NEW.what := upper(NEW.what); RETURN NEW; END';
	CREATE TRIGGER stamp BEFORE INSERT ON events_2025 FOR EACH ROW EXECUTE FUNCTION stamp();
	CREATE SEQUENCE counter;
	SELECT setval('counter', 4242);
	CREATE MATERIALIZED VIEW mv_fresh AS SELECT count(*) AS n FROM big;
	CREATE MATERIALIZED VIEW mv_stale AS SELECT count(*) AS n FROM no_key;
	INSERT INTO no_key VALUES (1, 'v1');
	CREATE MATERIALIZED VIEW mv_empty AS SELECT 1 AS one WITH NO DATA;
	GRANT SELECT ON big TO app_reader;
	-- a cast to text that would run code: verify reads text through output functions, never a cast
	CREATE TABLE cast_calls (n int);
	CREATE FUNCTION "Mixed Case".mood_text("Mixed Case".mood) RETURNS text LANGUAGE plpgsql
		AS 'BEGIN INSERT INTO public.cast_calls VALUES (1); RETURN ''cast''; END';
	CREATE CAST ("Mixed Case".mood AS text) WITH FUNCTION "Mixed Case".mood_text("Mixed Case".mood);
	SELECT lo_from_bytea(0, convert_to(repeat('large object ', 1000), 'UTF8'));
	SELECT lo_from_bytea(0, '\x00ff00ff');
});

my $target = engine_target('target');

# ---- bad input ------------------------------------------------------------------------
my ($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '{\"verify\": \"everything\"}')");
like($err, qr/invalid value "everything" for option "verify".*Valid values are: none, schema, counts, checksums, rows/s,
	'an unknown level of the option verify is refused with the levels');
($ret, $out, $err) = $target->psql('postgres', 'SELECT * FROM migrate.verify(424242)');
like($err, qr/migration 424242 does not exist/, 'verify of a migration that does not exist');

# ---- the option verify: each database checked as its data is in ----------------------------
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\", \"bench\", \"hard\"],"
	  . " \"verify\": \"rows\"}')");
($ret, $out, $err) = $target->psql('postgres', "SELECT * FROM migrate.verify($id, 'nonsense')");
like($err, qr/invalid verify level "nonsense".*Valid levels are: schema, counts, checksums, rows/s, 'a bad level is refused');
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '600 s')"), 'done', 'migrated with verify rows')
  or diag(migration_diag($target, $id));
is($target->safe_psql('postgres', "SELECT state || ' ' || level || ' ' || differences FROM migrate.verify_run"
	  . " WHERE migration_id = $id AND run = 1"), 'done rows 0', 'its verify run found no difference');
is($target->safe_psql('postgres', "SELECT string_agg(DISTINCT source_at, ',') FROM migrate.verify_result"
	  . " WHERE migration_id = $id AND run = 1"), 'snapshot', 'the source was read at the snapshot the data was copied at');
is($target->safe_psql('postgres', "SELECT string_agg(format('%s %s %s %s %s', dbname, relation, check_name, status, detail), E'\\n')"
	  . " FROM migrate.verify_result WHERE migration_id = $id AND status <> 'ok'"), '', 'no result but ok');
my $checks = $target->safe_psql('postgres', "SELECT string_agg(DISTINCT check_name, ',' ORDER BY check_name)"
	  . " FROM migrate.verify_result WHERE migration_id = $id");
for my $check (qw(checksum column constraint extension function index large_objects large_objects_data owner privileges
	relation schema sequence sequence_value trigger type view))
{
	like($checks, qr/(^|,)\Q$check\E(,|$)/, "verify checked $check");
}
is($target->safe_psql('postgres', "SELECT source_value FROM migrate.verify_result WHERE migration_id = $id"
	  . " AND dbname = 'hard' AND relation = 'public.big' AND check_name = 'checksum'"),
	'2000000 rows', 'the table of two million rows is hashed whole first');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.verify_result WHERE migration_id = $id"
	  . " AND dbname = 'hard' AND check_name = 'checksum' AND relation IN ('public.events_2024', 'public.events_2025')"),
	'2', 'partitions are checked one by one');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.event WHERE migration_id = $id AND kind = 'verifying'"),
	'3', 'each database went through verifying');

# ---- migrate.verify of a migration that is over, at every level ------------------------------
for my $level (qw(schema counts checksums rows))
{
	my $bad = $target->safe_psql('postgres', "SELECT count(*) FILTER (WHERE status <> 'ok') || ' of ' || count(*)"
		  . " FROM migrate.verify($id, '$level')");
	like($bad, qr/^0 of [1-9]\d*$/, "verify $level: no difference");
}
is($target->safe_psql('postgres', "SELECT string_agg(DISTINCT source_at, ',') FROM migrate.verify_result"
	  . " WHERE migration_id = $id AND run > 1"), 'now', 'a later verify reads the source as it is');
is($target->safe_psql('postgres', "SELECT string_agg(run || ':' || level || ':' || state, ' ' ORDER BY run)"
	  . " FROM migrate.verify_run WHERE migration_id = $id"),
	'1:rows:done 2:schema:done 3:counts:done 4:checksums:done 5:rows:done', 'every run is kept');
is($target->safe_psql('postgres', "SELECT state FROM migrate.migration WHERE id = $id"), 'done',
	'and the migration is as it was');
is($target->safe_psql('hard', 'SELECT count(*) FROM cast_calls') . ' ' . $source->safe_psql('hard', 'SELECT count(*) FROM cast_calls'),
	'0 0', 'no cast the source defined ran, on either side');

# ---- a verify cut short, then another ---------------------------------------------------------
# (a table locked on the target holds the run up until its caller gives up)
my $holder = $target->background_psql('hard');
$holder->query_safe('BEGIN');
$holder->query_safe('LOCK TABLE big IN ACCESS EXCLUSIVE MODE');
($ret, $out, $err) = $target->psql('postgres', "SET statement_timeout = '3s'; SELECT count(*) FROM migrate.verify($id, 'rows')");
like($err, qr/canceling statement due to statement timeout/, 'a verify cut short by its caller');
is(poll_until($target, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'", qr/^0$/), '0',
	'its coordinator ends with it');
$holder->query_safe('COMMIT');
$holder->quit;
like($target->safe_psql('postgres', "SELECT count(*) FILTER (WHERE status <> 'ok') || ' of ' || count(*) FROM migrate.verify($id, 'counts')"),
	qr/^0 of [1-9]\d*$/, 'the next verify runs to its end');
is($target->safe_psql('postgres', "SELECT string_agg(DISTINCT state, ',') FROM migrate.verify_run WHERE migration_id = $id"
	  . " AND run = (SELECT max(run) - 1 FROM migrate.verify_run WHERE migration_id = $id)"), 'failed',
	'and the one cut short says it failed');

# ---- the target damaged: each difference named -----------------------------------------------
$target->safe_psql('hard', q{
	UPDATE big SET v = v + 1 WHERE id = 777;
	DELETE FROM big WHERE id = 1234567;
	INSERT INTO big VALUES (2000001, 0);
	DELETE FROM no_key WHERE ctid = (SELECT min(ctid) FROM no_key WHERE a = 5);
	UPDATE "Mixed Case"."Odd ""Name""" SET "Value" = 1.1 WHERE id = 3;
	DROP INDEX big_v;
	DROP INDEX big_some;
	CREATE INDEX big_some ON big (v) WHERE v > 5 AND id > 101;
	UPDATE pairs SET p = ROW(2, NULL) WHERE id = 1;
	UPDATE pairs SET p = NULL WHERE id = 3;
	SELECT setval('counter', 10);
	REVOKE SELECT ON big FROM app_reader;
	SELECT lo_put(max(oid), 0, '\x01') FROM pg_largeobject_metadata;
});
my $found = $target->safe_psql('postgres', "SELECT string_agg(concat_ws(' | ', dbname, relation, check_name, status,"
	  . " source_value, target_value, detail), E'\\n') FROM migrate.verify($id, 'rows') WHERE status <> 'ok'");
like($found, qr/^hard \| public\.big \| row \| differs \| \(777,777\) \| \(777,778\) \| key \(id\) = \(777\)$/m,
	'a changed row: its key, and the row on both sides');
like($found, qr/^hard \| public\.big \| row \| missing \| \(1234567,567\) \| key \(id\) = \(1234567\)$/m, 'a missing row');
like($found, qr/^hard \| public\.big \| row \| extra \| \(2000001,0\) \| key \(id\) = \(2000001\)$/m, 'an extra row');
like($found, qr/^hard \| public\.no_key \| row \| missing \| \(5,v5\) \| a row of the source that the target does not have/m,
	'one of duplicate rows of a table without a key');
like($found, qr/^hard \| "Mixed Case"\."Odd ""Name""" \| row \| differs \| .*key \(id\) = \(3\)$/m,
	'numeric 1.10 against 1.1 (the same value, another scale) in a table whose name needs quoting');
like($found, qr/^hard \| public\.big \| checksum \| differs \| 2000000 rows in 2048 ranges \| 2000000 rows in 2048 ranges \| 3 of 2048 ranges differ/m,
	'the ranges that differ');
like($found, qr/^hard \| public\.pairs \| row \| differs \| \(1,"\(1,\)"\) \| \(1,"\(2,\)"\) \| key \(id\) = \(1\)$/m,
	'a composite value with a null field, changed');
like($found, qr/^hard \| public\.pairs \| row \| differs \| \(3,"\(,\)"\) \| \(3,\) \| key \(id\) = \(3\)$/m,
	'a composite of nulls against a null');
like($found, qr/^hard \| public\.big_v \| index \| missing \| CREATE INDEX big_v ON public\.big USING btree \(v\)/m, 'a missing index');
like($found, qr/^hard \| public\.big_some \| index \| differs \| .*WHERE \(\(v > 5\) AND \(id > 100\)\) \| .*WHERE \(\(v > 5\) AND \(id > 101\)\)$/m,
	'an index that differs past its 63rd byte (values compared whole, not as names)');
like($found, qr/^hard \| public\.counter \| sequence_value \| differs \| 4242 \| 10$/m, 'a sequence behind');
like($found, qr/^hard \| relation public\.big \| privileges \| differs \| .*app_reader=r.* \| /m, 'a lost grant');
like($found, qr/^hard \| large object \d+ \| large_objects_data \| differs \| -?\d+ \| -?\d+$/m, 'a changed large object, by its oid');
like($found, qr/^hard \| large_objects_data \| differs \| 2 objects \| 2 objects \| 1 difference$/m, 'and how many differ');
unlike($found, qr/^(shop|bench) /m, 'the databases not damaged have no difference');
# (repair copies tables again, not large objects: this one is put back by hand)
$target->safe_psql('hard', q{SELECT lo_put(max(oid), 0, '\x00') FROM pg_largeobject_metadata});

# ---- migrate.repair: the ranges that differ copied again ------------------------------------------
my $repaired = $target->safe_psql('postgres', "SELECT string_agg(concat_ws(' | ', dbname, relation, status, rows_copied, rows_deleted, detail), E'\\n'"
	  . " ORDER BY relation) FROM migrate.repair($id)");
like($repaired, qr/^hard \| public\.big \| repaired \| (\d+) rows copied \| (\d+) rows deleted \| 3 of 2048 ranges differed \(ranges of the key \(id\)\)$/m,
	'repair copies again the three ranges of the large table that differ, and only them');
my ($copied_rows) = $repaired =~ /public\.big \| repaired \| (\d+) rows copied/;
ok(defined $copied_rows && $copied_rows < 20000, 'a few thousand rows of two million');
like($repaired, qr/^hard \| public\.no_key \| repaired \| .*\(no key: ranges of the row hash\)$/m, 'the table without a key too');
like($repaired, qr/^hard \| public\.pairs \| repaired /m, 'and the table of composites');
like($repaired, qr/^hard \| "Mixed Case"\."Odd ""Name""" \| repaired /m, 'and the one whose name needs quoting');
$found = $target->safe_psql('postgres', "SELECT string_agg(concat_ws(' ', relation, check_name, status), ', ' ORDER BY check_name, relation)"
	  . " FROM migrate.verify($id, 'rows') WHERE status <> 'ok' AND relation IS NOT NULL");
like($repaired, qr/^hard \| public\.counter \| repaired \| 4242 \| the sequence set to the source's value$/m,
	'the sequence that was behind is the source\'s again');
is($found, 'public.big_some index differs, public.big_v index missing, relation public.big privileges differs',
	'verify again: every row and sequence is the source\'s; what repair does not mend (indexes, a grant) is still named');
is($target->safe_psql('hard', 'SELECT count(*) FROM big') . ' ' . $target->safe_psql('hard', 'SELECT v FROM big WHERE id = 777'),
	'2000000 777', 'the changed row is the source\'s, the extra one gone, the missing one back');


# ---- the dump method's snapshot: writes made on the source during the copy are no difference ---------
$source->safe_psql('postgres', 'CREATE DATABASE busy');
$source->safe_psql('busy', slow_table_sql('slow', 1500));
$source->safe_psql('busy', 'CREATE TABLE quick (id int PRIMARY KEY); INSERT INTO quick SELECT generate_series(1, 100)');
$id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"roles\": false, \"databases\": [\"busy\"],"
	  . " \"verify\": \"rows\"}')");
is(poll_until($target, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'", qr/^copying$/),
	'copying', 'the slow table copies');
$source->safe_psql('busy', 'INSERT INTO quick SELECT generate_series(101, 150); DELETE FROM quick WHERE id <= 10');
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'rows written on the source while it copied are no difference: the source is read at the snapshot')
  or diag(migration_diag($target, $id));
is($target->safe_psql('busy', 'SELECT count(*) FROM quick'), '100', 'the target has the snapshot\'s rows');
like($target->safe_psql('postgres', "SELECT count(*) FILTER (WHERE status <> 'ok') || ' ' || string_agg(DISTINCT status, ',')"
	  . " FROM migrate.verify($id, 'counts') WHERE relation = 'public.quick'"),
	qr/^1 differs$/, 'and a later verify, reading the source as it is now, says the source moved on');

# ---- the replication method: verified at cutover, the source still fenced -------------------------
$source->safe_psql('postgres', 'CREATE DATABASE live');
$source->safe_psql('live', q{
	CREATE TABLE orders (id serial PRIMARY KEY, n int, note text);
	INSERT INTO orders (n, note) SELECT i, 'o' || i FROM generate_series(1, 1000) i;
	CREATE TABLE log (at int, what text);
	INSERT INTO log SELECT i, 'x' FROM generate_series(1, 50) i;
});
$id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"replication\", \"roles\": false, \"databases\": [\"live\"],"
	  . " \"fence_writes\": true, \"verify\": \"rows\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'replicating', '300 s')"), 'replicating', 'replicating')
  or diag(migration_diag($target, $id));
$source->safe_psql('live', q{
	INSERT INTO orders (n, note) SELECT -i, 'new' FROM generate_series(1, 200) i;
	UPDATE orders SET note = 'changed' WHERE id % 10 = 0;
	DELETE FROM orders WHERE id % 97 = 0;
	INSERT INTO log VALUES (51, 'y');
	DELETE FROM log WHERE at = 3;
});
is($target->safe_psql('postgres', "SELECT string_agg(dbname || ' ' || status, ', ') FROM migrate.cutover($id, '300 s')"),
	'live done', 'cut over, and verified') or diag(migration_diag($target, $id));
is($target->safe_psql('postgres', "SELECT state || ' ' || differences FROM migrate.verify_run WHERE migration_id = $id AND run = 1"),
	'done 0', 'every change made while replicating is on the target: no difference');
is($target->safe_psql('postgres', "SELECT string_agg(DISTINCT source_at, ',') FROM migrate.verify_result WHERE migration_id = $id"),
	'now', 'the source read at cutover');
like(event_kinds($target, $id), qr/writes_fenced.*cutover_done.*verifying.*writes_resumed.*database_done/,
	'the source\'s writes resume only once the run is over');
is($source->safe_psql('live', "SELECT count(*) FROM pg_replication_slots WHERE slot_name LIKE 'aiven_db_migrate%'"),
	'0', 'and the slot is gone');
is($target->safe_psql('live', 'SHOW default_transaction_read_only') . ' '
	  . $target->safe_psql('live', "INSERT INTO orders (n, note) VALUES (0, 'on the target') RETURNING note"),
	'off on the target', 'the target is not read-only: the cutover\'s fence of the source is not copied to it');
is($source->safe_psql('live', 'SHOW default_transaction_read_only'), 'off', 'and the source writes again');

# ---- the option verify fails a database that differs ----------------------------------------------
$source->safe_psql('postgres', 'CREATE DATABASE late');
$source->safe_psql('late', 'CREATE TABLE t (id int PRIMARY KEY); INSERT INTO t SELECT generate_series(1, 10)');
$target->safe_psql('postgres', 'CREATE DATABASE late');
# the table is there already, with another type: the merge keeps it, copies into it
# as text (binary is read back only by the type that wrote it), and it differs
$target->safe_psql('late', 'CREATE TABLE t (id bigint PRIMARY KEY); CREATE TABLE stray (id int)');
$id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"roles\": false, \"databases\": [\"late\"],"
	  . " \"if_exists\": \"merge\", \"verify\": \"counts\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed',
	'a merge into a database whose table differs from the source\'s fails its verify');
like($target->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id"),
	qr/^verify \(counts\) found \d+ differences: SELECT \* FROM migrate\.verify_result WHERE migration_id = $id AND run = 1/,
	'the database says what it found and where to look');
like($target->safe_psql('postgres', "SELECT string_agg(concat_ws(' ', check_name, relation, status), ',' ORDER BY check_name)"
	  . " FROM migrate.verify_result WHERE migration_id = $id AND status NOT IN ('ok')"),
	qr/column public\.t\.id differs.*relation public\.stray own/, 'the column that differs; the table only the target has is its own');
is($target->safe_psql('postgres', "SELECT concat_ws(' ', status, source_value, target_value)"
	  . " FROM migrate.verify_result WHERE migration_id = $id AND relation = 'public.t' AND check_name = 'count'"), 'ok 10 10',
	'and the table copied is whole');

# ---- a non-superuser admin: verify and repair as it may -------------------------------------------
my $pw = 'Mover-pa55word-2';
$source->safe_psql('postgres', "CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw'; CREATE DATABASE owned");
$source->safe_psql('owned', q{
	CREATE ROLE app_owner;
	GRANT CREATE ON SCHEMA public TO app_owner;
	CREATE TABLE plain (id int PRIMARY KEY, v int);
	INSERT INTO plain SELECT i, i FROM generate_series(1, 3000) i;
	CREATE TABLE parent (id int PRIMARY KEY);
	INSERT INTO parent SELECT generate_series(1, 10);
	CREATE TABLE child (id int PRIMARY KEY, p int REFERENCES parent ON DELETE CASCADE);
	INSERT INTO child SELECT i, i FROM generate_series(1, 10) i;
	ALTER TABLE plain OWNER TO app_owner;
	ALTER TABLE parent OWNER TO app_owner;
	ALTER TABLE child OWNER TO app_owner;
});
$target->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin;
	GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO admin;
});
my $mover = source_uri($source, 'mover', $pw);
$id = $target->safe_psql('postgres', "SET ROLE admin; SELECT migrate.start('$mover', '{\"method\": \"dump\","
	  . " \"databases\": [\"owned\"], \"exclude_roles\": [\"mover\"], \"verify\": \"checksums\"}')");
is($target->safe_psql('postgres', "SET ROLE admin; SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'a non-superuser admin\'s migration, verified') or diag(migration_diag($target, $id));
is($target->safe_psql('postgres', "SET ROLE admin; SELECT count(*) FILTER (WHERE status <> 'ok') FROM migrate.verify($id, 'rows')"),
	'0', 'the admin verifies its own migration');
$target->safe_psql('owned', 'UPDATE plain SET v = -1 WHERE id = 42; INSERT INTO parent VALUES (99)');
$target->safe_psql('postgres', "SET ROLE admin; SELECT count(*) FROM migrate.verify($id, 'counts')");
$target->safe_psql('postgres', "SET ROLE admin; SELECT count(*) FROM migrate.verify($id, 'checksums')");
$repaired = $target->safe_psql('postgres', "SET ROLE admin; SELECT string_agg(concat_ws(' | ', relation, status, detail), E'\\n' ORDER BY relation)"
	  . " FROM migrate.repair($id)");
like($repaired, qr/^public\.parent \| skipped \| the table has triggers, rules or foreign keys, which only a superuser's repair can keep from acting/m,
	'a table with a foreign key (whose cascade would empty the child) is not repaired by a non-superuser, and says why');
like($repaired, qr/^public\.plain \| repaired \| 1 of \d+ ranges? differed/m, 'a plain table is');
is($target->safe_psql('owned', 'SELECT (SELECT v FROM plain WHERE id = 42) || \' \' || (SELECT count(*) FROM child)'), '42 10',
	'the row is the source\'s again, and the child table kept every row');

done_testing();
