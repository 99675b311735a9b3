# The replication method end to end: pgbench writes on the source during
# the whole migration (a table without a key among what it changes); the
# copy reads the slot's snapshot, the subscription applies what came after;
# wait 'replicating', the lag, cutover; then every table and sequence (an
# unlogged table's and large objects too, which the cutover copies again)
# is the source's, and nothing of the method is left on either side.  A second
# database has a name that needs quoting and is too long for a slot name.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use MigrateTest;

my $source = new_source('source');
my $target = engine_target('target');
my $odd = 'Sales "EU" ' . ('x' x 40);
(my $odd_lit = $odd) =~ s/'/''/g;
(my $odd_ident = $odd) =~ s/"/""/g;
(my $odd_json = $odd_lit) =~ s/"/\\"/g;

$source->safe_psql('postgres', qq{CREATE DATABASE shop; CREATE DATABASE "$odd_ident"});
for my $db ('shop', $odd)
{
	$source->command_ok([ 'pgbench', '-i', '-s', '2', '-q', '-h', $source->host, '-p', $source->port, $db ],
		"pgbench tables in $db on the source");
}
my $extra = q{
	CREATE TABLE nopk (id int, v int, note text);
	INSERT INTO nopk SELECT i, 0, 'row ' || i FROM generate_series(1, 200) i;
	CREATE TABLE orders (id serial PRIMARY KEY, amount numeric NOT NULL, at timestamptz DEFAULT now());
	INSERT INTO orders (amount) SELECT i FROM generate_series(1, 1000) i;
	CREATE MATERIALIZED VIEW order_total AS SELECT count(*) AS n, sum(amount) AS total FROM orders;
	CREATE UNLOGGED TABLE scratch (id int PRIMARY KEY, v text);
	INSERT INTO scratch SELECT i, 'copied' FROM generate_series(1, 100) i;
};
$source->safe_psql('shop', $extra);
$source->safe_psql($odd, $extra);

# large objects are not replicated: the cutover brings them up to date
$source->safe_psql('shop', q{
	SELECT lo_from_bytea(9001, 'changes later');
	SELECT lo_from_bytea(9002, 'removed later');
	SELECT lo_from_bytea(9003, convert_to(repeat('ten bytes ', 600000), 'UTF8'));
});
my $los = "SELECT string_agg(oid || ':' || md5(lo_get(oid)), ',' ORDER BY oid) FROM pg_largeobject_metadata";

# writes all along: pgbench's own, and updates, deletes and inserts on the
# table without a key and on one with a sequence
my $script = "$PostgreSQL::Test::Utils::tmp_check/writes.sql";
open my $fh, '>', $script or die $!;
print $fh q{\set id random(1, 200)
UPDATE nopk SET v = v + 1 WHERE id = :id;
DELETE FROM nopk WHERE id = :id AND v > 3;
INSERT INTO nopk SELECT :id, 0, 'again' WHERE NOT EXISTS (SELECT 1 FROM nopk WHERE id = :id);
INSERT INTO orders (amount) VALUES (:id);
};
close $fh;
sub writer
{
	my ($db) = @_;
	my ($out, $err) = ('', '');
	my $h = IPC::Run::start(
		[ 'pgbench', '-n', '-c', '2', '-T', '900', '-R', '100', '-b', 'tpcb-like', '-f', $script,
		  '-h', $source->host, '-p', $source->port, $db ],
		'>', \$out, '2>', \$err);
	return $h;
}
my @writers = (writer('shop'), writer($odd));
sleep 1;

my $src = source_uri($source, scalar getpwuid($<), undef);
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"replication\", \"fence_writes\": true, \"databases\": [\"shop\", \"$odd_json\"], \"roles\": false}')");
my $reached = $target->safe_psql('postgres', "SELECT migrate.wait($id, 'replicating', '300 s')");
is($reached, 'replicating', 'the copy done, the subscriptions in sync while pgbench writes')
  or diag(migration_diag($target, $id));

