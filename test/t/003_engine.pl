# migrate.start: whole databases copied by background workers, identical to
# the source; progress while a table copies; what the copy leaves (frozen
# rows, statistics, settings, large objects, the schema); bad inputs.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src, $expected) = engine_source();
my $opts = '{"method": "dump", "databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';

# no autovacuum: the visibility map must show what the copy itself did
my $target = new_target('target', preload => 1,
	conf => "max_worker_processes = 24\nmigrate.max_workers = 3\nlog_min_messages = log\nautovacuum = off");

# ---- bad input: an error, and nothing started ---------------------------------
my ($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('host=127.0.0.1 port=1 user=x password=nopenope1')");
like($err, qr/the source cannot be migrated: 1 check failed.*\n.*connection: cannot connect/, 'unreachable source refused');
($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"workers\": \"many\"}')");
like($err, qr/option "workers" must be an integer/, 'wrongly typed option refused');
($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"nope\"]}')");
like($err, qr/databases: the pattern "nope" of option "databases" matches no database/, 'a filter that matches nothing');
is($target->safe_psql('postgres', 'SELECT count(*) FROM migrate.migration'), '0', 'nothing was started');

# ---- a whole migration, with a table split in parts -------------------------------
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
is($id, '1', 'start returns the migration id');

($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '$opts')");
like($err, qr/migration 1 of this source is (pending|running)/, 'a second start of the same source is refused');

# progress while the slow table copies
my $progress = poll_until($target,
	"SELECT rows_copied > 0 AND state = 'copying' FROM migrate.table_progress"
	  . " WHERE migration_id = $id AND table_name = 'slow'", qr/^t$/);
is($progress, 't', 'table_progress shows rows of a table still being copied');
my $titles = '';
for my $pid (split /\n/, $target->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name = 'migrate worker'"))
{
	open my $cmd, '<', "/proc/$pid/cmdline" or next;
	local $/;
	$titles .= (<$cmd> // '') . "\n";
}
like($titles, qr/migrate worker \d+ shop copy app\.slow/, 'ps shows what a worker does: copy app.slow');
like($target->safe_psql('postgres', "SELECT state || ' ' || phase FROM migrate.status WHERE id = $id"),
	qr/^running (copying|indexing|schema)$/, 'status says running');

my $state = $target->safe_psql('postgres', "SET client_min_messages = notice; SELECT migrate.wait($id, 'done', '300 s')");
is($state, 'done', 'wait returns done');
my ($r2, $o2, $notices) = $target->psql('postgres', "SELECT migrate.wait($id)");
like($notices, qr/NOTICE:  migration 1: done, done, 100\.0% \(.* of .*\), .*\/s, ETA -, tables \d+\/\d+, databases 2\/2/,
	'wait prints a progress line');
identical($target, $expected, 'first run');
is($target->safe_psql('postgres', qq{
	SELECT (SELECT finished_at FROM migrate.task WHERE migration_id = $id AND kind = 'analyze'
	        AND dbname = 'shop' AND table_name = 'orders')
	     < (SELECT max(finished_at) FROM migrate.task WHERE migration_id = $id AND kind = 'copy'
	        AND dbname = 'shop' AND table_name = 'slow')}),
	't', 'a table is analyzed as soon as it has its data and indexes, not after every table');
# the first part of the split table loaded its rows frozen (all-visible):
# the others could not, the table was not emptied in their transaction
like($target->safe_psql('bench', q{
	SELECT relallvisible > 0 AND relallvisible < relpages FROM pg_class WHERE relname = 'pgbench_accounts'}),
	qr/^t$/, 'a split table: its first part loaded frozen');
is($target->safe_psql('bench', q{
	SELECT relallvisible = relpages FROM pg_class WHERE relname = 'pgbench_branches'}),
	't', 'a whole table loaded frozen');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.table_progress WHERE migration_id = $id AND parts_total > 1"),
	'1', 'pgbench_accounts was split into parts');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.errors WHERE migration_id = $id"), '0', 'no errors');
is($target->safe_psql('postgres', q{
	SELECT array_to_string(s.setconfig, ' | ') FROM pg_db_role_setting s
	JOIN pg_database d ON d.oid = s.setdatabase WHERE s.setrole = 'reporter'::regrole AND d.datname = 'shop'}),
	'work_mem=3MB | search_path=app, "Odd ""Schema"""', 'role settings IN DATABASE applied once the database exists');
is($target->safe_psql('postgres', q{
	SELECT array_to_string(s.setconfig, ' | ') || ' / ' || shobj_description(d.oid, 'pg_database')
	FROM pg_db_role_setting s JOIN pg_database d ON d.oid = s.setdatabase
	WHERE s.setrole = 0 AND d.datname = 'shop'}),
	"statement_timeout=1h / the shop's data", "the database's own settings and comment");
my $lo_sql = q{SELECT count(*) || ':' || md5(string_agg(md5(lo_get(oid)), ',' ORDER BY oid)) FROM pg_largeobject_metadata};
is($target->safe_psql('shop', $lo_sql), $source->safe_psql('shop', $lo_sql), 'large objects copied, data and all');

# the schema came along: indexes, keys, foreign keys, sequences, matview, types, generated columns
is($target->safe_psql('shop', q{
	SELECT count(*) FROM pg_indexes WHERE schemaname = 'app'}),
	$source->safe_psql('shop', q{SELECT count(*) FROM pg_indexes WHERE schemaname = 'app'}), 'all indexes');
is($target->safe_psql('shop', q{SELECT count(*) FROM pg_constraint WHERE contype = 'f'}), '1', 'the foreign key');
is($target->safe_psql('shop', q{SELECT last_value FROM app.orders_id_seq}), '50000', 'sequence value');
is($target->safe_psql('shop', q{SELECT count(*) FROM app.customer_totals}),
	$source->safe_psql('shop', q{SELECT count(*) FROM app.customer_totals}), 'materialized view refreshed');
is($target->safe_psql('shop', q{SELECT name_upper FROM app.customers WHERE id = 7}), 'CUSTOMER 7', 'generated column');
ok($target->safe_psql('bench', q{SELECT reltuples > 0 FROM pg_class WHERE relname = 'pgbench_accounts'}) eq 't',
	'the target was analyzed');
is($target->safe_psql('shop', q{
	SELECT count(*) FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
	WHERE c.relkind = 'r' AND s.last_analyze IS NULL}), '0', 'every table analyzed');
ok($target->safe_psql('shop', q{
	SELECT count(*) > 0 FROM pg_statistic WHERE starelid = 'app.measurements'::regclass AND stainherit}) eq 't',
	'a partitioned table analyzed across its partitions');
is($target->safe_psql('shop', q{
	SELECT string_agg(relname || ':' || analyze_count, ' ' ORDER BY relname) FROM pg_stat_user_tables
	WHERE relname LIKE 'measurements_%'}),
	'measurements_2023:1 measurements_2024:1', 'and its partitions once each, not again with it');
my $codes_sql = q{SELECT string_agg(format('%s|%s|%s|%s|%s|%s|%s|%s', id, code, octet_length(code), exact,
	wide, free, one, many), E'\n' ORDER BY id) FROM app.codes WHERE id <= 6};
is($target->safe_psql('shop', $codes_sql), $source->safe_psql('shop', $codes_sql),
	'char(n) values padded and received as on the source, ASCII or not');
like($target->safe_psql('postgres', "SELECT string_agg(kind, ',' ORDER BY at) FROM migrate.event WHERE migration_id = $id"),
	qr/^pending,running,roles,.*database_planned.*database_done.*done$/, 'the events tell the story');

done_testing();
