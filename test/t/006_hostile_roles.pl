# Hostile roles: a source role that is a member, on the source, of
# predefined roles that reach the server's programs and files, and of a
# role named like the target's own API user.  The roles step may create the
# role but must grant it nothing the source should not choose: not as a
# superuser's copy_roles, not in a non-superuser admin's migration; the
# refusals are explained in migrate.roles and foreseen by validate.  Only a
# superuser may ask for predefined roles (grant_predefined_roles).  And
# sync_existing_roles works for a non-superuser admin.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $pw = 'Mover-pa55word-6';
my $apw = 'Admin-pa55word-6';
my @refused = qw(admin pg_execute_server_program pg_read_server_files);

my $source = new_source('source');
$source->safe_psql('postgres', qq{
	CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw';
	CREATE ROLE admin NOLOGIN;
	CREATE ROLE evil LOGIN PASSWORD 'evil-pw-1';
	GRANT pg_execute_server_program, pg_read_server_files, admin TO evil;
	CREATE ROLE already_there NOLOGIN CREATEDB;
	CREATE DATABASE app OWNER evil;
});
$source->safe_psql('app', q{
	SET ROLE evil;
	CREATE TABLE public.things (id int PRIMARY KEY, name text);
	INSERT INTO public.things SELECT i, 'thing ' || i FROM generate_series(1, 100) i;
});
my $super_src = source_uri($source, $os_user, undef);
my $mover_src = source_uri($source, 'mover', $pw);

# a target whose own admin (the API user) exists before anything is copied
sub fresh_target
{
	my ($name) = @_;
	my $node = new_target($name, conf => "max_worker_processes = 16");
	api_user($node, 'admin', $apw);
	return $node;
}

# which of the refused roles evil is a member of (directly or not) on NODE
sub evil_member_of
{
	my ($node) = @_;
	return $node->safe_psql('postgres', q{
		SELECT coalesce(string_agg(g, ',' ORDER BY g), '')
		FROM unnest(ARRAY['admin', 'pg_execute_server_program', 'pg_read_server_files']) g
		WHERE EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = 'evil' AND pg_has_role(r.oid, g, 'MEMBER'))});
}

# migrate.roles explains each refusal
sub refusals_explained
{
	my ($message, $label) = @_;
	like($message, qr/"?admin"?[^;\n]*existed on the target before|existed on the target before[^;\n]*"?admin"?/,
		"$label: the refusal of admin says it existed on the target before");
	like($message, qr/predefined role/, "$label: the refusal of the pg_ roles says they are predefined roles");
	like($message, qr/\Q$_\E/, "$label: the message names $_") for @refused;
}

