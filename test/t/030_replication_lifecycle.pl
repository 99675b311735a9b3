# The replication method's life: refused before anything exists when the
# source cannot replicate and replication was asked for; auto falling back
# to dump with the reason; the coordinator killed in the middle of the copy
# and while replicating; stop keeping the objects, resume, cancel removing
# them; tables made on the source while replicating joining the stream;
# cleanup dropping leftovers but never an active migration's, twice.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $me = scalar getpwuid($<);
my $target = engine_target('target');

# ---- a source without logical decoding ---------------------------------------
my $replica = new_source('replica', wal_level => 'replica');
$replica->safe_psql('postgres', 'CREATE DATABASE plain');
$replica->safe_psql('plain', 'CREATE TABLE t AS SELECT i FROM generate_series(1, 100) i');
my $rsrc = source_uri($replica, $me, undef);
my ($ret, $out, $err) = $target->psql('postgres',
	"SELECT migrate.start('$rsrc', '{\"method\": \"replication\", \"databases\": [\"plain\"]}')");
like($err, qr/the source cannot be migrated: 1 check failed.*method: replication is not possible: wal_level is replica/s,
	'replication asked for on a wal_level = replica source: an error');
is($target->safe_psql('postgres', 'SELECT count(*) FROM migrate.migration'), '0', 'and nothing was started');
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$rsrc', '{\"databases\": [\"plain\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'auto: done');
like($target->safe_psql('postgres', "SELECT method || ': ' || message FROM migrate.databases WHERE migration_id = $id"),
	qr/^dump: copied with dump: wal_level is replica$/, 'auto chose dump, and the database says why');
is($target->safe_psql('plain', 'SELECT count(*) FROM t'), '100', 'the rows are there');

# ---- the coordinator killed mid-copy, and while replicating -----------------
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE shop');
$source->safe_psql('shop', slow_table_sql('slow', 3000));
$source->safe_psql('shop', q{
	CREATE TABLE items (id serial PRIMARY KEY, n int);
	INSERT INTO items (n) SELECT i FROM generate_series(1, 500) i;
	CREATE TABLE events (id int, at date, v text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
	CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	CREATE INDEX events_v ON events (v);
	INSERT INTO events SELECT i, '2026-03-01', 'old' FROM generate_series(1, 20) i;
});
my $src = source_uri($source, $me, undef);
my $opts = '{"method": "replication", "databases": ["shop"], "roles": false, "workers": 2}';
$id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
is(poll_until($target, "SELECT string_agg(table_name || ' ' || state, ', ' ORDER BY table_name)"
	  . " FROM migrate.table_progress WHERE migration_id = $id AND table_name IN ('items', 'slow')", qr/^items done, slow copying$/),
	'items done, slow copying', 'one table copied, the slow one copying');
$source->safe_psql('shop', 'INSERT INTO items (n) SELECT -i FROM generate_series(1, 100) i');
$target->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'});
$source->safe_psql('shop', 'UPDATE items SET n = n + 1000 WHERE id % 7 = 0');
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'replicating', '300 s')"), 'replicating',
	'killed mid-copy, the launcher starts the coordinator again and the database replicates')
  or diag(migration_diag($target, $id));
like(event_kinds($target, $id), qr/^(?!.*slot_created.*slot_created).*slot_created.*snapshot_moved/,
	'the slot is kept; a new snapshot for the table still to copy');
is($target->safe_psql('postgres', "SELECT string_agg(table_name || ' ' || attempts || ' ' || (snapshot_lsn IS NOT NULL)::text, ', '"
	  . " ORDER BY table_name) FROM migrate.task WHERE migration_id = $id AND kind = 'copy' AND table_name IN ('items', 'slow')"),
	'items 1 false, slow 2 true', 'the table copied is not copied again; the other, at the position of its snapshot');

$target->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'});
$source->safe_psql('shop', 'DELETE FROM items WHERE id % 5 = 0; INSERT INTO items (n) VALUES (42)');
ok($target->poll_query_until('shop', "SELECT count(*) = 1 FROM items WHERE n = 42"),
	'the subscription applies while the coordinator is gone');
