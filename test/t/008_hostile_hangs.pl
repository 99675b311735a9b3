# Nothing hangs: a table locked on the source is a wait with an event that
# a stop ends, a source restarting in the middle of a copy is a retry, and a
# source that stops answering (its backend frozen with SIGSTOP) is an error
# after migrate.source_timeout and a retry; each migration still ends done,
# identical to the source.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
# a backend frozen by this test is thawed whatever happens
my @frozen;
END { kill 'CONT', @frozen if @frozen }

my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE locky; CREATE DATABASE slowy');
$source->safe_psql('locky', q{
	CREATE TABLE public.locked_t (id int PRIMARY KEY, v text);
	CREATE TABLE public.other_t (id int PRIMARY KEY, v text);
	INSERT INTO public.locked_t SELECT i, 'locked ' || i FROM generate_series(1, 500) i;
	INSERT INTO public.other_t SELECT i, 'other ' || i FROM generate_series(1, 500) i;
});
# rows of 10 kB: about 30 MB to send, more than socket buffers hold, so the
# source is still sending while the target loads slowly
$source->safe_psql('slowy', slow_table_sql('wide', 3000, 10240)
	  . 'CREATE TABLE public.small (id int PRIMARY KEY); INSERT INTO public.small SELECT generate_series(1, 100);');
my $src = source_uri($source, $os_user, undef);
my %expected = (locky => table_fingerprints($source, 'locky'), slowy => table_fingerprints($source, 'slowy'));

sub target
{
	my ($name, $conf) = @_;
	return new_target($name, preload => 1, conf => "max_worker_processes = 16\n" . ($conf // ''));
}

sub state_of
{
	my ($node, $id) = @_;
	return $node->safe_psql('postgres', "SELECT state FROM migrate.migration WHERE id = $id");
}

sub finished_identical
{
	my ($node, $id, $db, $label) = @_;
	is(poll_until($node, "SELECT state FROM migrate.migration WHERE id = $id", qr/^(done|failed|cancelled)$/, 300),
		'done', "$label: the migration ends done");
	is_deeply(table_fingerprints($node, $db), $expected{$db}, "$label: database $db identical to the source");
}

sub copying_wide
{
	my ($node, $id) = @_;
	return poll_until($node, "SELECT state = 'copying' AND rows_copied > 0 FROM migrate.table_progress"
		  . " WHERE migration_id = $id AND table_name = 'wide'", qr/^t$/);
}

# an event of KIND for migration ID on NODE whose detail matches DETAIL (a
# regexp, SQL syntax): 'event' once there is one, or the migration's state
# once it is over (polling further would only wait)
sub event_or_end
{
	my ($node, $id, $kind, $detail) = @_;
	return poll_until($node, "SELECT CASE WHEN EXISTS (SELECT 1 FROM migrate.event WHERE migration_id = $id"
		  . " AND kind = '$kind' AND detail::text ~* '$detail') THEN 'event' ELSE"
		  . " (SELECT state FROM migrate.migration WHERE id = $id) END", qr/^(event|failed|done|cancelled|stopped)$/, 60);
}

# ---- a table locked on the source ---------------------------------------------------
my $t1 = target('t1', "migrate.source_lock_timeout = '1s'");
my $locker = $source->background_psql('locky');
$locker->set_query_timer_restart;
$locker->query_safe('BEGIN');
$locker->query_safe('LOCK TABLE public.locked_t IN ACCESS EXCLUSIVE MODE');
my $id = $t1->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"locky\"]}')");
is(event_or_end($t1, $id, 'source_lock_wait', ''), 'event', "a table locked on the source: an event 'source_lock_wait'")
  or diag $t1->safe_psql('postgres', "SELECT string_agg(kind || ' ' || detail::text, E'\\n' ORDER BY at) FROM migrate.event WHERE migration_id = $id");
my ($ret, $out, $err) = $t1->psql('postgres', "SELECT migrate.stop($id)");
like($out, qr/^stopp(ing|ed)$/, 'stop while the lock is held') or diag $err;
is(poll_until($t1, "SELECT state FROM migrate.migration WHERE id = $id", qr/^(stopped|failed|done|cancelled)$/, 30),
	'stopped', 'and the migration is stopped within 30 s, the lock still held');
is($source->safe_psql('locky', q{
	SELECT count(*) FROM pg_locks WHERE relation = 'public.locked_t'::regclass AND mode = 'AccessExclusiveLock' AND granted}),
	'1', 'the lock was held all along');
$locker->query_safe('COMMIT');
$locker->quit;
poll_until($t1, "SELECT state FROM migrate.migration WHERE id = $id", qr/^(stopped|failed|done|cancelled)$/, 60);
($ret, $out, $err) = $t1->psql('postgres', "SELECT migrate.resume($id)");
is($out, 'pending', 'the lock released: resume') or diag $err;
finished_identical($t1, $id, 'locky', 'locked table');

# ---- the source restarts in the middle of a copy -----------------------------------------
my $t2 = target('t2');
$id = $t2->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"slowy\"]}')");
is(copying_wide($t2, $id), 't', 'restart: the wide table is being copied');
$source->restart;
finished_identical($t2, $id, 'slowy', 'source restarted mid-copy');
like(event_kinds($t2, $id), qr/\b(task_retry|database_retry)\b/, 'restart: the events show a retry')
  or diag event_kinds($t2, $id);

# ---- the source freezes in the middle of a copy ---------------------------------------------
my $t3 = target('t3', "migrate.source_timeout = '3s'");
$id = $t3->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"slowy\"]}')");
is(copying_wide($t3, $id), 't', 'freeze: the wide table is being copied');
my $pids = poll_until($source, q{
	SELECT string_agg(pid::text, ' ') FROM pg_stat_activity
	WHERE datname = 'slowy' AND state = 'active' AND query LIKE 'COPY%' AND query LIKE '%wide%'}, qr/^\d+( \d+)*$/);
ok($pids =~ /^\d+( \d+)*$/, 'found the source backend sending the wide table');
@frozen = $pids =~ /^\d+( \d+)*$/ ? split(/ /, $pids) : ();
kill 'STOP', @frozen if @frozen;
is(event_or_end($t3, $id, 'task_retry', 'answer'), 'event', "freeze: a 'task_retry' event says the source did not answer")
  or diag $t3->safe_psql('postgres', "SELECT string_agg(kind || ' ' || detail::text, E'\\n') FROM migrate.event WHERE migration_id = $id");
kill 'CONT', @frozen if @frozen;
@frozen = ();
finished_identical($t3, $id, 'slowy', 'source frozen mid-copy');

done_testing();