# validate, as the admin, foresees the refusals: a warning naming them
sub validate_warns
{
	my ($node, $label) = @_;
	my (undef, $out) = psql_as($node, 'admin', $apw,
		"SELECT status || E'\\x1f' || detail FROM migrate.validate('$mover_src')"
		  . " WHERE check_name = 'role_memberships'");
	my ($status, $detail) = split /\x1f/, $out, 2;
	is($status // '', 'warning', "$label: validate has a role_memberships warning");
	$detail //= '';
	ok($detail =~ /evil/ && !(grep { $detail !~ /\Q$_\E/ } @refused),
		"$label: whose detail names evil's refused memberships in " . join(', ', @refused))
	  or diag "detail: $detail";
}

# ---- a superuser's copy_roles ---------------------------------------------------
my $t1 = fresh_target('t1');
validate_warns($t1, 'superuser target');
my %status = map { split /\|/, $_, 2 } split /\n/,
  $t1->safe_psql('postgres', "SELECT rolname, status FROM migrate.copy_roles('$super_src')");
is($status{evil}, 'created', 'superuser copy_roles: evil created');
is(evil_member_of($t1), '', 'superuser copy_roles: evil is a member of none of admin, pg_execute_server_program, pg_read_server_files');
refusals_explained($t1->safe_psql('postgres', "SELECT message FROM migrate.roles WHERE rolname = 'evil'"),
	'superuser copy_roles');

# ---- grant_predefined_roles: a superuser's to give --------------------------------
my $t3 = fresh_target('t3');
my ($ret, $out, $err) = $t3->psql('postgres',
	"SELECT * FROM migrate.copy_roles('$super_src', '{\"grant_predefined_roles\": true}')");
is($err, '', 'grant_predefined_roles, by a superuser: accepted');
like(evil_member_of($t3), qr/^pg_execute_server_program,pg_read_server_files$|^pg_read_server_files$/,
	'grant_predefined_roles, by a superuser: evil is a member of pg_read_server_files (and not of the target\'s own admin)');

# ---- a non-superuser admin --------------------------------------------------------
my $t2 = fresh_target('t2');
$t2->safe_psql('postgres', 'CREATE ROLE already_there NOLOGIN');
($ret, $out, $err) = psql_as($t2, 'admin', $apw, "\\set VERBOSITY verbose\n"
	  . "SELECT * FROM migrate.copy_roles('$mover_src', '{\"grant_predefined_roles\": true}')");
like($err, qr/ERROR:  42501:/, 'admin: copy_roles with grant_predefined_roles is an error of insufficient privilege');
like($err, qr/HINT:  .*superuser/i, 'whose hint mentions a superuser');
is($t2->safe_psql('postgres', q{SELECT count(*) FROM pg_roles WHERE rolname = 'evil'}), '0',
	'nothing was created: no role evil');
# the same option to start, on a target of its own (should it start anyway)
my $t4 = fresh_target('t4');
($ret, $out, $err) = psql_as($t4, 'admin', $apw, "\\set VERBOSITY verbose\n"
	  . "SELECT migrate.start('$mover_src', '{\"method\": \"dump\", \"databases\": [\"app\"], \"grant_predefined_roles\": true}')");
like($err, qr/ERROR:  42501:/, 'admin: start with grant_predefined_roles is refused too');
is($t4->safe_psql('postgres', q{
	SELECT (SELECT count(*) FROM pg_roles WHERE rolname = 'evil') || ' ' || (SELECT count(*) FROM migrate.migration)}),
	'0 0', 'and nothing was created: no role evil, no migration');

validate_warns($t2, 'admin target');
my $id = safe_as($t2, 'admin', $apw, "SELECT migrate.start('$mover_src', '{\"method\": \"dump\", \"databases\": [\"app\"]}')");
is(safe_as($t2, 'admin', $apw, "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'admin: migration done');
is($t2->safe_psql('postgres', "SELECT status FROM migrate.roles WHERE migration_id = $id AND rolname = 'evil'"),
	'created', 'admin migration: evil created');
is(evil_member_of($t2), '', 'admin migration: evil is a member of none of admin, pg_execute_server_program, pg_read_server_files');
refusals_explained(safe_as($t2, 'admin', $apw,
	"SELECT message FROM migrate.roles WHERE migration_id = $id AND rolname = 'evil'"), 'admin migration');
is($t2->safe_psql('app', 'SELECT count(*) FROM public.things'), '100', 'admin migration: the rows are there');

# ---- sync_existing_roles, by the admin ----------------------------------------------
my %r = map { my ($n, $s, $m) = split /\x1f/, $_, 3; ($n => [ $s, $m // '' ]) } split /\n/,
  safe_as($t2, 'admin', $apw, "SELECT rolname || E'\\x1f' || status || E'\\x1f' || coalesce(message, '')"
	  . " FROM migrate.copy_roles('$mover_src', '{\"sync_existing_roles\": true, \"exclude_roles\": [\"admin\"]}')");
is($r{already_there}[0], 'exists', 'admin sync_existing_roles: an existing non-superuser role is "exists"');
like($r{already_there}[1], qr/synchronized/, 'and synchronized');
unlike($r{already_there}[1], qr/not synchronized/, 'not "not synchronized"');
is($t2->safe_psql('postgres', q{SELECT rolcreatedb FROM pg_roles WHERE rolname = 'already_there'}), 't',
	'with the attributes of the source (CREATEDB)') or diag "message: $r{already_there}[1]";
is(evil_member_of($t2), '', 'after sync_existing_roles evil is still a member of none of them');
# the source's own "admin" (NOLOGIN, nothing) does not reshape the caller:
# the API user that existed before keeps what the operator gave it
($ret, $out, $err) = psql_as($t2, 'admin', $apw,
	"SELECT count(*) FROM migrate.copy_roles('$mover_src', '{\"sync_existing_roles\": true}')");
is($t2->safe_psql('postgres', q{SELECT rolcanlogin, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = 'admin'}),
	't|t|t', 'sync_existing_roles leaves the target\'s own admin (the caller) LOGIN CREATEROLE CREATEDB');

done_testing();
