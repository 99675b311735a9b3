# A table whose owner on the source cannot own it here (roles not copied, so
# the role is missing) stays the migrating superuser's; loading it would run
# the source's CHECK function as that superuser.  Such a table is refused,
# with the reason and what to do; a table of the same owner whose load runs
# no code of the source is copied.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $dir = PostgreSQL::Test::Utils::tempdir();
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE ROLE tenant2 NOLOGIN; CREATE ROLE reader2 NOLOGIN; CREATE DATABASE shop');
$source->safe_psql('shop', qq{
	CREATE FUNCTION public.grab() RETURNS boolean LANGUAGE plpgsql AS \$f\$
	BEGIN
		BEGIN EXECUTE pg_catalog.format('COPY (SELECT 1) TO PROGRAM %L', 'touch $dir/grabbed');
		EXCEPTION WHEN others THEN NULL; END;
		RETURN true;
	END \$f\$;
	ALTER FUNCTION public.grab() OWNER TO tenant2;
	CREATE TABLE public.guarded (id int PRIMARY KEY CHECK (public.grab()));
	CREATE TABLE public.plain (id int PRIMARY KEY, v text CHECK (length(v) < 100));
	INSERT INTO public.plain SELECT i, 'row ' || i FROM generate_series(1, 100) i;
	ALTER TABLE public.guarded OWNER TO tenant2;
	ALTER TABLE public.plain OWNER TO tenant2;
	GRANT SELECT (v) ON public.plain TO reader2;
	-- more warnings than a few kilobytes hold: each of them is recorded
	DO \$d\$ BEGIN
		FOR i IN 1..80 LOOP
			EXECUTE pg_catalog.format('CREATE TABLE public.many_%s (id int); ALTER TABLE public.many_%s OWNER TO tenant2', i, i);
		END LOOP;
	END \$d\$;
});
# the rows load on the source without the function's attack succeeding
$source->safe_psql('shop', 'SET ROLE tenant2; INSERT INTO public.guarded SELECT generate_series(1, 10)');
unlink "$dir/grabbed";
my $src = source_uri($source, $os_user, undef);

my $target = new_target('target', preload => 1, conf => 'max_worker_processes = 16');
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed',
	'the migration does not finish: one table is refused');
like($target->safe_psql('postgres', "SELECT error FROM migrate.errors WHERE migration_id = $id AND task LIKE 'copy%guarded'"),
	qr/table public\.guarded is owned by \S+ here but by tenant2 on the source, and loading it runs code the source defined/,
	'the guarded table is refused, and the error says why');
like($target->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id"),
	qr/^copy public\.guarded: table public\.guarded is owned by .*\(and \d+ other failed tasks?: migrate\.errors lists them, the root first\)$/s,
	'the database\'s message is the root error, named by its task, not one of the tasks that only depend on it');
like($target->safe_psql('postgres', "SELECT task || ': ' || error FROM migrate.errors WHERE migration_id = $id LIMIT 1"),
	qr/^copy public\.guarded: table public\.guarded is owned by/, 'and migrate.errors lists it first');
like($target->safe_psql('postgres', "SELECT error FROM migrate.errors WHERE migration_id = $id LIMIT 1"),
	qr/: Its constraints, defaults, .* Hint: Have role tenant2 on the target/s,
	'with its detail and its hint: what to do about it');
like($target->safe_psql('postgres', "SELECT string_agg(error, E'\\n') FROM migrate.errors WHERE migration_id = $id"),
	qr/not run: it depends on copy task/, 'the tasks that depend on it follow');
ok(!-e "$dir/grabbed", 'the source\'s function never ran as the superuser');
is($target->safe_psql('shop', 'SELECT count(*) FROM public.plain'), '100',
	'a table of the same owner whose load runs only built-in code is copied');
is($target->safe_psql('shop', 'SELECT count(*) FROM public.guarded'), '0', 'the guarded table holds nothing');
is($target->safe_psql('postgres', "SELECT message FROM migrate.warnings WHERE migration_id = $id AND object = 'table public.plain'"
	  . " AND message LIKE 'owner %'"),
	"owner tenant2 not kept: it stays owned by $os_user (role \"tenant2\" does not exist)",
	'the owner not kept is a warning about the table, naming the role and who owns it instead')
  or diag $target->safe_psql('postgres', "SELECT string_agg(object || ': ' || message, E'\n') FROM migrate.warnings WHERE migration_id = $id");
like($target->safe_psql('postgres', "SELECT string_agg(object, ',' ORDER BY object) FROM migrate.warnings WHERE migration_id = $id"
	  . " AND message LIKE 'owner %' AND object NOT LIKE 'table public.many%'"),
	qr/^function public\.grab\(\),table public\.guarded,table public\.plain$/, 'a warning for each object whose owner is not kept');
is($target->safe_psql('postgres', "SELECT count(DISTINCT object) FROM migrate.warnings WHERE migration_id = $id"
	  . " AND object LIKE 'table public.many%' AND message LIKE 'owner tenant2 not kept: %'"), '80',
	'every one of 80 more tables, not the first few kilobytes of warnings');
is($target->safe_psql('postgres', "SELECT object || ': ' || message FROM migrate.warnings WHERE migration_id = $id"
	  . " AND message NOT LIKE 'owner %'"),
	'table public.plain: role "reader2" does not exist (GRANT SELECT(v) ON TABLE public.plain TO reader2)',
	'a grant that cannot be given names its object too');
is($target->safe_psql('postgres', "SELECT warnings FROM migrate.status WHERE id = $id"), '84',
	'migrate.status counts them: 83 owners and a grant');

# with the role there, the table can be given to it: resume finishes
$target->safe_psql('postgres', 'CREATE ROLE tenant2 NOLOGIN');
$target->safe_psql('shop', 'ALTER TABLE public.guarded OWNER TO tenant2; ALTER FUNCTION public.grab() OWNER TO tenant2');
$target->safe_psql('postgres', "SELECT migrate.resume($id)");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done',
	'once the owner is there and owns it, resume finishes')
  or diag $target->safe_psql('postgres', "SELECT string_agg(task || ': ' || error, E'\\n') FROM migrate.errors WHERE migration_id = $id");
is($target->safe_psql('shop', 'SELECT count(*) FROM public.guarded'), '10', 'with the rows');
ok(!-e "$dir/grabbed", 'and the function ran as tenant2, which may not run programs');

done_testing();
