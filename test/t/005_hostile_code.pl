# Hostile code: functions the source defined run while rows load on the
# target (CHECK and domain constraints, generated columns, partition keys,
# index expressions, a materialized view's query) and try to take the
# server: ALTER ROLE ... SUPERUSER, CREATE ROLE ... SUPERUSER, GRANT
# pg_execute_server_program, COPY ... TO PROGRAM.  They must run as the
# object's owner, never as the migrating user, be it a superuser or a
# non-superuser admin.  Then a role of the target plants operators in
# schema public of database postgres, where the launcher polls as the
# bootstrap superuser: search_path must not hand it the launcher.  Each
# part ends with a control: the planted code, run with rights, does succeed.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $pw = 'Mover-pa55word-5';
my $dir = PostgreSQL::Test::Utils::tempdir();

my $source = new_source('source');
$source->safe_psql('postgres', qq{
	CREATE ROLE tenant NOLOGIN;
	CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw';
	CREATE DATABASE hostile OWNER tenant;
	CREATE DATABASE slowdb;
});
# Everything of database hostile is tenant's, and loaded as tenant: on the
# source the attacks fail (tenant may do none of it) and the rows load.
# public.attack(tag) is the payload; each place that runs source code on a
# load calls it with its own tag, which names the file it would write.
$source->safe_psql('hostile', qq{
SET ROLE tenant;
CREATE FUNCTION public.attack(tag text) RETURNS boolean LANGUAGE plpgsql AS \$f\$
BEGIN
	BEGIN ALTER ROLE tenant SUPERUSER; EXCEPTION WHEN others THEN NULL; END;
	BEGIN CREATE ROLE grabbed SUPERUSER; EXCEPTION WHEN others THEN NULL; END;
	BEGIN GRANT pg_execute_server_program TO tenant; EXCEPTION WHEN others THEN NULL; END;
	BEGIN GRANT pg_execute_server_program TO admin; EXCEPTION WHEN others THEN NULL; END;
	BEGIN EXECUTE pg_catalog.format('GRANT pg_execute_server_program TO %I', session_user);
	EXCEPTION WHEN others THEN NULL; END;
	BEGIN EXECUTE pg_catalog.format('COPY (SELECT 1) TO PROGRAM %L', 'touch $dir/' || tag);
	EXCEPTION WHEN others THEN NULL; END;
	RETURN true;
END \$f\$;
-- the places that need IMMUTABLE get a wrapper that calls the payload
CREATE FUNCTION public.gen_val(v int) RETURNS int LANGUAGE plpgsql IMMUTABLE
	AS \$\$ BEGIN PERFORM public.attack('generated'); RETURN v * 2; END \$\$;
CREATE FUNCTION public.part_key(v int) RETURNS int LANGUAGE plpgsql IMMUTABLE
	AS \$\$ BEGIN PERFORM public.attack('partition'); RETURN v % 2; END \$\$;
CREATE FUNCTION public.idx_key(v int) RETURNS int LANGUAGE plpgsql IMMUTABLE
	AS \$\$ BEGIN PERFORM public.attack('index'); RETURN -v; END \$\$;
CREATE DOMAIN public.guarded AS int CHECK (public.attack('domain'));

CREATE TABLE public.checked (id int PRIMARY KEY, v text CHECK (public.attack('check')));
CREATE TABLE public.generated (id int PRIMARY KEY, g int GENERATED ALWAYS AS (public.gen_val(id)) STORED);
CREATE TABLE public.domained (id int PRIMARY KEY, d public.guarded);
CREATE TABLE public.parted (id int, v text) PARTITION BY LIST (public.part_key(id));
CREATE TABLE public.parted_0 PARTITION OF public.parted FOR VALUES IN (0);
CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES IN (1);
CREATE TABLE public.indexed (id int PRIMARY KEY);
CREATE INDEX indexed_key ON public.indexed (public.idx_key(id));

INSERT INTO public.checked SELECT i, 'row ' || i FROM generate_series(1, 50) i;
INSERT INTO public.generated (id) SELECT generate_series(1, 50);
INSERT INTO public.domained SELECT i, i FROM generate_series(1, 50) i;
INSERT INTO public.parted SELECT i, 'row ' || i FROM generate_series(1, 50) i;
INSERT INTO public.indexed SELECT generate_series(1, 50);
CREATE MATERIALIZED VIEW public.watched AS SELECT id, public.attack('matview') AS ok FROM public.checked;
});
is($source->safe_psql('hostile', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'tenant'}), 'f',
	'sanity: loading the source gave tenant nothing');
