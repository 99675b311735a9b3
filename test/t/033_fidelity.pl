# What used to arrive silently different (issue: fidelity), each case
# failing before its fix: sequences never called since a RESTART or a
# setval(..., false) kept their start value; columns of the reg* types were
# copied in binary, as the source's OIDs; an aclitem[] column (no binary
# I/O) failed the copy with "COPY file signature not recognized"; the
# source's subscriptions were copied with their passwords and slot names;
# the tables filter of one database emptied the others, named no
# partitions through their partitioned table, and left the tables it left
# out created; a database's grants (REVOKE CONNECT ... FROM PUBLIC) and
# connection limit were lost; a table whose row security hides rows from
# the source user lost them; a LATIN1 database into an existing UTF8 one
# failed (and bytes valid in both would have changed).
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $me = scalar getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE fid');
# (objects made and dropped first: the source's OIDs are not the target's)
$source->safe_psql('fid', join('', map { "CREATE TABLE burn$_ (); DROP TABLE burn$_;" } 1 .. 200));
$source->safe_psql('fid', q{
	CREATE SEQUENCE restarted;
	SELECT nextval('restarted');
	ALTER SEQUENCE restarted RESTART WITH 500;
	CREATE SEQUENCE set_false;
	SELECT setval('set_false', 77, false);
	CREATE SEQUENCE called;
	SELECT nextval('called'), nextval('called');
	CREATE SEQUENCE fresh START 40;
	CREATE TABLE ident (id int GENERATED ALWAYS AS IDENTITY, v int);
	INSERT INTO ident (v) VALUES (1);
	ALTER TABLE ident ALTER COLUMN id RESTART WITH 9000;

	CREATE SCHEMA app;
	CREATE FUNCTION app.f(integer) RETURNS integer LANGUAGE sql AS 'SELECT $1';
	CREATE TYPE app.mood AS ENUM ('ok');
	CREATE TABLE app.refs (id int PRIMARY KEY, rc regclass, rt regtype, rp regprocedure, rn regnamespace,
		rr regrole, rcs regclass[], acl aclitem[]);
	INSERT INTO app.refs VALUES (1, 'app.refs', 'app.mood', 'app.f(integer)', 'app', CURRENT_USER::regrole,
		ARRAY['app.refs', 'pg_class']::regclass[], ARRAY[makeaclitem(10, 10, 'SELECT', false)]);
	INSERT INTO app.refs VALUES (2, 'pg_class', 'int4', 'pg_catalog.now()', 'pg_catalog', NULL, NULL, NULL);

	CREATE PUBLICATION elsewhere_pub FOR TABLE ident;
});
$source->safe_psql('fid', "CREATE SUBSCRIPTION elsewhere CONNECTION 'host=127.0.0.1 port=1 dbname=fid user=x password=s3cret'"
	  . " PUBLICATION elsewhere_pub WITH (connect = false)");

my $target = engine_target('target');
my $src = source_uri($source, $me, undef);
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"fid\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'migrated')
  or diag(migration_diag($target, $id));

# ---- sequences -------------------------------------------------------------------
is($target->safe_psql('fid', "SELECT nextval('restarted')"), '500', 'a sequence RESTARTed WITH 500 goes on at 500');
is($target->safe_psql('fid', "SELECT nextval('set_false')"), '77', 'one given setval(77, false) at 77');
is($target->safe_psql('fid', "SELECT nextval('called')"), '3', 'one called twice at 3');
is($target->safe_psql('fid', "SELECT nextval('fresh')"), '40', 'one never called at its start');
is($target->safe_psql('fid', 'INSERT INTO ident (v) VALUES (2) RETURNING id'), '9000',
	'an identity RESTARTed WITH 9000 at 9000');

# ---- types whose binary form is an OID, or that have none ------------------------------
my $refs = 'SELECT id, rc::text, rt::text, rp::text, rn::text, rr::text, rcs::text, acl::text FROM app.refs ORDER BY id';
is($target->safe_psql('fid', $refs), $source->safe_psql('fid', $refs),
	'reg* columns name the same objects (copied as text, not as the source\'s OIDs), and aclitem[] is copied');
