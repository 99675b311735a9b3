# migrate.copy_roles as a superuser: bad options refused before anything is
# created, then every row and the roles' attributes, memberships, settings
# and comments on the target; a second run, sync_existing_roles; no
# placeholder or password in the log.
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

# ---- bad options: an error before anything is created ----------------------
my $target = new_target('target', preload => 1);
$target->safe_psql('postgres', 'CREATE ROLE already_there NOLOGIN');
my ($ret, $out, $err) = $target->psql('postgres',
	"SELECT * FROM migrate.copy_roles('$super_src', '{\"role_passwords\": {\"ghost\": \"boo-boo-boo\"}}')");
like($err, qr/option "role_passwords" names role "ghost", which the source does not have/, 'password for an unknown role');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'app'"), '0', 'nothing created');
($ret, $out, $err) = $target->psql('postgres',
	"SELECT * FROM migrate.copy_roles('$super_src', '{\"role_pass\": {}}')");
like($err, qr/unrecognized option "role_pass"/, 'unknown option');
($ret, $out, $err) = $target->psql('postgres',
	"SELECT * FROM migrate.copy_roles('" . source_uri($source, 'app', $pw) . "', '{\"copy_password_hashes\": true}')");
like($err, qr/needs a source user that can read pg_authid/, 'hashes need a superuser source');
is($target->safe_psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname = 'app'"), '0', 'still nothing created');

# ---- as a superuser ------------------------------------------------------------
my $r = copy_roles($target, $super_src,
	"{\"role_passwords\": {\"app\": \"$pw\"}, \"exclude_roles\": [\"legacy_*\"]}");
is($r->{$_}{status}, 'created', "$_ created")
  for ('app', 'reporting', 'Mixed Case', 'we"ird role', 'rôle_ünïcode', 'big_boss', 'replicator',
	'rls_skipper', 'manager');
is($r->{already_there}{status}, 'exists', 'existing role: exists');
like($r->{already_there}{message}, qr/left as it is/, 'and left as it is');
is($r->{rdsadmin}{status}, 'skipped', 'provider role skipped');
like($r->{rdsadmin}{message}, qr/provider-internal/, 'with the reason');
is($r->{legacy_1}{status}, 'skipped', 'excluded role skipped');
is($r->{$os_user}{status}, 'skipped', 'bootstrap superuser skipped');
ok(!exists $r->{pg_read_all_data}, 'predefined roles are not listed');

is($r->{app}{password}, '', 'a given password is not shown');
like($r->{app}{message}, qr/password from option "role_passwords"/, 'the message says where the password came from');
like($r->{'Mixed Case'}{password}, qr/^placeholder_[a-z]{16}$/, 'a LOGIN role gets a placeholder');
isnt($r->{'Mixed Case'}{password}, $r->{'rôle_ünïcode'}{password}, 'placeholders differ');
is($r->{reporting}{password}, '', 'a NOLOGIN role gets no password');
ok(can_login($target, 'app', $pw), 'role_passwords: app logs in with its password');
ok(can_login($target, 'Mixed Case', $r->{'Mixed Case'}{password}), 'the placeholder works');

is($target->safe_psql('postgres', q{
	SELECT rolcanlogin, rolcreatedb, rolconnlimit, rolvaliduntil AT TIME ZONE 'UTC', rolinherit
	FROM pg_roles WHERE rolname = 'app'}), 't|t|5|2031-01-01 00:00:00|t', 'attributes of app');
is($target->safe_psql('postgres', q{
	SELECT rolsuper, rolreplication, rolbypassrls FROM pg_roles
	WHERE rolname IN ('big_boss', 'replicator', 'rls_skipper') ORDER BY rolname}),
	"t|f|f\nf|t|f\nf|f|t", 'SUPERUSER, BYPASSRLS and REPLICATION given by a superuser');
is($target->safe_psql('postgres', "SELECT rolinherit FROM pg_roles WHERE rolname = 'reporting'"), 'f', 'NOINHERIT');
is($target->safe_psql('postgres', "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'already_there'"), 'f',
	'an existing role keeps its own attributes');

is($target->safe_psql('postgres', q{
	SELECT g.rolname || ' > ' || m.rolname || ' ' || a.admin_option
	FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
	WHERE m.rolname IN ('app', 'Mixed Case', 'rôle_ünïcode', 'reporting', 'manager')
	ORDER BY 1}),
	join("\n", 'big_boss > manager false',
		'reporting > Mixed Case false', 'reporting > app true', 'we"ird role > rôle_ünïcode false'),
	'memberships, with admin option where the source had it');
like($r->{reporting}{message}, qr/not a member of "pg_read_all_data": a predefined role that reaches/,
	'a predefined role that reaches all data is not granted by default, and the row says why');

is($target->safe_psql('postgres', q{
	SELECT coalesce(d.datname, '-') || ' ' || array_to_string(s.setconfig, ' | ')
	FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole
	LEFT JOIN pg_database d ON d.oid = s.setdatabase
	WHERE r.rolname = 'app' ORDER BY 1}),
	join("\n", '- search_path=app, "My Schema", public | statement_timeout=5s',
		'postgres work_mem=8MB | search_path=reports, public'),
	'settings, lists kept as lists');
is($target->safe_psql('postgres', q{
	SELECT pg_catalog.array_length(current_schemas(false), 1) >= 0}), 't', 'sanity');
like($r->{app}{message}, qr/settings in database "only_on_source" not applied: the database is not on the target yet/,
	'settings of a database the target lacks are reported');
is($target->safe_psql('postgres', "SELECT shobj_description('app'::regrole, 'pg_authid')"),
	"the application's login", 'comment copied');

# the rows are kept, for the owner only
is($target->safe_psql('postgres', q{
	SELECT count(*) FROM migrate.roles WHERE rolpassword ~ '^placeholder_' AND migration_id IS NULL}),
	'4', 'placeholders stored in migrate.roles');
$target->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin;
	GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO admin;
});
is($target->safe_psql('postgres', 'SET ROLE admin; SELECT count(*) FROM migrate.roles'), '0',
	'another role does not see those rows');

# running again: everything exists
$r = copy_roles($target, $super_src);
is($r->{app}{status}, 'exists', 'second run: exists');
is($r->{legacy_1}{status}, 'created', 'second run without exclude_roles: created');

# sync_existing_roles brings an existing role in line
$r = copy_roles($target, $super_src, '{"sync_existing_roles": true}');
is($r->{already_there}{status}, 'exists', 'synchronized role is still "exists"');
like($r->{already_there}{message}, qr/attributes synchronized/, 'and says it was synchronized');
is($target->safe_psql('postgres', "SELECT rolcreatedb FROM pg_roles WHERE rolname = 'already_there'"), 't',
	'sync_existing_roles: attributes as on the source');

my $log = slurp_file($target->logfile);
unlike($log, qr/placeholder_[a-z]{16}/, 'no placeholder in the log');
unlike($log, qr/\Q$pw\E/, 'no password in the log');

done_testing();