is(poll_until($target, "SELECT count(*) FROM migrate.event WHERE migration_id = $id AND kind = 'resumed'", qr/^2$/),
	'2', 'killed while replicating, the coordinator comes back');
is($target->safe_psql('postgres', "SELECT migrate.wait_for_lag($id, 0, '120 s')"), 't', 'and the lag reaches 0');
is_deeply(table_fingerprints($target, 'shop'), table_fingerprints($source, 'shop'),
	'the target has every change, through both kills');

# ---- stop keeps the objects, resume goes on ---------------------------------
$target->safe_psql('postgres', "SELECT migrate.stop($id)");
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $id", qr/^stopped$/), 'stopped', 'stopped');
like(event_kinds($target, $id), qr/replication_kept/, 'and an event says the objects are kept');
is($source->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'aiven_db_migrate_shop_slot'"),
	'1', 'the slot is kept');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_subscription WHERE subname = 'aiven_db_migrate_shop_sub'"),
	'1', 'the subscription is kept');

# ---- cleanup: leftovers go, the active migration's objects stay ----------------
$source->safe_psql('shop', q{
	SELECT pg_create_logical_replication_slot('aiven_db_migrate_old_slot', 'pgoutput');
	CREATE PUBLICATION aiven_db_migrate_old_pub FOR TABLE items;
});
$target->safe_psql('shop', "CREATE SUBSCRIPTION aiven_db_migrate_old_sub CONNECTION '"
	  . "host=127.0.0.1 port=" . $source->port . " dbname=shop user=$me' PUBLICATION aiven_db_migrate_old_pub WITH (connect = false)");
my $rows = $target->safe_psql('postgres',
	"SELECT string_agg(concat_ws(' ', side, dbname, object_type, object_name, status), E'\\n' ORDER BY side DESC, object_type, object_name)"
	. " FROM migrate.cleanup('$src')");
is($rows, join("\n",
	"target shop subscription aiven_db_migrate_old_sub dropped",
	"target shop subscription aiven_db_migrate_shop_sub kept: migration $id uses it",
	"source shop publication aiven_db_migrate_old_pub dropped",
	"source shop publication aiven_db_migrate_shop_pub kept: migration $id uses it",
	"source shop slot aiven_db_migrate_old_slot dropped",
	"source shop slot aiven_db_migrate_shop_slot kept: migration $id uses it"),
	'cleanup drops the leftovers and keeps what a stopped migration uses');
$rows = $target->safe_psql('postgres', "SELECT count(*) FILTER (WHERE status LIKE 'kept%'), count(*) FROM migrate.cleanup('$src')");
is($rows, '3|3', 'a second cleanup finds only what it keeps');

$target->safe_psql('postgres', "SELECT migrate.resume($id)");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'replicating', '300 s')"), 'replicating', 'resumed, it replicates');
$source->safe_psql('shop', 'INSERT INTO items (n) VALUES (4242)');
ok($target->poll_query_until('shop', "SELECT count(*) = 1 FROM items WHERE n = 4242"), 'and applies');

# ---- the source's schema changes under the subscription ------------------------
# Tables made on the source join the stream (created here, copied by the
# subscription's table sync, then their changes); a column added is named.
$source->safe_psql('shop', q{
	CREATE TABLE newbie (id int, note text);
	INSERT INTO newbie SELECT i, 'note ' || i FROM generate_series(1, 300) i;
	CREATE TABLE "New Keyed" (id int PRIMARY KEY, v text NOT NULL);
	CREATE INDEX keyed_v ON "New Keyed" (v);
	INSERT INTO "New Keyed" VALUES (1, 'a'), (2, 'b');
	ALTER TABLE items ADD COLUMN extra int;
});
is(poll_until($target, "SELECT detail->>'tables' FROM migrate.event WHERE migration_id = $id AND kind = 'tables_joining'",
	qr/New Keyed/), '{"public.\"New Keyed\"",public.newbie}', 'the tables made on the source join the stream');
