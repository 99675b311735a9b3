# migrate.validate as a non-superuser admin (CREATEROLE, CREATEDB) with a
# source user that is not a superuser: what it may not do is named; the
# source must ask for the password.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $pw) = validate_source('source');
my $target = new_target('target', conf => "max_logical_replication_workers = 2");
$target->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin;
	CREATE ROLE already_there;
});
my $su_uri = source_uri($source, "app", $pw);    # app is not a superuser
my $c;

$c = checks($target, $su_uri, '{}', 'admin');
detail_like($c, 'connection', 'ok', qr/as "app" with a password/, 'non-superuser connects with a password');
detail_like($c, 'databases', 'error', qr/may not connect to database "private"/, 'no CONNECT on a database is an error');
detail_like($c, 'extensions', 'error', qr/"pg_stat_statements" of database "app" can only be created by a superuser/,
	'untrusted extension needs a superuser on the target');
ok(!grep({ $_->[1] =~ /pgcrypto/ } @{ $c->{extensions} }), 'a trusted extension is installable by the admin');
detail_like($c, 'roles', 'warning', qr/role "big_boss" has SUPERUSER, which this role cannot grant/, 'superuser role');
detail_like($c, 'roles', 'warning', qr/role "replicator" has REPLICATION, which this role cannot grant/, 'replication role');
detail_like($c, 'replication_role', 'warning', qr/neither SUPERUSER nor REPLICATION/, 'source user without REPLICATION');
detail_like($c, 'publication', 'warning', qr/does not own every table/, 'cannot publish tables it does not own');
detail_like($c, 'target_subscription', 'ok', qr/only a superuser may create a subscription: migrate creates it as the bootstrap superuser .* and guards them/,
	'on 15 the subscription is the bootstrap superuser\'s, guarded');

# the password rule: the source must ask for the password
my ($ret, $out, $err) = $target->psql('postgres',
	"SET ROLE admin; SELECT * FROM migrate.validate('" . source_uri($source, 'trust_user', $pw) . "')");
isnt($ret, 0, 'trust authentication refused for a non-superuser');
like($err, qr/password is required/, 'with the dblink message');
($ret, $out, $err) = $target->psql('postgres',
	"SET ROLE admin; SELECT * FROM migrate.validate('" . source_uri($source, 'app', undef) . "')");
like($err, qr/password is required.*\n.*must give a password/, 'no password given: refused before connecting');
$c = checks($target, source_uri($source, 'app', 'wrong-password'), '{}', 'admin');
detail_like($c, 'connection', 'error', qr/password authentication failed for user "app"/, 'a wrong password is a failed connection');
# a superuser may use trust
$c = checks($target, source_uri($source, 'trust_user', undef));
is(statuses($c, 'connection'), 'ok', 'a superuser may connect without a password');

done_testing();
