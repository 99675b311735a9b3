# The extension lives in the database that migrate.database names: CREATE
# EXTENSION anywhere else is refused with a hint before anything is created,
# and start() from a database that is not migrate.database any more (the
# setting changed after the extension was created) is refused too, with
# nothing recorded.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $source = new_source('source');
my $src = source_uri($source, $os_user, undef);
my $target = new_target('target', preload => 1);

$target->safe_psql('postgres', 'CREATE DATABASE elsewhere');
my ($ret, $out, $err) = $target->psql('elsewhere', 'CREATE EXTENSION migrate');
isnt($ret, 0, 'CREATE EXTENSION in another database than migrate.database fails');
like($err,
	qr/the migrate extension can only be created in database "postgres", not in "elsewhere".*HINT:  Create it in database "postgres", or have a superuser set migrate.database to "elsewhere"/s,
	'with the database it belongs in, and a hint');
is($target->safe_psql('elsewhere',
		"SELECT count(*) FROM pg_namespace WHERE nspname IN ('migrate', 'migrate_private')"),
	'0', 'and nothing of it is left there');

# the setting moved after the extension was created in postgres
$target->append_conf('postgresql.conf', "migrate.database = 'elsewhere'");
$target->restart;
($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"roles\": false}')");
like($err, qr/migrations run from database "elsewhere", not from "postgres".*HINT:  Connect to database "elsewhere"/s,
	'start() from a database that is not migrate.database is refused, with a hint');
is($target->safe_psql('postgres', 'SELECT count(*) FROM migrate.migration'), '0',
	'and nothing was recorded');

# back where it belongs, it works
$target->append_conf('postgresql.conf', "migrate.database = 'postgres'");
$target->restart;
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"roles\": false, \"databases\": [\"postgres\"], \"if_exists\": \"merge\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'with migrate.database naming it again, a migration runs');

done_testing();
