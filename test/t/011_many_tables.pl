# Many tables: 600 in 20 schemas, into a target whose lock table is far too
# small to create them in one transaction (max_locks_per_transaction = 10):
# the schema is applied in batches that fit, every table arrives with its
# rows and its key, and each kind of task ran once a table.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
# the source itself needs room in its lock table for pg_dump's locks
my $source = new_source('source', conf => 'max_locks_per_transaction = 256');
$source->safe_psql('postgres', 'CREATE DATABASE tenants');
for my $s (1 .. 20)
{
	$source->safe_psql('tenants', qq{
		CREATE SCHEMA tenant_$s;
		DO \$\$
		BEGIN
			FOR t IN 1..30 LOOP
				EXECUTE format('CREATE TABLE tenant_$s.t_%s (id int PRIMARY KEY, v text)', t);
				EXECUTE format('INSERT INTO tenant_$s.t_%s SELECT i, %L || i FROM generate_series(1, %s) i',
							   t, 'row ', $s + t);
			END LOOP;
		END \$\$;
	});
}
my $src = source_uri($source, $os_user, undef);

my $target = new_target('target', preload => 1,
	conf => "max_worker_processes = 16\nmax_connections = 20\nmax_locks_per_transaction = 10\nmigrate.max_workers = 3");
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"tenants\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '600 s')"), 'done', '600 tables: done')
  or diag($target->safe_psql('postgres', "SELECT string_agg(dbname || ': ' || coalesce(message, ''), E'\\n') FROM migrate.databases"));

# one schema at a time: a query over all 600 would itself need more locks
# than this target's lock table holds
my ($got, $want) = ('', '');
for my $s (1 .. 20)
{
	my $sql = "SELECT count(*) || ':' || sum(n) FROM (SELECT (xpath('/row/c/text()',"
	  . " query_to_xml(format('SELECT count(*) AS c FROM %I.%I', schemaname, tablename), false, true, '')))[1]::text::int AS n"
	  . " FROM pg_tables WHERE schemaname = 'tenant_$s') x";
	$got .= $target->safe_psql('tenants', $sql) . ' ';
	$want .= $source->safe_psql('tenants', $sql) . ' ';
}
is($got, $want, 'every table there, with every row');
is($target->safe_psql('tenants', q{SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
	JOIN pg_namespace n ON n.oid = c.relnamespace WHERE i.indisprimary AND n.nspname LIKE 'tenant_%'}),
	'600', 'and every primary key');
is($target->safe_psql('postgres', "SELECT string_agg(kind || ':' || n, ' ' ORDER BY kind) FROM"
	  . " (SELECT kind, count(*) n FROM migrate.task WHERE migration_id = $id GROUP BY kind) x"),
	'analyze_small:3 copy:600 schema:1 sequences:1',
	'a small table copied and keyed in one task; analyzed 200 at a time');
is($target->safe_psql('postgres', "SELECT count(*) FROM migrate.task WHERE migration_id = $id AND attempts <> 1"),
	'0', 'each task ran once');

done_testing();
