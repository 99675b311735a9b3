# migrate.copy_roles against real servers: once as a superuser and once as a
# non-superuser admin with CREATEROLE, checking every row and the roles'
# attributes, memberships, settings and comments on the target.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;
use MigrateTest;

my $pw = 'App-pa55word-xyz';
my $os_user = getpwuid($<);

my $source = new_source('source');
$source->safe_psql('postgres', qq{
	CREATE ROLE app LOGIN PASSWORD '$pw' CREATEDB CONNECTION LIMIT 5 VALID UNTIL '2031-01-01 00:00:00+00';
	CREATE ROLE reporting NOLOGIN NOINHERIT;
	CREATE ROLE "Mixed Case" LOGIN PASSWORD 'whatever-1';
	CREATE ROLE "we""ird role" NOLOGIN;
	CREATE ROLE "rôle_ünïcode" LOGIN;
	CREATE ROLE big_boss SUPERUSER LOGIN;
	CREATE ROLE replicator REPLICATION LOGIN;
	CREATE ROLE rls_skipper BYPASSRLS NOLOGIN;
	CREATE ROLE manager CREATEROLE NOLOGIN;
	CREATE ROLE rdsadmin LOGIN;
	CREATE ROLE legacy_1 NOLOGIN;
	CREATE ROLE already_there NOLOGIN CREATEDB;
	GRANT reporting TO app WITH ADMIN OPTION;
	GRANT reporting TO "Mixed Case";
	GRANT "we""ird role" TO "rôle_ünïcode";
	GRANT pg_read_all_data TO reporting;
	GRANT big_boss TO manager;
	ALTER ROLE app SET search_path = app, "My Schema", public;
	ALTER ROLE app SET statement_timeout = '5s';
	ALTER ROLE app IN DATABASE postgres SET work_mem = '8MB';
	ALTER ROLE app IN DATABASE postgres SET search_path = reports, public;
	CREATE DATABASE only_on_source;
	ALTER ROLE app IN DATABASE only_on_source SET work_mem = '16MB';
	COMMENT ON ROLE app IS 'the application''s login';
});

# source URIs: the OS user is a superuser of the source
my $super_src = source_uri($source, $os_user, undef);

sub copy_roles
{
	my ($target, $src, $opts, $role) = @_;
	$opts //= '{}';
	my $sql = ($role ? "SET ROLE $role;\n" : '')
	  . "SELECT rolname || E'\\x1f' || coalesce(rolpassword, '') || E'\\x1f' || status || E'\\x1f' || coalesce(message, '')"
	  . " FROM migrate.copy_roles('$src', '$opts')";
	my %rows;
	for my $line (split /\n/, $target->safe_psql('postgres', $sql))
	{
		my ($name, $password, $status, $message) = split /\x1f/, $line, -1;
		$rows{$name} = { password => $password, status => $status, message => $message };
	}
	return \%rows;
}

sub can_login
{
	my ($node, $user, $password) = @_;
	my ($out, $err);
	my $connstr = $node->connstr('postgres') . " user='$user' password='$password'";
	IPC::Run::run([ 'psql', '-XAtq', '-d', $connstr, '-c', 'SELECT current_user' ], '>', \$out, '2>', \$err);
	chomp $out if defined $out;
	return ($out // '') eq $user;
}

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

# ---- as a non-superuser admin with CREATEROLE ----------------------------------
my $target2 = new_target('target2', preload => 1);
$target2->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin;
	GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO admin;
});
$r = copy_roles($target2, source_uri($source, 'app', $pw), '{}', 'admin');
is($r->{$_}{status}, 'created', "admin: $_ created") for ('app', 'reporting', 'Mixed Case', 'we"ird role', 'manager');
is($r->{big_boss}{status}, 'failed', 'admin: superuser role failed');
like($r->{big_boss}{message}, qr/the source role has SUPERUSER, which only a superuser may give/, 'with the reason');
is($r->{replicator}{status}, 'failed', 'admin: replication role failed');
like($r->{replicator}{message}, qr/has REPLICATION/, 'with the attribute');
is($r->{rls_skipper}{status}, 'failed', 'admin: bypassrls role failed');
like($r->{rls_skipper}{message}, qr/has BYPASSRLS/, 'with the attribute');
like($r->{manager}{message}, qr/not a member of "big_boss": that role is not on the target/,
	'a membership in a role that failed is reported');
is($target2->safe_psql('postgres', "SELECT rolcreaterole FROM pg_roles WHERE rolname = 'manager'"), 'f',
	'a non-superuser\'s run on 15 gives no CREATEROLE (it could grant any role)');
like($r->{manager}{message}, qr/without CREATEROLE: on PostgreSQL 15 only a superuser's migration gives it/,
	'and says so');
is($target2->safe_psql('postgres', "SELECT pg_has_role('admin', 'app', 'MEMBER')"), 't',
	'the admin is a member of the roles it created, so that objects can be given to them');
is($target2->safe_psql('postgres', "SELECT count(*) FROM pg_roles WHERE rolname IN ('big_boss', 'replicator', 'rls_skipper')"),
	'0', 'the failed roles are not there');
is($target2->safe_psql('postgres', q{
	SELECT g.rolname || ' > ' || m.rolname || ' ' || a.admin_option
	FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid JOIN pg_roles m ON m.oid = a.member
	WHERE m.rolname = 'app'}), 'reporting > app true', 'admin: memberships copied');
like($target2->safe_psql('postgres', q{
	SELECT array_to_string(s.setconfig, ' | ') FROM pg_db_role_setting s
	WHERE s.setrole = 'app'::regrole AND s.setdatabase = 0}), qr/search_path=app, "My Schema", public/,
	'admin: settings copied');
is($target2->safe_psql('postgres', 'SET ROLE admin; SELECT count(*) FROM migrate.roles'), scalar(keys %$r),
	'the admin sees its own rows');

# ---- copy_password_hashes --------------------------------------------------------
my $target3 = new_target('target3', preload => 1);
$r = copy_roles($target3, $super_src, '{"copy_password_hashes": true}');
is($r->{app}{status}, 'created', 'hashes: created');
like($r->{app}{message}, qr/password hash copied/, 'hashes: says so');
ok(can_login($target3, 'app', $pw), 'hashes: app logs in with its source password');
is($r->{'rôle_ünïcode'}{password}, '', 'a LOGIN role without a password on the source gets none');

# ---- no placeholder or password in the log (preloaded targets mask statements) ----
my $log = slurp_file($target->logfile) . slurp_file($target2->logfile) . slurp_file($target3->logfile);
unlike($log, qr/placeholder_[a-z]{16}/, 'no placeholder in the logs');
unlike($log, qr/\Q$pw\E/, 'no password in the logs');

done_testing();