my %expected = %{ table_fingerprints($source, 'hostile') };
my $tables = scalar(keys %expected);
my @tags = qw(check generated domain partition index matview);

# what the payload would have gained on NODE (for GRANTEE too, if given)
sub gains
{
	my ($node, $grantee) = @_;
	my %g = split /[|\n]/, $node->safe_psql('postgres', q{
		SELECT 'tenant is superuser', rolsuper FROM pg_roles WHERE rolname = 'tenant'
		UNION ALL SELECT 'role grabbed exists', count(*) > 0 FROM pg_roles WHERE rolname = 'grabbed'
		UNION ALL SELECT 'tenant in pg_execute_server_program', pg_has_role('tenant', 'pg_execute_server_program', 'MEMBER')});
	$g{"$grantee in pg_execute_server_program"} = $node->safe_psql('postgres',
		"SELECT pg_has_role('$grantee', 'pg_execute_server_program', 'MEMBER')") if $grantee;
	return \%g;
}

sub written { return join(',', grep { -e "$dir/$_" } @tags) }

sub loaded
{
	my ($node, $label) = @_;
	is_deeply(table_fingerprints($node, 'hostile'), \%expected, "$label: all $tables tables have the source's rows");
	is($node->safe_psql('hostile', 'SELECT count(*) FROM public.watched WHERE ok'), '50',
		"$label: the materialized view was refreshed");
}

# ---- a superuser migrates ----------------------------------------------------
my $t1 = new_target('t1', conf => "max_worker_processes = 16");
my $id = $t1->safe_psql('postgres',
	"SELECT migrate.start('" . source_uri($source, $os_user, undef) . "', '{\"method\": \"dump\", \"databases\": [\"hostile\"]}')");
is($t1->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'superuser: migration done');
loaded($t1, 'superuser');
my $got = gains($t1);
is_deeply($got, { 'tenant is superuser' => 'f', 'role grabbed exists' => 'f',
	'tenant in pg_execute_server_program' => 'f' },
	'superuser: tenant is not superuser, no role grabbed, tenant not in pg_execute_server_program')
  or diag explain $got;
