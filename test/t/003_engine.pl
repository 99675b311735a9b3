# migrate.start: whole databases copied by background workers, identical to
# the source; progress while a table copies; stop and resume; a copy worker
# killed with SIGKILL, the coordinator terminated, the target restarted, all
# in the middle of the copy, and still identical; bad inputs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);

my $source = new_source('source');
# UTF8 whatever the environment's locale: the data has non-ASCII text
$source->safe_psql('postgres', "CREATE DATABASE shop TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'; CREATE DATABASE bench");
$source->safe_psql('postgres', q{
	CREATE ROLE reporter LOGIN;
	ALTER ROLE reporter IN DATABASE shop SET work_mem = '3MB';
	ALTER ROLE reporter IN DATABASE shop SET search_path = app, "Odd ""Schema""";
	ALTER DATABASE shop SET statement_timeout = '1h';
	COMMENT ON DATABASE shop IS 'the shop''s data';
});
$source->safe_psql('shop', slurp_file('test/data/engine_source.sql'));
$source->command_ok([ 'pgbench', '-i', '-s', '3', '-q', '-d', $source->connstr('bench') ], 'pgbench data');

my $src = source_uri($source, $os_user, undef);
my %expected = (shop => table_fingerprints($source, 'shop'), bench => table_fingerprints($source, 'bench'));

# no autovacuum: the visibility map must show what the copy itself did
my $target = new_target('target', preload => 1,
	conf => "max_worker_processes = 24\nmigrate.max_workers = 3\nlog_min_messages = log\nautovacuum = off");

# the databases of the target equal the source's, table by table
sub identical
{
	my ($node, $label) = @_;
	for my $db (sort keys %expected)
	{
		my $got = table_fingerprints($node, $db);
		is_deeply($got, $expected{$db}, "$label: database $db identical to the source")
		  or diag explain { source => $expected{$db}, target => $got };
	}
}

sub state_of
{
	my ($node, $id) = @_;
	return $node->safe_psql('postgres', "SELECT state FROM migrate.migration WHERE id = $id");
}

