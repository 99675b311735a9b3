# The coordinator terminated, then the target restarted, in the middle of
# the copy: the migration finishes at a new consistency point, identical.
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
$target->safe_psql('postgres', q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'});
poll_until($target, "SELECT count(*) > 0 FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'", qr/^t$/);
$target->restart;
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $id", qr/^done$/, 300), 'done',
	'after the coordinator was terminated and the server restarted, the migration finishes')
  or diag(migration_diag($target, $id));
identical($target, $expected, 'terminate + restart');
like($target->safe_psql('postgres', "SELECT string_agg(kind, ',') FROM migrate.event WHERE migration_id = $id"),
	qr/snapshot_moved/, 'the consistency point moved, and an event says so');

done_testing();
