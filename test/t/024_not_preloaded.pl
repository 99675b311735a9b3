# Without shared_preload_libraries, start launches the coordinator itself;
# a database that exists on the target with user tables is refused, and
# resume after dropping it finishes.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $src, $expected) = engine_source();
my $opts = '{"method": "dump", "databases": ["shop", "bench"], "split_size": "8MB", "workers": 3}';
my ($ret, $out, $err);

my $target = new_target('target', conf => "max_worker_processes = 24");
$target->safe_psql('postgres', 'CREATE DATABASE shop');
$target->safe_psql('shop', 'CREATE TABLE mine (id int)');
my $id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"workers\": 2}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed', 'an existing database with user tables: failed');
like($target->safe_psql('postgres', "SELECT message FROM migrate.databases WHERE migration_id = $id"),
	qr/database "shop" already exists on the target with 1 user tables/, 'and says why');
is($target->safe_psql('shop', q{SELECT count(*) FROM pg_tables WHERE schemaname = 'app'}), '0', 'nothing was created in it');
$target->safe_psql('postgres', 'DROP DATABASE shop');
is($target->safe_psql('postgres', "SELECT migrate.resume($id)"), 'pending', 'resume after dropping it');
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'not preloaded: done');
is_deeply(table_fingerprints($target, 'shop'), $expected->{shop}, 'not preloaded: shop identical');
($ret, $out, $err) = $target->psql('postgres', "SELECT migrate.cancel($id)");
like($err, qr/migration $id is done and cannot be cancelled/, 'a finished migration cannot be cancelled');

done_testing();
