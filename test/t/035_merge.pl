# "if_exists": "merge" into a database that a migration has filled already
# (issue: fidelity): after a finished run and after a cancelled one, a merge
# runs again without "relation already exists" and without doubling a row.
# Pre-data objects that are there are kept (identities, partitions and
# sequences included); the tables the migration copies are emptied and
# copied again, their foreign keys made again; a table of the target's own
# that keeps a foreign key to one of them stops the merge with a hint.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $me = scalar getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE shop');
$source->safe_psql('shop', q{
	CREATE SCHEMA app;
	CREATE TYPE app.mood AS ENUM ('sad', 'ok', 'happy');
	CREATE FUNCTION app.double(int) RETURNS int LANGUAGE sql IMMUTABLE AS 'SELECT $1 * 2';
	CREATE TABLE app.parent (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, mood app.mood, v text);
	CREATE TABLE app.child (id bigserial PRIMARY KEY, parent_id int NOT NULL REFERENCES app.parent,
		twice int GENERATED ALWAYS AS (app.double(parent_id)) STORED);
	CREATE INDEX child_parent ON app.child (parent_id);
	CREATE TABLE app.events (at date NOT NULL, what text) PARTITION BY RANGE (at);
	CREATE TABLE app.events_2025 PARTITION OF app.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
	CREATE TABLE app.events_2026 PARTITION OF app.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
	CREATE VIEW app.happy AS SELECT * FROM app.parent WHERE mood = 'happy';
	-- a row the trigger would have changed, had it been there: a copy must not fire it
	INSERT INTO app.parent (mood) VALUES ('sad');
	CREATE FUNCTION app.touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.v := coalesce(NEW.v, 'set'); RETURN NEW; END $$;
	CREATE TRIGGER touch BEFORE INSERT ON app.parent FOR EACH ROW EXECUTE FUNCTION app.touch();
	COMMENT ON TABLE app.parent IS 'the parents';
	INSERT INTO app.parent (mood, v) SELECT (ARRAY['sad', 'ok', 'happy']::app.mood[])[1 + i % 3], 'p' || i
		FROM generate_series(1, 500) i;
	INSERT INTO app.child (parent_id) SELECT 1 + i % 500 FROM generate_series(1, 2000) i;
	INSERT INTO app.events SELECT date '2025-06-01' + i, 'e' || i FROM generate_series(1, 400) i;
	SELECT lo_from_bytea(4242, 'a large object');
});
$source->safe_psql('shop', slow_table_sql('slow', 3000));
my $src = source_uri($source, $me, undef);

my $target = engine_target('target');
# the database is there before the first run: merge is what lets it in
$target->safe_psql('postgres', 'CREATE DATABASE shop');
$target->safe_psql('shop', "CREATE TABLE public.mine (id int PRIMARY KEY); INSERT INTO public.mine VALUES (1), (2);"
	  . " SELECT lo_from_bytea(777, 'the target''s own')");

my $opts = '{"method": "dump", "databases": ["shop"], "roles": false, "if_exists": "merge", "verify": "rows"}';
my $counts = q{SELECT (SELECT count(*) FROM app.parent) || ' ' || (SELECT count(*) FROM app.child) || ' '
	|| (SELECT count(*) FROM app.events) || ' ' || (SELECT count(*) FROM public.slow) || ' '
	|| (SELECT count(*) FROM pg_largeobject_metadata WHERE oid <> 777)};
my $expected = $source->safe_psql('shop', $counts);

sub merge_once
{
	my ($label) = @_;
	my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
	is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', "$label: done")
	  or diag(migration_diag($target, $id));
	return $id;
}

my $first = merge_once('the first merge');
is($target->safe_psql('shop', $counts), $expected, 'the first merge: every row once');

# ---- after a finished run ----------------------------------------------------------
my $again = merge_once('a merge into what the first one made');
is($target->safe_psql('shop', $counts), $expected, 'no row doubled, the large object there once');
is($target->safe_psql('shop', "SELECT count(*) FROM pg_constraint WHERE conrelid = 'app.child'::regclass AND contype = 'f'"),
	'1', 'the foreign key made again, once');
is($target->safe_psql('shop', q{SELECT count(*) FROM pg_trigger WHERE tgrelid = 'app.parent'::regclass AND NOT tgisinternal}),
	'1', 'the trigger there once');
