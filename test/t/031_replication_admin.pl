# A non-superuser admin (CREATEROLE, CREATEDB) replicates from a source
# user with REPLICATION that owns its tables.  On PostgreSQL 15 the
# subscription is made and owned by the bootstrap superuser, so its apply
# worker runs as one: a database whose tables would run code in apply (a
# trigger enabled ALWAYS that makes the admin a superuser) is copied with
# dump instead, naming the trigger; while replicating, the admin cannot
# give the replicated tables such code, and a table made on the source
# with such code does not join the stream.  The admin never becomes
# superuser.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $pw = 'Mover-pa55word-2';
my $apw = 'Admin-pa55word-2';
my $source = new_source('source');
$source->safe_psql('postgres', qq{
	CREATE ROLE mover LOGIN REPLICATION PASSWORD '$pw';
	CREATE DATABASE app OWNER mover;
	CREATE DATABASE trap OWNER mover;
});
$source->safe_psql('app', q{
	SET ROLE mover;
	CREATE TABLE items (id int PRIMARY KEY, n int NOT NULL CHECK (n > -1000000));
	INSERT INTO items SELECT i, i FROM generate_series(1, 1000) i;
	CREATE TABLE notes (body text);
	INSERT INTO notes SELECT 'note ' || i FROM generate_series(1, 50) i;
	CREATE FUNCTION public.flag_default() RETURNS boolean LANGUAGE sql AS 'SELECT true';
	CREATE DOMAIN public.flag AS boolean DEFAULT public.flag_default();
});
$source->safe_psql('trap', q{
	SET ROLE mover;
	CREATE TABLE t (id int PRIMARY KEY);
	CREATE FUNCTION promote() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'admin' AND NOT rolsuper) THEN
			EXECUTE 'ALTER ROLE admin SUPERUSER';
		END IF;
		RETURN NEW;
	END $$;
	CREATE TRIGGER promote BEFORE INSERT OR UPDATE ON t FOR EACH ROW EXECUTE FUNCTION promote();
	ALTER TABLE t ENABLE ALWAYS TRIGGER promote;
	INSERT INTO t SELECT generate_series(1, 10);
});

my $target = engine_target('target');
api_user($target, 'admin', $apw);
my $src = source_uri($source, 'mover', $pw);
my $id = safe_as($target, 'admin', $apw,
	"SELECT migrate.start('$src', '{\"databases\": [\"app\", \"trap\"], \"roles\": false}')");
is(safe_as($target, 'admin', $apw, "SELECT migrate.wait($id, 'replicating', '300 s')"), 'replicating',
	'the admin\'s migration replicates')
  or diag(migration_diag($target, $id));
is($target->safe_psql('postgres',
	"SELECT string_agg(dbname || ' ' || method || ' ' || status, ', ' ORDER BY dbname) FROM migrate.databases WHERE migration_id = $id"),
	'app replication replicating, trap dump done', 'app replicates; trap, whose table runs code in apply, is copied with dump');
like($target->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id AND dbname = 'trap'"),
	qr/superuser.*trigger promote of table public.t \(enabled ALWAYS\)/, 'and its message names the trigger');
is($source->safe_psql('trap', 'SELECT count(*) FROM pg_publication'), '0', 'trap\'s publication is gone from the source');
is($source->safe_psql('postgres', "SELECT string_agg(slot_name, ',') FROM pg_replication_slots"),
	'aiven_db_migrate_app_slot', 'and its slot; app\'s stays');
is($target->safe_psql('postgres', "SELECT r.rolsuper FROM pg_subscription s JOIN pg_roles r ON r.oid = s.subowner"),
	't', 'the subscription is owned by a superuser (PostgreSQL 15)');
is($target->safe_psql('app', "SELECT evtenabled FROM pg_event_trigger WHERE evtname = 'aiven_db_migrate_guard'"), 'A',
	'a guard watches the replicated database');

# the source writes; the admin tries to give the replicated tables code
$source->safe_psql('app', 'SET ROLE mover; INSERT INTO items VALUES (1001, 1); UPDATE notes SET body = upper(body)');
ok($target->poll_query_until('app', 'SELECT count(*) = 1001 FROM items'), 'changes are applied');
safe_as($target, 'admin', $apw, q{
	CREATE FUNCTION public.promote() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN EXECUTE 'ALTER ROLE admin SUPERUSER'; RETURN NEW; END $$;
	CREATE FUNCTION public.ok(int) RETURNS boolean LANGUAGE sql AS $$ SELECT true $$;
	CREATE TRIGGER promote BEFORE INSERT ON public.items FOR EACH ROW EXECUTE FUNCTION public.promote();
}, 'app');
my ($ret, $out, $err) = psql_as($target, 'admin', $apw, 'ALTER TABLE public.items ENABLE ALWAYS TRIGGER promote', 'app');
like($err, qr/would make the replication of migrate run code with a superuser's rights.*trigger promote of table public.items \(enabled ALWAYS\)/s,
	'enabling a trigger ALWAYS on a replicated table is refused');
($ret, $out, $err) = psql_as($target, 'admin', $apw, 'ALTER TABLE public.items ADD CHECK (public.ok(n))', 'app');
like($err, qr/would make the replication of migrate run code.*calls public.ok\(integer\)/s, 'so is a CHECK that calls a function of the admin\'s');
($ret, $out, $err) = psql_as($target, 'admin', $apw,
	"ALTER TABLE public.notes ADD CONSTRAINT sneaky CHECK (query_to_xml('SELECT public.ok(1)', false, false, '') IS NOT NULL)", 'app');