# ---- bad input: an error, and nothing started ---------------------------------
my ($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('host=127.0.0.1 port=1 user=x password=nopenope1')");
like($err, qr/the source cannot be migrated: 1 check failed.*\n.*connection: cannot connect/, 'unreachable source refused');
($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '{\"workers\": \"many\"}')");
like($err, qr/option "workers" must be an integer/, 'wrongly typed option refused');
($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '{\"databases\": [\"nope\"]}')");
like($err, qr/databases: the pattern "nope" of option "databases" matches no database/, 'a filter that matches nothing');
is($target->safe_psql('postgres', 'SELECT count(*) FROM migrate.migration'), '0', 'nothing was started');

# ---- a whole migration, with a table split in parts -------------------------------
my $opts = '{"databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';
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
identical($target, 'first run');
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

# ---- stop and resume ---------------------------------------------------------------
sub fresh_target
{
	my ($name, %o) = @_;
	return new_target($name, preload => 1,
		conf => "max_worker_processes = 24\nmigrate.max_workers = 3\n" . ($o{conf} // ''));
}

my $t2 = fresh_target('t2');
$id = $t2->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
poll_until($t2, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'", qr/^copying$/);
like($t2->safe_psql('postgres', "SELECT migrate.stop($id)"), qr/^stopp(ing|ed)$/, 'stop');
is(poll_until($t2, "SELECT state FROM migrate.migration WHERE id = $id", qr/^stopped$/), 'stopped', 'stopped');
is($t2->safe_psql('postgres', "SELECT count(*) FROM migrate.task WHERE migration_id = $id AND state = 'running'"),
	'0', 'no task is left running');
is($t2->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'migrate %' AND backend_type <> 'migrate launcher'"),
	'0', 'no worker is left');
my $done_before = $t2->safe_psql('postgres',
	"SELECT string_agg(id::text, ',' ORDER BY id) FROM migrate.task WHERE migration_id = $id AND state = 'done' AND parts = 1");
ok($done_before ne '', 'some tasks were done before the stop');
is($t2->safe_psql('postgres', "SELECT migrate.resume($id)"), 'pending', 'resume');
is($t2->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'resumed migration done');
is($t2->safe_psql('postgres',
	"SELECT count(*) FROM migrate.task WHERE migration_id = $id AND id IN ($done_before) AND (attempts <> 1 OR state <> 'done')"),
	'0', 'finished tasks were not redone (the parts of a split table are, under the new snapshot)');
identical($t2, 'stop/resume');

# ---- a copy worker killed with SIGKILL mid-copy: the server restarts, the
# launcher resumes --------------------------------------------------------------------
my $t3 = fresh_target('t3', conf => "restart_after_crash = on\n");
$id = $t3->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
poll_until($t3, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'", qr/^copying$/);
my $pid = $t3->safe_psql('postgres', q{
	SELECT a.pid FROM pg_stat_activity a JOIN migrate.task t ON a.query = 'migrate task ' || t.id
	WHERE a.backend_type = 'migrate worker' AND a.state = 'active'
	AND t.table_name = 'slow' AND t.state = 'running'});
ok($pid =~ /^\d+$/, 'found the worker copying the slow table');
kill 'KILL', $pid;
is(poll_until($t3, "SELECT state FROM migrate.migration WHERE id = $id", qr/^done$/, 300), 'done',
	'after SIGKILL of a worker the migration resumes by itself and finishes');
identical($t3, 'SIGKILL of a worker');
like($t3->safe_psql('postgres', "SELECT string_agg(kind, ',') FROM migrate.event WHERE migration_id = $id"),
	qr/resumed/, 'the event trail shows the resume');

# ---- the coordinator terminated, then the target restarted, mid-copy ---------------
my $t4 = fresh_target('t4');
$id = $t4->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
poll_until($t4, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'", qr/^copying$/);
$t4->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'});
poll_until($t4, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'", qr/^t$/);
$t4->restart;
is(poll_until($t4, "SELECT state FROM migrate.migration WHERE id = $id", qr/^done$/, 300), 'done',
	'after the coordinator was terminated and the server restarted, the migration finishes');
identical($t4, 'terminate + restart');
like($t4->safe_psql('postgres', "SELECT string_agg(kind, ',') FROM migrate.event WHERE migration_id = $id"),
	qr/snapshot_moved/, 'the consistency point moved, and an event says so');

# ---- without shared_preload_libraries, start launches the coordinator itself ------
# (and a database that exists on the target with user tables is refused)
my $t5 = new_target('t5', conf => "max_worker_processes = 24");
$t5->safe_psql('postgres', 'CREATE DATABASE shop');
$t5->safe_psql('shop', 'CREATE TABLE mine (id int)');
$id = $t5->safe_psql('postgres', "SELECT migrate.start('$src', '{\"databases\": [\"shop\"], \"workers\": 2}')");
is($t5->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed', 'an existing database with user tables: failed');
like($t5->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id"),
	qr/database "shop" already exists on the target with 1 user tables/, 'and says why');
is($t5->safe_psql('shop', q{SELECT count(*) FROM pg_tables WHERE schemaname = 'app'}), '0', 'nothing was created in it');
$t5->safe_psql('postgres', 'DROP DATABASE shop');
is($t5->safe_psql('postgres', "SELECT migrate.resume($id)"), 'pending', 'resume after dropping it');
is($t5->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'not preloaded: done');
is_deeply(table_fingerprints($t5, 'shop'), $expected{shop}, 'not preloaded: shop identical');
($ret, $out, $err) = $t5->psql('postgres', "SELECT migrate.cancel($id)");
like($err, qr/migration $id is done and cannot be cancelled/, 'a finished migration cannot be cancelled');

# ---- a non-superuser admin (CREATEROLE, CREATEDB) runs a whole migration ----------
my $pw = 'Mover-pa55word-1';
$source->safe_psql('postgres', "CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw'");
my $t6 = fresh_target('t6');
$t6->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	CREATE ROLE nologin_admin NOLOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin, nologin_admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin, nologin_admin;
	GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO admin, nologin_admin;
});
my $mover = source_uri($source, 'mover', $pw);
($ret, $out, $err) = $t6->psql('postgres',
	"SET ROLE nologin_admin; SELECT migrate.start('$mover', '{\"databases\": [\"shop\"]}')");
like($err, qr/role "nologin_admin" cannot log in/, 'a role without LOGIN cannot start a migration');
$id = $t6->safe_psql('postgres', "SET ROLE admin; SELECT migrate.start('$mover', '{\"databases\": [\"shop\"]}')");
is($t6->safe_psql('postgres', "SET ROLE admin; SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'non-superuser admin: done');
is_deeply(table_fingerprints($t6, 'shop'), $expected{shop}, 'non-superuser admin: shop identical');
is($t6->safe_psql('postgres', "SET ROLE admin; SELECT count(*) FROM migrate.status"), '1', 'the admin sees its migration');
like($t6->safe_psql('postgres', "SET ROLE admin; SELECT source FROM migrate.status"), qr/password=\*{8}/,
	'with the password masked');
($ret, $out, $err) = $t6->psql('postgres', "SET ROLE admin; SELECT source FROM migrate_private.source");
like($err, qr/permission denied for schema migrate_private/, 'the stored source string is not readable by the admin');
unlike($t6->safe_psql('postgres', "SET ROLE admin; SELECT string_agg(t::text, ' ') FROM migrate.migration t"),
	qr/\Q$pw\E/, 'no password in what the admin can read');

# ---- pg_dump fails: the database fails with its message, nothing is left ----------
# post-data fails at once while pre-data, started beside it, still runs
my $fakebin = PostgreSQL::Test::Utils::tempdir();
my $realbin = $source->config_data('--bindir');
open my $fake, '>', "$fakebin/pg_dump" or die $!;
print $fake qq{#!/bin/sh
case "\$*" in *--section=post-data*) echo "pg_dump: error: simulated failure of post-data" >&2; exit 1 ;; esac
case "\$*" in *--section=pre-data*) exec perl -e 'sleep 600' "\$0 pre-data" ;; esac
exec "$realbin/pg_dump" "\$@"
};
close $fake;
chmod 0755, "$fakebin/pg_dump";
my $t7 = fresh_target('t7', conf => "migrate.pg_bin_dir = '$fakebin'");
$id = $t7->safe_psql('postgres', "SELECT migrate.start('$src', '{\"databases\": [\"shop\"], \"roles\": false}')");
is($t7->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed',
	'a failing pg_dump fails the migration, without waiting for the other one');
like($t7->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id"),
	qr/pg_dump of the post-data schema of database "shop" failed \(exit code 1\): pg_dump: error: simulated failure of post-data/,
	"which section, of which database, and pg_dump's own message");
my $left_running = '';
for (1 .. 600)
{
	# [p]: the pattern must not match the shell that runs pgrep
	$left_running = `pgrep -f '$fakebin/pg_dump [p]re-data'` // '';
	last if $left_running eq '';
	select(undef, undef, undef, 0.1);
}
is($left_running, '', 'the pg_dump still running beside it was killed');
my $tmpdir = $t7->data_dir . '/pg_migrate_tmp';
my @left = glob("$tmpdir/*");
is(scalar(@left), 0, 'no passfile or error file left behind');
# the coordinator ends with FATAL while both pg_dump runs hang: they die with it
open $fake, '>', "$fakebin/pg_dump" or die $!;
print $fake qq{#!/bin/sh
exec perl -e 'sleep 600' "\$0 sleeping"
};
close $fake;
$t7->safe_psql('postgres', "SELECT migrate.resume($id)");
my $sleeping = '';
for (1 .. 600)
{
	$sleeping = `pgrep -f '$fakebin/pg_dump [s]leeping'` // '';
	last if scalar(split /\n/, $sleeping) == 2;
	select(undef, undef, undef, 0.1);
}
is(scalar(split /\n/, $sleeping), 2, 'the two pg_dump runs of a database run at once');
is($t7->safe_psql('postgres', "SELECT migrate.stop($id)"), 'stopping', 'stop while pg_dump runs');
$t7->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'migrate coordinator'");
for (1 .. 600)
{
	$sleeping = `pgrep -f '$fakebin/pg_dump [s]leeping'` // '';
	last if $sleeping eq '';
	select(undef, undef, undef, 0.1);
}
is($sleeping, '', 'a coordinator ended by SIGTERM leaves no pg_dump behind');
is(poll_until($t7, "SELECT state FROM migrate.migration WHERE id = $id", qr/^stopped$/), 'stopped',
	'and the migration is stopped');

# resume; the two pg_dump runs at once now exceed the source's lock table
# (once): they run again one after the other
open $fake, '>', "$fakebin/pg_dump" or die $!;
print $fake qq{#!/bin/sh
case "\$*" in *--section=post-data*)
	if [ ! -e "$fakebin/locks-once" ]; then
		touch "$fakebin/locks-once"
		echo "pg_dump: error: query failed: ERROR:  out of shared memory" >&2
		echo "HINT:  You might need to increase max_locks_per_transaction." >&2
		exit 1
	fi ;;
esac
exec "$realbin/pg_dump" "\$@"
};
close $fake;
$t7->safe_psql('postgres', "SELECT migrate.resume($id)");
is($t7->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'resumed: done, the two pg_dump runs one after the other when they exceed the lock table');
ok(-e "$fakebin/locks-once", 'the lock table was exceeded once');
is_deeply(table_fingerprints($t7, 'shop'), $expected{shop}, 'after the failed pg_dump and resume: shop identical');

done_testing();