is(written(), '', 'superuser: no COPY TO PROGRAM ran (no file written by any of: ' . join(' ', @tags) . ')');
is($t1->safe_psql('hostile', q{SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'}),
	'tenant', 'superuser: the tables are owned by tenant');
# control: the payload, as migrated, does take the server when a superuser runs it
$t1->safe_psql('hostile', q{SELECT public.attack('control')});
ok(-e "$dir/control" && $t1->safe_psql('postgres', q{SELECT rolsuper FROM pg_roles WHERE rolname = 'tenant'}) eq 't',
	'control: run by a superuser, the planted payload works');
unlink glob("$dir/*");

# ---- a non-superuser admin migrates --------------------------------------------
my $apw = 'Admin-pa55word-5';
my $t2 = new_target('t2', conf => "max_worker_processes = 16");
api_user($t2, 'admin', $apw);
$id = safe_as($t2, 'admin', $apw,
	"SELECT migrate.start('" . source_uri($source, 'mover', $pw) . "', '{\"method\": \"dump\", \"databases\": [\"hostile\"]}')");
is(safe_as($t2, 'admin', $apw, "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'admin: migration done');
is($t2->safe_psql('postgres', "SELECT state FROM migrate.migration WHERE id = $id"), 'done', "admin: state is 'done'");
loaded($t2, 'admin');
$got = gains($t2, 'admin');
is_deeply($got, { 'tenant is superuser' => 'f', 'role grabbed exists' => 'f',
	'tenant in pg_execute_server_program' => 'f', 'admin in pg_execute_server_program' => 'f' },
	'admin: admin not in pg_execute_server_program, tenant neither, nothing else gained')
  or diag explain $got;
is(written(), '', 'admin: no COPY TO PROGRAM ran');
is($t2->safe_psql('hostile', q{SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'}),
	'tenant', 'admin: the tables are owned by tenant');
# control: run by the admin itself, the payload makes it a member of
# pg_execute_server_program (CREATEROLE on PostgreSQL 15) and runs a program
safe_as($t2, 'admin', $apw, q{SELECT public.attack('control')}, 'hostile');
ok(-e "$dir/control", 'control: run by the admin, the planted payload reaches COPY TO PROGRAM');

# ---- the launcher and search_path ------------------------------------------------
# attacker may create in schema public of database postgres (the launcher's).
# The launcher's query compares with pg_locks only while a coordinator holds
# its lock: the migration copies a slow table (3000 rows at 4 ms) so that it
# lasts more than two launcher rounds.
$source->safe_psql('slowdb', slow_table_sql('slow', 3000));
my $t3 = new_target('t3', preload => 1, conf => "max_worker_processes = 16");
$t3->safe_psql('postgres', q{
	CREATE ROLE attacker LOGIN PASSWORD 'Attacker-pw-5';
	GRANT CREATE ON SCHEMA public TO attacker;
});
safe_as($t3, 'attacker', 'Attacker-pw-5', q{
CREATE FUNCTION public.eq_oid_int(oid, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	BEGIN ALTER ROLE attacker SUPERUSER; EXCEPTION WHEN others THEN NULL; END;
	RETURN $1::int OPERATOR(pg_catalog.=) $2;
END $$;
CREATE FUNCTION public.eq_text(text, text) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	BEGIN ALTER ROLE attacker SUPERUSER; EXCEPTION WHEN others THEN NULL; END;
	RETURN $1 OPERATOR(pg_catalog.=) $2;
END $$;
CREATE FUNCTION public.eq_bigint_int(bigint, integer) RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
	BEGIN ALTER ROLE attacker SUPERUSER; EXCEPTION WHEN others THEN NULL; END;
	RETURN $1 OPERATOR(pg_catalog.=) $2::bigint;
END $$;
CREATE OPERATOR public.= (LEFTARG = oid, RIGHTARG = integer, FUNCTION = public.eq_oid_int);
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.eq_text);
CREATE OPERATOR public.= (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = public.eq_bigint_int);
});
# this test's own statements must not be the ones that run the operators
my $pin = 'SET search_path = pg_catalog, pg_temp; ';
my $super = "${pin}SELECT rolsuper FROM pg_roles WHERE rolname = 'attacker'";
is($t3->safe_psql('postgres', $super), 'f', 'attacker starts as a plain role');
$id = $t3->safe_psql('postgres',
	"${pin}SELECT migrate.start('" . source_uri($source, $os_user, undef) . "', '{\"method\": \"dump\", \"databases\": [\"slowdb\"]}')");
is($t3->safe_psql('postgres', "${pin}SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'a migration ran (and its coordinator held its lock) while the operators were there');
# two more launcher rounds (every 5 s) after it is done: the one place a fixed wait is right
my $became = 'f';
for (1 .. 30)
{
	$became = $t3->safe_psql('postgres', $super);
	last if $became eq 't';
	select(undef, undef, undef, 0.5);
}
is($became, 'f', 'attacker is still not superuser: the launcher and the workers did not run its operators');
# control: a superuser session with the default search_path does run them
$t3->safe_psql('postgres', q{SELECT count(*) FROM pg_locks WHERE database = 5});
is($t3->safe_psql('postgres', $super), 't', 'control: the planted operator works on a default search_path');

done_testing();