like($err, qr/would make the replication of migrate run code.*constraint sneaky of table public.notes calls query_to_xml/s,
	'and a CHECK that has a built-in function run a query of the admin\'s');
($ret, $out, $err) = psql_as($target, 'admin', $apw,
	'ALTER TABLE public.notes ADD COLUMN t text DEFAULT public.ok(1)::text', 'app');
like($err, qr/would make the replication of migrate run code.*the default of column t of table public.notes calls public.ok\(integer\)/s,
	'and a default that calls a function of the admin\'s (apply fills in the columns a relation leaves out)');
($ret, $out, $err) = psql_as($target, 'admin', $apw, 'CREATE INDEX ON public.notes (public.ok(length(body)))', 'app');
like($err, qr/would make the replication of migrate run code/, 'and an index on such a function');
safe_as($target, 'admin', $apw, 'CREATE TABLE public.scratch (x int); DROP TABLE public.scratch', 'app');
pass('other changes are not refused');
$source->safe_psql('app', 'SET ROLE mover; INSERT INTO items VALUES (1002, 2)');
ok($target->poll_query_until('app', 'SELECT count(*) = 1002 FROM items'), 'replication goes on');

# tables made on the source while replicating: one joins the stream; one
# whose trigger (enabled ALWAYS, calling the admin's function that makes
# the admin a superuser) would run in apply is refused, and named
$source->safe_psql('app', q{
	SET ROLE mover;
	CREATE TABLE later (id int PRIMARY KEY, v text);
	INSERT INTO later SELECT i, 'v' || i FROM generate_series(1, 20) i;
	CREATE FUNCTION public.promote() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
	CREATE TABLE trapped (id int PRIMARY KEY);
	CREATE TRIGGER promote BEFORE INSERT ON trapped FOR EACH ROW EXECUTE FUNCTION public.promote();
	ALTER TABLE trapped ENABLE ALWAYS TRIGGER promote;
	INSERT INTO trapped VALUES (1);
	CREATE TABLE flagged (id int PRIMARY KEY, f public.flag);
});
is(poll_until($target, "SELECT state FROM migrate.task WHERE migration_id = $id AND kind = 'join'", qr/^(done|failed)$/),
	'done', 'the tables made on the source get their join')
  or diag(migration_diag($target, $id));
like($target->safe_psql('postgres', "SELECT string_agg(detail->>'message', ' | ') FROM migrate.event"
	  . " WHERE migration_id = $id AND kind = 'warning'"),
	qr/table public\.trapped, made on the source while replicating, is not joined to the stream: .*superuser.*trigger promote of table public\.trapped \(enabled ALWAYS\)/,
	'the one whose trigger would run with a superuser\'s rights is not joined, and the warning says why');
like($target->safe_psql('postgres', "SELECT string_agg(detail->>'message', ' | ') FROM migrate.event"
	  . " WHERE migration_id = $id AND kind = 'warning'"),
	qr/table public\.flagged, made on the source while replicating, is not joined to the stream: .*the default of domain public\.flag \(column f of table public\.flagged\) calls public\.flag_default\(\)/,
	'so is one whose column\'s domain has a default that calls a function of the admin\'s (the table sync fills it in)');
is($target->safe_psql('app', "SELECT to_regclass('public.trapped') IS NULL AND to_regclass('public.flagged') IS NULL"), 't',
	'and neither is made on the target');
is($source->safe_psql('app', "SELECT string_agg(tablename, ',' ORDER BY tablename) FROM pg_publication_tables"),
	'items,later,notes', 'nor published; the other one is');
$source->safe_psql('app', "SET ROLE mover; INSERT INTO later VALUES (21, 'after'); INSERT INTO trapped VALUES (2)");
ok($target->poll_query_until('app', 'SELECT count(*) = 21 FROM later'), 'the table that joined takes its changes');
is($target->safe_psql('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = 'admin'"), 'f',
	'the admin is still not a superuser');
$source->safe_psql('app', 'SET ROLE mover; DROP TABLE trapped, flagged');

is(safe_as($target, 'admin', $apw,
	"SELECT string_agg(dbname || ' ' || status, ', ' ORDER BY dbname) FROM migrate.cutover($id, '120 s')"),
	'app done, trap done', 'the admin cuts over');
is($target->safe_psql('app', "SELECT count(*) FROM pg_event_trigger"), '0', 'the guard is gone with the subscription');
is($target->safe_psql('app', "SELECT count(*) FROM pg_namespace WHERE nspname = 'aiven_db_migrate_guard'"), '0',
	'and its schema');
is($target->safe_psql('postgres', 'SELECT count(*) FROM pg_subscription'), '0', 'no subscription is left');
is($source->safe_psql('postgres', 'SELECT count(*) FROM pg_replication_slots'), '0', 'no slot is left');
for my $db ('app', 'trap')
{
	is_deeply(table_fingerprints($target, $db), table_fingerprints($source, $db), "$db identical to the source");
}
is($target->safe_psql('postgres', "SELECT rolsuper FROM pg_roles WHERE rolname = 'admin'"), 'f',
	'the admin is not a superuser');

done_testing();