my ($pub, $sub, $slot) = split /\|/, $target->safe_psql('postgres',
	"SELECT publication, subscription, slot FROM migrate.replication_names('$odd_lit')");
like($slot, qr/^aiven_db_migrate_sales__eu__x+_[0-9a-f]{8}_slot$/, 'a slot name made fit from the odd name');
is($target->safe_psql('postgres',
	"SELECT string_agg(dbname || ' ' || method || ' ' || status || ' ' || slot, ', ' ORDER BY dbname)"
	. " FROM migrate.databases WHERE migration_id = $id"),
	"$odd replication replicating $slot, shop replication replicating aiven_db_migrate_shop_slot",
	'both databases replicate, with their slots recorded');
is(join(',', sort split /\n/, $source->safe_psql('postgres', "SELECT slot_name FROM pg_replication_slots")),
	join(',', sort('aiven_db_migrate_shop_slot', $slot)), 'a slot a database on the source');
is($source->safe_psql($odd, "SELECT pubname FROM pg_publication"), $pub, 'the publication, by its name');
is($source->safe_psql('shop', "SELECT relreplident FROM pg_class WHERE relname = 'nopk'"), 'f',
	'the table without a key has REPLICA IDENTITY FULL while it is published');
like($target->safe_psql('postgres', "SELECT lag_bytes FROM migrate.status WHERE id = $id"), qr/^\d+$/,
	'status shows the lag');
like($target->safe_psql('postgres', "SELECT string_agg((slot_retained_bytes >= 0)::text, ',') FROM migrate.databases WHERE migration_id = $id"),
	qr/^true,true$/, 'and the WAL each slot keeps on the source');
like($target->safe_psql('postgres',
	"SELECT string_agg(dbname || ':' || (lag_bytes >= 0)::text || ':' || (source_lsn >= confirmed_flush_lsn)::text, ',' ORDER BY dbname)"
	. " FROM migrate.replication_lag($id)"),
	qr/^\Q$odd\E:true:true,shop:true:true$/, 'replication_lag, per database, from the source');

# an unlogged table's changes are not in the WAL: the cutover copies it again
$source->safe_psql('shop', q{
	UPDATE scratch SET v = 'changed while replicating' WHERE id <= 10;
	DELETE FROM scratch WHERE id > 90;
	INSERT INTO scratch VALUES (1000, 'made while replicating');
});
$source->safe_psql('shop', q{
	SELECT lo_put(9001, 8, 'CHANGED and longer');
	SELECT lo_put(9003, 5000000, 'a change in the second chunk');
	SELECT lo_unlink(9002);
	SELECT lo_from_bytea(9004, 'made while replicating');
	GRANT SELECT ON LARGE OBJECT 9004 TO PUBLIC;
});

# the source keeps writing a while, then stops; the target catches up
sleep 3;
$_->kill_kill for @writers;
is($target->safe_psql('postgres', "SELECT migrate.wait_for_lag($id, 0, '120 s')"), 't',
	'an idle source: the lag reaches 0');

# an apply error: the target has a row the source then inserts too
$target->safe_psql('shop', "INSERT INTO orders (id, amount) VALUES (999999, 1)");
$source->safe_psql('shop', "INSERT INTO orders (id, amount) VALUES (999999, 2)");
is(poll_until($target, "SELECT count(*) FROM migrate.errors WHERE migration_id = $id AND task = 'subscription aiven_db_migrate_shop_sub'",
	qr/^1$/), '1', 'an apply error shows in migrate.errors');