is(poll_until($target, "SELECT state FROM migrate.task WHERE migration_id = $id AND kind = 'join'", qr/^(done|failed)$/),
	'done', 'their join ends once the table sync has them ready')
  or diag(migration_diag($target, $id));
is($source->safe_psql('shop', "SELECT relreplident FROM pg_class WHERE relname = 'newbie'"), 'f',
	'the one without a key has REPLICA IDENTITY FULL on the source');
is($target->safe_psql('shop', q{SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'New Keyed'}),
	'New Keyed_pkey,keyed_v', 'the other has its key and index on the target');
$source->safe_psql('shop', q{
	UPDATE newbie SET note = 'changed' WHERE id <= 10;
	DELETE FROM newbie WHERE id > 290;
	INSERT INTO "New Keyed" VALUES (3, 'c');
	UPDATE "New Keyed" SET v = 'z' WHERE id = 1;
});
is($target->safe_psql('postgres', "SELECT migrate.wait_for_lag($id, 0, '120 s')"), 't', 'the lag reaches 0');
for my $t ('newbie', '"New Keyed"')
{
	my $q = "SELECT count(*) || ' ' || md5(string_agg(t::text, ',' ORDER BY t::text)) FROM $t t";
	is($target->safe_psql('shop', $q), $source->safe_psql('shop', $q), "$t: its rows and every change after them");
}

# a new partition of a partitioned table with a key and an index: attached
# on the target, it gets them at once, and post-data's own are taken as done
$source->safe_psql('shop', q{
	CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');
	INSERT INTO events SELECT i, '2027-06-01', 'new' FROM generate_series(1, 30) i;
});
is(poll_until($target, "SELECT count(*) FILTER (WHERE state = 'done') || ' ' || count(*) FROM migrate.task"
	  . " WHERE migration_id = $id AND kind = 'join'", qr/^2 2$/), '2 2', 'a new partition joins too')
  or diag(migration_diag($target, $id));
$source->safe_psql('shop', "UPDATE events SET v = 'changed' WHERE id <= 5; DELETE FROM events WHERE id > 25");
is($target->safe_psql('postgres', "SELECT migrate.wait_for_lag($id, 0, '120 s')"), 't', 'the lag reaches 0 again');
my $ev = "SELECT count(*) || ' ' || md5(string_agg(e::text, ',' ORDER BY e::text)) FROM events e";
is($target->safe_psql('shop', $ev), $source->safe_psql('shop', $ev), 'the partitioned table has every row and change');
is($target->safe_psql('shop', "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE tablename = 'events_2027'"),
	'events_2027_pkey,events_2027_v_idx', 'and the new partition its key and index, once');
unlike($target->safe_psql('postgres', "SELECT coalesce(string_agg(detail->>'message', ' | '), '') FROM migrate.event"
	  . " WHERE migration_id = $id AND kind = 'warning'"), qr/not joined/, 'no table failed to join');

is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.event WHERE migration_id = $id AND kind = 'schema_changed'"),
	'1', 'the column added is an event');
like($target->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id AND dbname = 'shop'"),
	qr/schema changed while replicating.*: now public\.items\(id integer, n integer, extra integer\); was public\.items\(id integer, n integer\)$/,
	'and the database\'s message names it, and only it');

# ---- cancel removes the objects ---------------------------------------------
$target->safe_psql('postgres', "SELECT migrate.cancel($id)");
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $id", qr/^cancelled$/), 'cancelled', 'cancelled');
is($source->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots"), '0', 'cancel dropped the slot');
is($source->safe_psql('shop', "SELECT count(*) FROM pg_publication"), '0', 'and the publication');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_subscription"), '0', 'and the subscription');
is($source->safe_psql('shop', "SELECT relreplident FROM pg_class WHERE relname = 'newbie'"), 'd',
	'and gave the table that joined while replicating its replica identity back');
like(event_kinds($target, $id), qr/replication_removed.*cancelled$/, 'and says so');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.cleanup('$src')"), '0', 'nothing is left for cleanup');

done_testing();