is($target->safe_psql('shop', 'SELECT count(*) FROM app.parent WHERE v IS NULL'), '1',
	'no trigger fired on the rows copied again');
is($target->safe_psql('shop', 'SELECT count(*) FROM public.mine'), '2', 'the target\'s own table left as it was');
is($target->safe_psql('shop', "INSERT INTO app.parent (mood) VALUES ('ok') RETURNING id"), '502',
	'the identity goes on after the source\'s last value');
$target->safe_psql('shop', 'DELETE FROM app.parent WHERE id = 502');
is($target->safe_psql('postgres',
	"SELECT count(*) FROM migrate.verify_result WHERE migration_id = $again AND status NOT IN ('ok', 'own')"),
	'0', 'its verify at rows finds no difference');
is($target->safe_psql('postgres',
	"SELECT string_agg(DISTINCT relation, ',') FROM migrate.verify_result WHERE migration_id = $again AND status = 'own'"
	  . " AND relation LIKE 'public.mine%'"),
	'public.mine,public.mine mine_pkey,public.mine.id,public.mine_pkey', 'the target\'s own table is named as its own, not as a difference');
is($target->safe_psql('postgres', "SELECT string_agg(check_name || ' ' || relation, ', ' ORDER BY check_name) FROM migrate.verify_result"
	  . " WHERE migration_id = $again AND status = 'own' AND relation LIKE 'large object%'"),
	'large_objects large object 777, large_objects_data large object 777',
	'so is the target\'s own large object, its owner and its data, one by one');
like($target->safe_psql('postgres', "SELECT string_agg(detail->>'message', ' | ') FROM migrate.event"
	  . " WHERE migration_id = $again AND kind = 'warning'"),
	qr/kept as they were: \d+ objects? that (was|were) there already/, 'a warning counts what was there already');

# ---- after a cancelled run ------------------------------------------------------------
$source->safe_psql('shop', "INSERT INTO app.parent (mood, v) VALUES ('happy', 'late'); UPDATE app.child SET parent_id = 2 WHERE id <= 10");
$expected = $source->safe_psql('shop', $counts);
my $cancelled = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
is(poll_until($target, "SELECT count(*) FROM migrate.task WHERE migration_id = $cancelled"
	  . " AND kind = 'copy' AND table_name = 'slow' AND state = 'running'", qr/^1$/, 120), '1',
	'the next merge is copying the slow table');
$target->safe_psql('postgres', "SELECT migrate.cancel($cancelled)");
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $cancelled", qr/^cancelled$/),
	'cancelled', 'cancelled mid-copy');
is(poll_until($target, "SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'migrate%' AND backend_type <> 'migrate launcher'", qr/^0$/),
	'0', 'its workers are gone');
merge_once('a merge after the cancelled one');
is($target->safe_psql('shop', $counts), $expected, 'every row once, with the source\'s new ones');
is($target->safe_psql('shop', 'SELECT count(*) FROM app.child WHERE parent_id = 2'),
	$source->safe_psql('shop', 'SELECT count(*) FROM app.child WHERE parent_id = 2'), 'the changed rows as they are now');

# ---- a table of the target's own that refers to a copied one ------------------------------
$target->safe_psql('shop', 'CREATE TABLE public.my_orders (id int PRIMARY KEY, parent_id int REFERENCES app.parent);'
	  . ' INSERT INTO public.my_orders VALUES (1, 1)');
my $blocked = $target->safe_psql('postgres', "SELECT migrate.start('$src', '$opts')");
is($target->safe_psql('postgres', "SELECT migrate.wait($blocked, 'done', '300 s')"), 'failed',
	'a merge that would have to empty a table another keeps a foreign key to fails');
like($target->safe_psql('postgres', "SELECT error FROM migrate.errors WHERE migration_id = $blocked ORDER BY at LIMIT 1"),
	qr/my_orders.*parent|parent.*my_orders/s, 'the error names the table that refers and the one referred to');
is($target->safe_psql('shop', 'SELECT count(*) FROM public.my_orders'), '1', 'the target\'s own rows are kept');
is($target->safe_psql('shop', 'SELECT count(*) FROM app.parent'),
	$source->safe_psql('shop', 'SELECT count(*) FROM app.parent'), 'and so are the rows it referred to');

$target->stop;
$source->stop;
done_testing();
