# pg_dump fails: the database fails with pg_dump's message at once, the run
# beside it is killed, nothing is left; a coordinator ended by SIGTERM
# leaves no pg_dump behind; two pg_dump runs that exceed the source's lock
# table run again one after the other.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src, $expected) = engine_source();
my $opts = '{"method": "dump", "databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';
my $id;

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
my $target = engine_target('target', conf => "migrate.pg_bin_dir = '$fakebin'");
$id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed',
	'a failing pg_dump fails the migration, without waiting for the other one');
like($target->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id"),
	qr/pg_dump of the post-data schema of database "shop" failed \(exit code 1\): pg_dump: error: simulated failure of post-data/,
	"which section, of which database, and pg_dump's own message");
like($target->safe_psql('postgres', "SELECT task || ': ' || error FROM migrate.errors WHERE migration_id = $id"),
	qr/^database: pg_dump of the post-data schema of database "shop" failed/,
	'migrate.errors holds a failure that is no task\'s too');
my $left_running = '';
for (1 .. 600)
{
	# [p]: the pattern must not match the shell that runs pgrep
	$left_running = `pgrep -f '$fakebin/pg_dump [p]re-data'` // '';
	last if $left_running eq '';
	select(undef, undef, undef, 0.1);
}
is($left_running, '', 'the pg_dump still running beside it was killed');
my $tmpdir = $target->data_dir . '/pg_migrate_tmp';
my @left = glob("$tmpdir/*");
is(scalar(@left), 0, 'no passfile or error file left behind');
# the coordinator ends with FATAL while both pg_dump runs hang: they die with it
open $fake, '>', "$fakebin/pg_dump" or die $!;
print $fake qq{#!/bin/sh
exec perl -e 'sleep 600' "\$0 sleeping"
};
close $fake;
$target->safe_psql('postgres', "SELECT migrate.resume($id)");
my $sleeping = '';
for (1 .. 600)
{
	$sleeping = `pgrep -f '$fakebin/pg_dump [s]leeping'` // '';
	last if scalar(split /\n/, $sleeping) == 2;
	select(undef, undef, undef, 0.1);
}
is(scalar(split /\n/, $sleeping), 2, 'the two pg_dump runs of a database run at once');
is($target->safe_psql('postgres', "SELECT migrate.stop($id)"), 'stopping', 'stop while pg_dump runs');
$target->safe_psql('postgres',
	"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'migrate coordinator'");
for (1 .. 600)
{
	$sleeping = `pgrep -f '$fakebin/pg_dump [s]leeping'` // '';
	last if $sleeping eq '';
	select(undef, undef, undef, 0.1);
}
is($sleeping, '', 'a coordinator ended by SIGTERM leaves no pg_dump behind');
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $id", qr/^stopped$/), 'stopped',
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
$target->safe_psql('postgres', "SELECT migrate.resume($id)");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'resumed: done, the two pg_dump runs one after the other when they exceed the lock table');
ok(-e "$fakebin/locks-once", 'the lock table was exceeded once');
is_deeply(table_fingerprints($target, 'shop'), $expected->{shop}, 'after the failed pg_dump and resume: shop identical');

done_testing();
