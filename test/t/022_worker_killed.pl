# A copy worker killed with SIGKILL mid-copy: the server restarts, the
# launcher resumes the migration by itself, and the databases are identical.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src, $expected) = engine_source();
my $opts = '{"method": "dump", "databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';

my $target = engine_target('target', conf => "restart_after_crash = on\n");
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
poll_until($target, "SELECT state FROM migrate.table_progress WHERE migration_id = $id AND table_name = 'slow'", qr/^copying$/);
my $pid = $target->safe_psql('postgres', q{
	SELECT a.pid FROM pg_stat_activity a JOIN migrate.task t ON a.query = 'migrate task ' || t.id
	WHERE a.backend_type = 'migrate worker' AND a.state = 'active'
	AND t.table_name = 'slow' AND t.state = 'running'});
ok($pid =~ /^\d+$/, 'found the worker copying the slow table');
kill 'KILL', $pid;
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $id", qr/^done$/, 120), 'done',
	'after SIGKILL of a worker the migration resumes by itself and finishes')
  or diag(migration_diag($target, $id));
identical($target, $expected, 'SIGKILL of a worker');
like($target->safe_psql('postgres', "SELECT string_agg(kind, ',') FROM migrate.event WHERE migration_id = $id"),
	qr/resumed/, 'the event trail shows the resume');

done_testing();
