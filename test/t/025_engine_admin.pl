# A non-superuser admin (CREATEROLE, CREATEDB) runs a whole migration; a
# role without LOGIN cannot; the admin reads its migration with the
# password masked and never the stored source string.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src, $expected) = engine_source();
my $opts = '{"method": "dump", "databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';
my ($ret, $out, $err);
my $id;

my $pw = 'Mover-pa55word-1';
$source->safe_psql('postgres', "CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw'");
my $target = engine_target('target');
$target->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	CREATE ROLE nologin_admin NOLOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin, nologin_admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin, nologin_admin;
	GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO admin, nologin_admin;
});
my $mover = source_uri($source, 'mover', $pw);
($ret, $out, $err) = $target->psql('postgres',
	"SET ROLE nologin_admin; SELECT migrate.start('$mover', '{\"method\": \"dump\", \"databases\": [\"shop\"]}')");
like($err, qr/role "nologin_admin" cannot log in/, 'a role without LOGIN cannot start a migration');
$id = $target->safe_psql('postgres', "SET ROLE admin; SELECT migrate.start('$mover', '{\"method\": \"dump\", \"databases\": [\"shop\"]}')");
is($target->safe_psql('postgres', "SET ROLE admin; SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'non-superuser admin: done');
is_deeply(table_fingerprints($target, 'shop'), $expected->{shop}, 'non-superuser admin: shop identical');
is($target->safe_psql('postgres', "SET ROLE admin; SELECT count(*) FROM migrate.status"), '1', 'the admin sees its migration');
like($target->safe_psql('postgres', "SET ROLE admin; SELECT source FROM migrate.status"), qr/password=\*{8}/,
	'with the password masked');
($ret, $out, $err) = $target->psql('postgres', "SET ROLE admin; SELECT source FROM migrate_private.source");
like($err, qr/permission denied for schema migrate_private/, 'the stored source string is not readable by the admin');
unlike($target->safe_psql('postgres', "SET ROLE admin; SELECT string_agg(t::text, ' ') FROM migrate.migration t"),
	qr/\Q$pw\E/, 'no password in what the admin can read');

# ---- what only a superuser may make on the target ----------------------------------------
# An event trigger and publications of all tables and of a schema's: the admin's
# migration leaves them out, names each, and makes the rest of the database.
$source->safe_psql('postgres', 'CREATE ROLE hook_reader NOLOGIN; CREATE DATABASE hooks');
$source->safe_psql('hooks', q{
	CREATE SCHEMA s;
	CREATE TABLE s.t (id int PRIMARY KEY);
	CREATE TABLE public.u (id int PRIMARY KEY);
	INSERT INTO s.t SELECT generate_series(1, 5);
	INSERT INTO public.u SELECT generate_series(1, 3);
	CREATE FUNCTION public.ddl_log() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN RAISE NOTICE 'ddl'; END $$;
	CREATE EVENT TRIGGER ddl_watch ON ddl_command_end EXECUTE FUNCTION public.ddl_log();
	ALTER EVENT TRIGGER ddl_watch DISABLE;
	COMMENT ON EVENT TRIGGER ddl_watch IS 'watches';
	CREATE PUBLICATION everything FOR ALL TABLES;
	CREATE PUBLICATION of_schema FOR TABLES IN SCHEMA s;
	CREATE PUBLICATION of_table FOR TABLE public.u;
	COMMENT ON PUBLICATION everything IS 'all of it';
	SELECT lo_from_bytea(4343, 'hooked');
	-- names a hostile source might choose, to look like a statement's words or to break a line
	CREATE TABLE public."t OWNER TO nobody" (id int);
	CREATE TABLE public."line
break" (id int);
	GRANT USAGE ON SCHEMA s TO hook_reader;
	GRANT SELECT ON s.t TO hook_reader;
	GRANT SELECT (id) ON public.u TO hook_reader;
});
my $hooks_opts = '{"method": "dump", "databases": ["hooks"]}';
my $rows = $target->safe_psql('postgres', "SET ROLE admin; SELECT status || ' ' || detail FROM migrate.validate('$mover',"
	  . " '$hooks_opts') WHERE check_name = 'superuser_objects'");
like($rows, qr/^warning database "hooks": 3 objects that only a superuser can make on the target: event trigger ddl_watch,.*publication everything \(all tables\).*publication of_schema \(tables in schema\)/s,
	'validate names what only a superuser can make');
unlike($rows, qr/of_table/, 'and not a publication of named tables');
like($target->safe_psql('postgres', "SELECT status || ' ' || detail FROM migrate.validate('$mover', '$hooks_opts')"
	  . " WHERE check_name = 'superuser_objects'"), qr/^ok /, 'a superuser has nothing to leave out');
# what only a superuser may make and the migration cannot leave out: an error beforehand
$source->safe_psql('postgres', 'CREATE DATABASE needs_su');
$source->safe_psql('needs_su', q{
	CREATE FUNCTION public.my_lower(text) RETURNS text LANGUAGE internal IMMUTABLE STRICT AS 'lower';
	CREATE OPERATOR FAMILY public.fam USING btree;
	CREATE TEXT SEARCH CONFIGURATION public.mine (COPY = simple);
	CREATE FUNCTION public.plain() RETURNS int LANGUAGE sql AS 'SELECT 1';
	CREATE FUNCTION public.sealed(int) RETURNS int LANGUAGE sql IMMUTABLE LEAKPROOF AS 'SELECT $1';
	CREATE CAST (bytea AS text) WITHOUT FUNCTION;
	-- what anyone may make: an aggregate (its language is internal), a range type (its constructors too)
	CREATE AGGREGATE public.total(int) (sfunc = int4pl, stype = int);
	CREATE TYPE public.span AS RANGE (subtype = int);
});
$rows = $target->safe_psql('postgres', "SET ROLE admin; SELECT status || ' ' || detail || ' | ' || hint FROM migrate.validate('$mover',"
	  . " '{\"databases\": [\"needs_su\"]}') WHERE check_name = 'superuser_objects'");
like($rows, qr/^error database "needs_su": 4 objects that only a superuser can make on the target, and that the migration cannot leave out:/,
	'validate says, as an error, what only a superuser can make and the migration cannot leave out');
like($rows, qr/function public\.my_lower\(text\) \(language internal\)/, 'a function in an untrusted language');
like($rows, qr/operator family public\.fam/, 'an operator family');
like($rows, qr/function public\.sealed\(integer\) \(leakproof\)/, 'a leakproof function');
like($rows, qr/cast \(bytea AS text\) without function/, 'a cast without a function');
unlike($rows, qr/plain|mine|total|span/,
	'not a function in a trusted language, a text search configuration, an aggregate or a range type (anyone may make them)');
like($rows, qr/\| Run the migration as a superuser, or drop them/, 'with what to do');
like($target->safe_psql('postgres', "SELECT status FROM migrate.validate('$mover', '{\"databases\": [\"needs_su\"]}')"
	  . " WHERE check_name = 'superuser_objects'"), qr/^ok$/, 'a superuser may make them');
# (verified as it ends: what it left out is named, and no difference)
$id = $target->safe_psql('postgres', "SET ROLE admin; SELECT migrate.start('$mover', '{\"method\": \"dump\", \"databases\": [\"hooks\"], \"verify\": \"schema\"}')");
is($target->safe_psql('postgres', "SET ROLE admin; SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'the admin\'s migration of a database with them is done')
  or diag(migration_diag($target, $id));
is($target->safe_psql('hooks', "SELECT (SELECT count(*) FROM s.t) || ' ' || (SELECT count(*) FROM public.u)"
	  . " || ' ' || (SELECT count(*) FROM pg_event_trigger) || ' ' || (SELECT string_agg(pubname, ',' ORDER BY pubname) FROM pg_publication)"),
	'5 3 0 of_schema,of_table', 'the data is in; no event trigger; the publication of a table is made, that of a schema without its schema');
is($target->safe_psql('hooks', "SELECT count(*) FROM pg_publication_rel pr JOIN pg_publication p ON p.oid = pr.prpubid WHERE p.pubname = 'of_table'"),
	'1', 'with its table');
my $warnings = $target->safe_psql('postgres', "SELECT string_agg(detail->>'message', E'\\n') FROM migrate.event"
	  . " WHERE migration_id = $id AND kind = 'warning'");
like($warnings, qr/left out: event trigger ddl_watch, which only a superuser can make here/, 'a warning names the event trigger');
like($warnings, qr/left out: publication everything, which only a superuser can make here/, 'and the publication of all tables');
like($warnings, qr/left out of publication of_schema: what only a superuser can add to it here.*TABLES IN SCHEMA s/s,
	'and the schema of the other');
unlike($warnings, qr/COMMENT ON|does not exist/, 'what the dump does to them afterwards is left out with them, not warned about again');
is($target->safe_psql('postgres', "SET ROLE admin; SELECT string_agg(object, ', ' ORDER BY object) FROM migrate.warnings"
	  . " WHERE migration_id = $id AND message LIKE 'left out%'"),
	'event trigger ddl_watch, publication everything, publication of_schema', 'each warning names its object');
is($target->safe_psql('postgres', "SET ROLE admin; SELECT string_agg(check_name || ' ' || relation || ' ' || status, ', '"
	  . " ORDER BY check_name, relation COLLATE \"C\") FROM migrate.verify_result WHERE migration_id = $id AND status <> 'ok'"),
	'event_trigger ddl_watch left_out, owner function public.ddl_log() not_kept, owner large object 4343 not_kept,'
	  . " owner relation public.\"line\nbreak\" not_kept, owner relation public.\"t OWNER TO nobody\" not_kept, owner relation public.u not_kept,"
	  . ' owner relation s.t not_kept, owner schema s not_kept, publication everything left_out, publication of_schema not_kept',
	'verify names what was left out as left out, not as missing, the owners the admin could not give (a superuser\'s)'
	  . ' as not kept, and the publication whose schema was left out; the grants, the same from another owner, are equal');
like($target->safe_psql('postgres', "SET ROLE admin; SELECT source_value || ' | ' || target_value FROM migrate.verify_result"
	  . " WHERE migration_id = $id AND check_name = 'publication' AND relation = 'of_schema'"),
	qr/^tables insert,update,delete,truncate in schemas s \| tables insert,update,delete,truncate$/,
	'the publication of a schema is named with what it publishes on either side');
is($target->safe_psql('postgres', "SET ROLE admin; SELECT differences FROM migrate.verify_run WHERE migration_id = $id"),
	'0', 'and finds no difference: the database is done');

done_testing();
