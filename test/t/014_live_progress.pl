# Live progress: with the library preloaded a copy worker's rows and bytes
# are in shared memory, where the views read them while migrate.task is
# written only when the task ends; without preloading the coordinator writes
# what the workers send, a statement a round.  Either way table_progress
# moves while a table copies, and another role sees nothing of it.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE shop');
$source->safe_psql('shop', MigrateTest::slow_table_sql('slow', 3000));
my $src = source_uri($source, $os_user, undef);
my $opts = '{"method": "dump", "databases": ["shop"], "roles": false, "workers": 1}';

for my $preload (1, 0)
{
	my $what = $preload ? 'preloaded' : 'not preloaded';
	my $target = new_target("target_$preload", preload => $preload);
	$target->safe_psql('postgres', q{
		CREATE ROLE onlooker LOGIN PASSWORD 'look';
		GRANT USAGE ON SCHEMA migrate TO onlooker;
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO onlooker;
		GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO onlooker;});
	my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");

	# the copy of the slow table reports at 1024 rows (it takes a few seconds)
	my $seen = poll_until($target,
		"SELECT rows_copied >= 1024 AND state = 'copying' FROM migrate.table_progress"
		  . " WHERE migration_id = $id AND table_name = 'slow'", qr/^t$/, 240);
	is($seen, 't', "$what: table_progress shows rows while the table copies");

	my ($table_rows, $live_rows) = split /\|/, $target->safe_psql('postgres',
		"SELECT t.rows_copied, coalesce((SELECT l.rows_copied FROM migrate.live_progress() l WHERE l.task_id = t.id), -1)"
		  . " FROM migrate.task t WHERE t.migration_id = $id AND t.kind = 'copy' AND t.state = 'running'");
	if ($preload)
	{
		cmp_ok($live_rows, '>=', 1024, "$what: the running task's rows are in shared memory");
		is($table_rows, '0', "$what: and migrate.task is not written while it runs");
	}
	else
	{
		is($live_rows, '-1', "$what: no shared memory, no live rows");
		cmp_ok($table_rows, '>=', 1024, "$what: the coordinator wrote the progress the worker sent");
	}
	is(safe_as($target, 'onlooker', 'look',
			"SELECT (SELECT count(*) FROM migrate.live_progress()) + (SELECT count(*) FROM migrate.table_progress)"),
		'0', "$what: another role sees nothing of the migration's progress");

	is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', "$what: done");
	is($target->safe_psql('postgres',
			"SELECT rows_copied FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'"),
		'3000', "$what: and the table's final count is recorded");
	$target->stop;
}

done_testing();