is($target->safe_psql('fid', "SELECT rc = 'app.refs'::regclass FROM app.refs WHERE id = 1"), 't',
	'the regclass is the target\'s own table');

# ---- the source's subscriptions -------------------------------------------------------
is($target->safe_psql('postgres', 'SELECT count(*) FROM pg_subscription'), '0', 'the source\'s subscription is not copied');
like($target->safe_psql('postgres', "SELECT string_agg(detail->>'message', ' | ') FROM migrate.event"
	  . " WHERE migration_id = $id AND kind = 'warning'"),
	qr/subscriptions of the source are not copied: elsewhere \(/, 'and a warning says so');
unlike($target->safe_psql('postgres', "SELECT string_agg(detail::text, ' ') FROM migrate.event WHERE migration_id = $id"),
	qr/s3cret/, 'its password is nowhere');

# ---- table filters ------------------------------------------------------------------------
$source->safe_psql('postgres', 'CREATE DATABASE multi1');
$source->safe_psql('postgres', 'CREATE DATABASE multi2');
$source->safe_psql('multi1', q{
	CREATE TABLE keep (id serial PRIMARY KEY, v text);
	INSERT INTO keep (v) SELECT 'k' || i FROM generate_series(1, 10) i;
	CREATE TABLE drop_me (id serial PRIMARY KEY);
	INSERT INTO drop_me DEFAULT VALUES;
	CREATE INDEX drop_me_idx ON drop_me (id);
	CREATE TABLE part (id int, v text) PARTITION BY RANGE (id);
	CREATE TABLE part_1 PARTITION OF part FOR VALUES FROM (0) TO (100);
	CREATE TABLE part_2 PARTITION OF part FOR VALUES FROM (100) TO (200);
	INSERT INTO part SELECT i, 'p' FROM generate_series(0, 199) i;
	CREATE TABLE child (id int PRIMARY KEY, d int REFERENCES drop_me);
	CREATE TABLE "left
out" (id int);
});
$source->safe_psql('multi2', 'CREATE TABLE other (id int); INSERT INTO other SELECT generate_series(1, 7)');

my $c = checks($target, $src, '{"databases": ["multi1"], "exclude_tables": ["multi1.public.nothing_here"]}');
detail_like($c, 'tables', 'error', qr/"multi1\.public\.nothing_here" of option "exclude_tables" matches no table/,
	'an exclude_tables pattern that matches nothing is an error of validate');
$c = checks($target, $src, '{"databases": ["multi1"], "tables": ["multi1.public.keep", "multi1.public.child"]}');
detail_like($c, 'tables', 'error',
	qr/table public\.child keeps foreign key child_d_fkey to table public\.drop_me, which the table filters leave out/,
	'so is a table kept whose foreign key points at a table left out');
$c = checks($target, $src, '{"databases": ["multi1"], "exclude_tables": ["multi1.public.part"]}');
detail_like($c, 'tables', 'ok', qr/^4 tables in the migrated databases$/,
	'excluding a partitioned table leaves its partitions out too');

my $fopts = '{"method": "dump", "databases": ["multi1", "multi2"], "roles": false,'
  . ' "tables": ["multi1.public.keep", "multi1.public.part"]}';
$id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$fopts')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'migrated with a tables filter')
  or diag(migration_diag($target, $id));
is($target->safe_psql('multi2', 'SELECT count(*) FROM other'), '7', 'the filter of one database leaves another whole');
is($target->safe_psql('multi1', 'SELECT (SELECT count(*) FROM keep) || \' \' || (SELECT count(*) FROM part)'), '10 200',
	'the tables named are copied, a partitioned one with its partitions');
is($target->safe_psql('postgres', "SELECT coalesce(string_agg(concat_ws(' ', dbname, check_name, relation, status), ', '), 'none')"
	  . " FROM migrate.verify($id, 'schema') WHERE status <> 'ok'"), 'none',
	'verify does not count what the filters left out (a name with a newline among them)');
is($target->safe_psql('multi1', "SELECT nextval('keep_id_seq')"), '11', 'with their sequences');
is($target->safe_psql('multi1', "SELECT concat_ws(',', to_regclass('drop_me'), to_regclass('drop_me_id_seq'), to_regclass('drop_me_idx'), to_regclass('child'))"),
	'', 'the tables left out are not created, nor their sequences and indexes');

# ---- a database's own rights and connection limit --------------------------------------------
$source->safe_psql('postgres', q{
	CREATE DATABASE granted;
	CREATE ROLE app_user;
	REVOKE CONNECT, TEMPORARY ON DATABASE granted FROM PUBLIC;
	GRANT CONNECT ON DATABASE granted TO app_user;
	GRANT CREATE ON DATABASE granted TO app_user WITH GRANT OPTION;
	ALTER DATABASE granted CONNECTION LIMIT 7;
});
$target->safe_psql('postgres', 'CREATE ROLE app_user; CREATE ROLE outsider');
$id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"granted\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'migrated a database with rights of its own')
  or diag(migration_diag($target, $id));
is($target->safe_psql('postgres', q{SELECT datconnlimit || ' '
	|| has_database_privilege('app_user', 'granted', 'CONNECT') || ' '
	|| has_database_privilege('app_user', 'granted', 'CREATE WITH GRANT OPTION') || ' '
	|| has_database_privilege('outsider', 'granted', 'CONNECT') || ' '
	|| has_database_privilege('outsider', 'granted', 'TEMPORARY') FROM pg_database WHERE datname = 'granted'}),
	'7 true true false false', 'its connection limit and rights are the source\'s: CONNECT revoked from PUBLIC stays revoked');
is($target->safe_psql('postgres', "SELECT status || ': ' || message FROM migrate.databases WHERE migration_id = $id"),
	'done: no table to copy: the source database has none', 'a database with no table to copy says so');

# ---- row security hiding rows from the source user ----------------------------------------
$source->safe_psql('postgres', 'CREATE DATABASE guarded');
$source->safe_psql('guarded', q{
	CREATE ROLE reader LOGIN PASSWORD 'Reader-pa55';
	CREATE TABLE secret (id int PRIMARY KEY);
	INSERT INTO secret SELECT generate_series(1, 100);
	ALTER TABLE secret ENABLE ROW LEVEL SECURITY;
	CREATE POLICY half ON secret FOR SELECT USING (id <= 50);
	GRANT SELECT ON secret TO reader;
	GRANT CONNECT ON DATABASE guarded TO reader;
});
my $rsrc = source_uri($source, 'reader', 'Reader-pa55');
$c = checks($target, $rsrc, '{"databases": ["guarded"], "roles": false}');
detail_like($c, 'tables', 'error', qr/database "guarded": row level security of table public\.secret applies to the source user/,
	'validate says beforehand that row security hides rows of a table from the source user');
my ($ret, $out, $err) = $target->psql('postgres',
	"SELECT migrate.start('$rsrc', '{\"method\": \"dump\", \"databases\": [\"guarded\"], \"roles\": false}')");
like($err, qr/the source cannot be migrated.*row level security of table public\.secret/s,
	'and start refuses it before anything is made, never a silent half');

# ---- a LATIN1 source database into an existing UTF8 one ---------------------------------------
$source->safe_psql('postgres', "CREATE DATABASE latin ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
$source->safe_psql('latin', q{
	SET client_encoding = 'UTF8';
	CREATE TABLE words (id int PRIMARY KEY, w text, c char(4));
	INSERT INTO words VALUES (1, 'café', 'Ærø'), (2, 'naïve façade', 'ß'), (3, 'plain', 'x');
});
$target->safe_psql('postgres', "CREATE DATABASE latin ENCODING 'UTF8' TEMPLATE template0");
$id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"latin\"], \"roles\": false, \"if_exists\": \"merge\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'a LATIN1 database migrated into a UTF8 one')
  or diag(migration_diag($target, $id));
my $words = "SELECT string_agg(id || ':' || md5(convert_to(w || '|' || c, 'UTF8')), ',' ORDER BY id) FROM words";
is($target->safe_psql('latin', $words), $source->safe_psql('latin', $words), 'every character converted, none changed');

# ---- indexes and keys in tablespaces ---------------------------------------------------------------
my ($fast_s, $fast_t, $slow_s) = map { PostgreSQL::Test::Utils::tempdir() } 1 .. 3;
$source->safe_psql('postgres', "CREATE TABLESPACE fast LOCATION '$fast_s'");
$source->safe_psql('postgres', "CREATE TABLESPACE slow LOCATION '$slow_s'");
$target->safe_psql('postgres', "CREATE TABLESPACE fast LOCATION '$fast_t'");
$source->safe_psql('postgres', 'CREATE DATABASE spaces');
$source->safe_psql('spaces', q{
	CREATE TABLE big (id int, v int, w int, CONSTRAINT big_pkey PRIMARY KEY (id) USING INDEX TABLESPACE fast);
	INSERT INTO big SELECT i, i % 10, i FROM generate_series(1, 20000) i;
	CREATE INDEX big_v ON big (v) TABLESPACE fast;
	CREATE INDEX big_w ON big (w) TABLESPACE slow;
	CREATE INDEX big_plain ON big (v, w);
	CREATE TABLE small (id int, CONSTRAINT small_pkey PRIMARY KEY (id) USING INDEX TABLESPACE fast);
	INSERT INTO small VALUES (1), (2);
	CREATE UNIQUE INDEX small_id ON small (id) TABLESPACE fast;
	-- a table, and its key, in the tablespace the target lacks
	CREATE TABLE cold (id int, t text, CONSTRAINT cold_pkey PRIMARY KEY (id) USING INDEX TABLESPACE slow) TABLESPACE slow;
	INSERT INTO cold SELECT i, 'c' || i FROM generate_series(1, 300) i;
});
$id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"spaces\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'migrated indexes in tablespaces')
  or diag(migration_diag($target, $id));
is($target->safe_psql('spaces', "SELECT string_agg(indexname || ':' || coalesce(tablespace, '-'), ' ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'public'"),
	'big_pkey:fast big_plain:- big_v:fast big_w:- cold_pkey:- small_id:fast small_pkey:fast',
	'indexes and keys are in their tablespaces, of a large table (tasks of their own) and a small one (with its copy); one the target has not is in the default');
like($target->safe_psql('postgres', "SELECT string_agg(message, ' | ') FROM migrate.warnings WHERE migration_id = $id AND object = 'tablespace slow'"),
	qr/^not on the target: what the source holds in it is made in the default tablespace/,
	'and a warning about the tablespace says so');
is($target->safe_psql('spaces', "SELECT count(*) || ' ' || coalesce((SELECT spcname FROM pg_tablespace WHERE oid = (SELECT reltablespace"
	  . " FROM pg_class WHERE oid = 'cold'::regclass)), '-') FROM cold"), '300 -',
	'a table in it is made in the default tablespace, with its rows');
is($target->safe_psql('postgres', "SELECT string_agg(check_name || ' ' || relation || ' ' || status, ', ' ORDER BY check_name, relation)"
	  . " FROM migrate.verify($id, 'schema') WHERE status <> 'ok' AND relation IS NOT NULL"),
	'index public.big_w not_kept, index public.cold_pkey not_kept, relation public.cold not_kept',
	'verify names what is not in its tablespace as not kept (the warning said so), and only that')
  or diag($target->safe_psql('postgres', "SELECT string_agg(concat_ws(' | ', relation, source_value, target_value, detail), E'\\n')"
	  . " FROM migrate.verify_result WHERE migration_id = $id AND status <> 'ok'"));
is($target->safe_psql('postgres', "SELECT differences FROM migrate.verify_run WHERE migration_id = $id ORDER BY run DESC LIMIT 1"), '0',
	'which is no difference');

done_testing();