like($target->safe_psql('postgres', "SELECT error FROM migrate.status WHERE id = $id"),
	qr/^shop: the subscription's apply worker fails and tries again/, 'and in status');
like(event_kinds($target, $id), qr/apply_error/, 'and as an event');
$target->safe_psql('shop', "DELETE FROM orders WHERE id = 999999");
ok($target->poll_query_until('shop', "SELECT amount = 2 FROM orders WHERE id = 999999"),
	'once the cause is gone, the change is applied');
is(poll_until($target, "SELECT count(*) FROM migrate.errors WHERE migration_id = $id", qr/^0$/), '0',
	'and the error is gone');

# the source restarts; replication goes on
$source->restart;
$source->safe_psql('shop', "INSERT INTO orders (amount) VALUES (31337)");
ok($target->poll_query_until('shop', "SELECT count(*) = 1 FROM orders WHERE amount = 31337"),
	'after a restart of the source, changes are applied');

# a table made on the source just before the cutover joins before the end
$source->safe_psql('shop', 'CREATE TABLE late (id int PRIMARY KEY, v text); INSERT INTO late SELECT i, md5(i::text) FROM generate_series(1, 42) i');

my $cut = $target->safe_psql('postgres',
	"SELECT string_agg(dbname || ' ' || status || ' ' || (seconds >= 0)::text, ', ' ORDER BY dbname)"
	. " FROM migrate.cutover($id, '120 s')");
is($cut, "$odd done true, shop done true", 'cutover: every database done, with the time it took');
is($target->safe_psql('postgres', "SELECT state FROM migrate.status WHERE id = $id"), 'done', 'the migration is done');
like($target->safe_psql('postgres', "SELECT write_pause_seconds FROM migrate.migration WHERE id = $id"), qr/^[0-9.e-]+$/,
	'fence_writes: how long writes paused is recorded');
is($source->safe_psql('postgres', "SELECT count(*) FROM pg_db_role_setting WHERE setrole = 0"), '0',
	'and the fence is gone from the source');
like(event_kinds($target, $id), qr/writes_fenced.*cutover_started.*writes_resumed/, 'writes were fenced for the cutover');
like(event_kinds($target, $id), qr/tables_joining.*cutover_done/, 'the table made just before the cutover joined first');

my $scratch = "SELECT count(*) || ' ' || md5(string_agg(s::text, ',' ORDER BY id)) FROM scratch s";
is($target->safe_psql('shop', $scratch), $source->safe_psql('shop', $scratch),
	'the unlogged table is the source\'s after cutover (copied again)');
is($target->safe_psql('shop', "SELECT relpersistence FROM pg_class WHERE relname = 'scratch'"), 'u', 'and still unlogged');
is($target->safe_psql('shop', $los), $source->safe_psql('shop', $los),
	'large objects made, changed and removed while replicating are the source\'s after cutover');
is($target->safe_psql('shop', "SELECT lomacl IS NOT NULL AND lomacl::text LIKE '%=r/%' FROM pg_largeobject_metadata WHERE oid = 9004"),
	't', 'with the rights of the source');

for my $db ('shop', $odd)
{
	my $want = table_fingerprints($source, $db);
	my $got = table_fingerprints($target, $db);
	is_deeply($got, $want, "$db: every table the source's, after writes during the copy and after")
	  or diag(explain({ source => $want, target => $got }));
	is($target->safe_psql($db, "SELECT last_value FROM orders_id_seq"),
		$source->safe_psql($db, "SELECT last_value FROM orders_id_seq"), "$db: the sequence is the source's");
	is($target->safe_psql($db, "SELECT n FROM order_total"), $source->safe_psql($db, "SELECT count(*) FROM orders"),
		"$db: the materialized view refreshed at cutover");
	is($target->safe_psql($db, "SELECT count(*) FROM pg_subscription_rel"), '0', "$db: no subscription left on the target");
	is($source->safe_psql($db, "SELECT count(*) FROM pg_publication"), '0', "$db: no publication left on the source");
	is($source->safe_psql($db, "SELECT relreplident FROM pg_class WHERE relname = 'nopk'"), 'd',
		"$db: the replica identity is the default again");
}
is($source->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots"), '0', 'no slot left on the source');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_subscription"), '0', 'no subscription left on the target');
like(event_kinds($target, $id), qr/slot_created.*replicating.*in_sync.*cutover_started.*cutover_reached.*cutover_done.*done$/,
	'the events tell the story');

done_testing();
