# The replication method through crashes while the source writes: a copy
# worker killed with SIGKILL mid-copy (the server then restarts all its
# processes), the source restarted while the table is copied again, the
# target restarted, the launcher stopped and the coordinator killed with
# SIGKILL while replicating.  Each time the
# migration goes on by itself; a second migration of the source meanwhile
# is refused; after the cutover every table is the source's.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $me = scalar getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE shop');
$source->safe_psql('shop', slow_table_sql('slow', 6000));
$source->safe_psql('shop', q{
	CREATE TABLE items (id serial PRIMARY KEY, n int);
	INSERT INTO items (n) SELECT i FROM generate_series(1, 500) i;
	CREATE TABLE nokey (a int, b text);
	INSERT INTO nokey SELECT i, 'x' FROM generate_series(1, 100) i;
});
my $src = source_uri($source, $me, undef);
my $target = engine_target('target', conf => "restart_after_crash = on\n");
my $opts = '{"method": "replication", "databases": ["shop"], "roles": false, "workers": 2}';
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");

# ---- a copy worker killed mid-copy ---------------------------------------------
is(poll_until($target, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'",
	qr/^copying$/), 'copying', 'the slow table is being copied');
$source->safe_psql('shop', 'INSERT INTO items (n) SELECT -i FROM generate_series(1, 50) i');
my $pid = $target->safe_psql('postgres', q{
	SELECT a.pid FROM pg_stat_activity a JOIN migrate.task t ON a.query = 'migrate task ' || t.id
	WHERE a.backend_type = 'migrate worker' AND a.state = 'active'
	AND t.table_name = 'slow' AND t.state = 'running'});
ok($pid =~ /^\d+$/, 'found the worker copying it');
kill 'KILL', $pid;
$source->safe_psql('shop', "UPDATE items SET n = n + 1000 WHERE id % 7 = 0; UPDATE nokey SET b = 'y' WHERE a % 3 = 0");

# ---- the source restarted while the table is copied again -------------------------
is(poll_until($target, "SELECT state || ' ' || (attempts > 1)::text FROM migrate.task WHERE migration_id = $id"
	  . " AND kind = 'copy' AND table_name = 'slow'", qr/^running true$/, 300),
	'running true', 'after SIGKILL of a copy worker (and the restart of every process it brings) the table is copied again')
  or diag(migration_diag($target, $id));
$source->restart;
$source->safe_psql('shop', "UPDATE items SET n = -n WHERE id % 11 = 0");
is(poll_until($target, "SELECT status FROM migrate.databases WHERE migration_id = $id", qr/^(replicating|failed)$/, 300),
	'replicating', 'and after a restart of the source in the middle of that, the database replicates')
  or diag(migration_diag($target, $id));
like(event_kinds($target, $id), qr/resumed/, 'the migration resumed by itself');
is($source->safe_psql('postgres', "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'aiven_db_migrate_shop_slot'"),
	'1', 'with its slot');

my ($ret, $out, $err) = $target->psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"replication\", \"databases\": [\"shop\"], \"roles\": false}')");
like($err, qr/migration $id of this source is running.*HINT:.*migrate\.cancel\($id\)/s,
	'a second migration of the source while it replicates is refused, with a hint');
is($target->safe_psql('postgres', 'SELECT count(*) FROM migrate.migration'), '1', 'and nothing of it exists');

# ---- the target restarted while replicating -----------------------------------
$source->safe_psql('shop', 'INSERT INTO items (n) VALUES (-100000)');
$target->restart;
$source->safe_psql('shop', "DELETE FROM items WHERE id % 9 = 0; UPDATE nokey SET b = 'z' WHERE a < 10");
ok($target->poll_query_until('shop', 'SELECT count(*) = 1 FROM items WHERE n = -100000'),
	'after a restart of the target, the changes are applied');
is(poll_until($target, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'", qr/^1$/),
	'1', 'and the coordinator is back');

# ---- the launcher stopped while replicating: the server starts it again --------------
$pid = $target->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'migrate launcher'");
ok($pid =~ /^\d+$/, 'found the launcher');
$target->safe_psql('postgres', "SELECT pg_terminate_backend($pid)");
$source->safe_psql('shop', 'INSERT INTO items (n) VALUES (-150000)');
ok($target->poll_query_until('shop', 'SELECT count(*) = 1 FROM items WHERE n = -150000'),
	'with the launcher gone, the changes are applied');
is(poll_until($target, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'migrate launcher' AND pid <> $pid", qr/^1$/),
	'1', 'and the launcher is back');

# ---- the coordinator killed with SIGKILL while replicating ------------------------
$pid = $target->safe_psql('postgres', "SELECT pid FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'");
kill 'KILL', $pid;
$source->safe_psql('shop', "INSERT INTO items (n) VALUES (-200000); DELETE FROM nokey WHERE a > 90");
ok($target->poll_query_until('shop', 'SELECT count(*) = 1 FROM items WHERE n = -200000'),
	'after SIGKILL of the coordinator, the changes are applied');
is(poll_until($target, "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'", qr/^1$/),
	'1', 'and the coordinator is back');
is(poll_until($target, "SELECT migrate.wait_for_lag($id, 0, '5 s')", qr/^t$/), 't', 'the lag reaches 0');
is_deeply(table_fingerprints($target, 'shop'), table_fingerprints($source, 'shop'),
	'the target has every change, through all of it');

is($target->safe_psql('postgres', "SELECT string_agg(dbname || ' ' || status, ', ') FROM migrate.cutover($id, '120 s')"),
	'shop done', 'cutover');
is_deeply(table_fingerprints($target, 'shop'), table_fingerprints($source, 'shop'), 'every table the source\'s');
is($source->safe_psql('postgres', 'SELECT count(*) FROM pg_replication_slots'), '0', 'no slot is left');
is($target->safe_psql('postgres', 'SELECT count(*) FROM pg_subscription'), '0', 'no subscription is left');
is($source->safe_psql('shop', "SELECT relreplident FROM pg_class WHERE relname = 'nokey'"), 'd',
	'and the replica identity is back');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.cleanup('$src')"), '0', 'cleanup finds nothing');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.cleanup('$src')"), '0', 'and again');

done_testing();
