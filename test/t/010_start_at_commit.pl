# Without preloading, a coordinator starts when the transaction that called
# start() commits, however late, and never for one that rolls back; a
# library whose version is not the extension's refuses to work, and says so.
# (start() in a database other than migrate.database: 013.)
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE shop');
$source->safe_psql('shop', 'CREATE TABLE public.items (id int PRIMARY KEY); INSERT INTO public.items SELECT generate_series(1, 1000)');
my $src = source_uri($source, $os_user, undef);
my $opts = '{"method": "dump", "databases": ["shop"], "roles": false}';

# no shared_preload_libraries: no launcher to make up for a lost start
my $target = new_target('target', conf => 'max_worker_processes = 16');

sub coordinators
{
	return $target->safe_psql('postgres',
		"SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'migrate coordinator'");
}

# a start that rolls back starts nothing
$target->safe_psql('postgres', "BEGIN; SELECT migrate.start('$src', '$opts'); ROLLBACK;");
is($target->safe_psql('postgres', 'SELECT count(*) FROM migrate.migration'), '0', 'a rolled-back start leaves no migration');
is(coordinators(), '0', 'and no coordinator');

# a start committed long after it was called still runs
my $id = $target->safe_psql('postgres',
	"BEGIN; SELECT migrate.start('$src', '$opts'); SELECT pg_sleep(12); COMMIT;");
($id) = $id =~ /^(\d+)/;
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'a start committed 12 s after the call: the migration runs and is done');
is($target->safe_psql('shop', 'SELECT count(*) FROM public.items'), '1000', 'and the table is there');

# a library that is not of the extension's version: the migration fails with the reason
$target->safe_psql('postgres', "UPDATE pg_extension SET extversion = '0.0.1' WHERE extname = 'migrate'");
$id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"roles\": false, \"if_exists\": \"merge\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed', 'a stale library: failed');
like($target->safe_psql('postgres', "SELECT error FROM migrate.status WHERE id = $id"),
	qr/the migrate library is version [0-9.]+, but the extension in database "postgres" is version 0\.0\.1/,
	'with the two versions in the error');
$target->safe_psql('postgres',
	"UPDATE pg_extension SET extversion = (SELECT default_version FROM pg_available_extensions WHERE name = 'migrate')"
	  . " WHERE extname = 'migrate'");

done_testing();
