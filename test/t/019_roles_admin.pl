# migrate.copy_roles as a non-superuser admin with CREATEROLE: what it may
# not give fails with the reason, the rest as on the source.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $pw = 'App-pa55word-xyz';
my $os_user = getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', data_file('roles_source.sql'));
my $super_src = source_uri($source, $os_user, undef);

# ---- as a non-superuser admin with CREATEROLE ----------------------------------
my $target = new_target('target', preload => 1);
$target->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin;
	GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO admin;
});
my $r = copy_roles($target, source_uri($source, 'app', $pw), '{}', 'admin');
is($r->{$_}{status}, 'created', "admin: $_ created") for ('app', 'reporting', 'Mixed Case', 'we"ird role', 'manager');
is($r->{big_boss}{status}, 'failed', 'admin: superuser role failed');
like($r->{big_boss}{message}, qr/the source role has SUPERUSER, which only a superuser may give/, 'with the reason');
is($r->{replicator}{status}, 'failed', 'admin: replication role failed');
like($r->{replicator}{message}, qr/has REPLICATION/, 'with the attribute');
is($r->{rls_skipper}{status}, 'failed', 'admin: bypassrls role failed');
like($r->{rls_skipper}{message}, qr/has BYPASSRLS/, 'with the attribute');
like($r->{manager}{message}, qr/not a member of "big_boss": that role is not on the target/,
	'a membership in a role that failed is reported');
is($target->safe_psql('postgres', "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'manager'"), 'f',
	'a non-superuser\'s run on 15 gives no CREATEROLE (it could grant any role)');
like($r->{manager}{message}, qr/without CREATEROLE: on PostgreSQL 15 only a superuser's migration gives it/,
	'and says so');
is($target->safe_psql('postgres', "SELECT pg_has_role('admin', 'app', 'MEMBER')"), 't',
	'the admin is a member of the roles it created, so that objects can be given to them');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname IN ('big_boss', 'replicator', 'rls_skipper')"),
	'0', 'the failed roles are not there');
is($target->safe_psql('postgres', q{
	SELECT g.rolname || ' > ' || m.rolname || ' ' || a.admin_option
	FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
	WHERE m.rolname = 'app'}), 'reporting > app true', 'admin: memberships copied');
like($target->safe_psql('postgres', q{
	SELECT array_to_string(s.setconfig, ' | ') FROM pg_db_role_setting s
	WHERE s.setrole = 'app'::regrole AND s.setdatabase = 0}), qr/search_path=app, "My Schema", public/,
	'admin: settings copied');
is($target->safe_psql('postgres', 'SET ROLE admin; SELECT count(*) FROM migrate.roles'), scalar(keys %$r),
	'the admin sees its own rows');

my $log = slurp_file($target->logfile);
unlike($log, qr/placeholder_[a-z]{16}/, 'no placeholder in the log');
unlike($log, qr/\Q$pw\E/, 'no password in the log');

done_testing();
