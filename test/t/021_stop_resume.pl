# stop in the middle of the copy, then resume: nothing left running, the
# finished tasks not redone, the databases identical.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src, $expected) = engine_source();
my $opts = '{"method": "dump", "databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';

my $target = engine_target('target');
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
poll_until($target, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'", qr/^copying$/);
like($target->safe_psql('postgres', "SELECT migrate.stop($id)"), qr/^stopp(ing|ed)$/, 'stop');
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $id", qr/^stopped$/), 'stopped', 'stopped');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.task WHERE migration_id = $id AND state = 'running'"),
	'0', 'no task is left running');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'migrate %' AND backend_type <> 'migrate launcher'"),
	'0', 'no worker is left');
my $done_before = $target->safe_psql('postgres',
	"SELECT string_agg(id::text, ',' ORDER BY id) FROM migrate.task WHERE migration_id = $id AND state = 'done' AND parts = 1");
ok($done_before ne '', 'some tasks were done before the stop');
is($target->safe_psql('postgres', "SELECT migrate.resume($id)"), 'pending', 'resume');
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'resumed migration done');
is($target->safe_psql('postgres',
	"SELECT count(*) FROM migrate.task WHERE migration_id = $id AND id IN ($done_before) AND (attempts <> 1 OR state <> 'done')"),
	'0', 'finished tasks were not redone (the parts of a split table are, under the new snapshot)');
identical($target, $expected, 'stop/resume');

done_testing();
