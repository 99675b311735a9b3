# migrate.validate, as a superuser of the target with a superuser of the
# source: every check on a source with a bit of everything
# (test/data/validate_source.sql), and the database and table filters.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source) = validate_source('source', conf => "max_replication_slots = 3\nmax_wal_senders = 5");
my $super_src = source_uri($source, scalar getpwuid($<), undef);

# no shared_preload_libraries: the library must load on demand
my $target = new_target('target', conf => "max_logical_replication_workers = 2");
$target->safe_psql('postgres', 'CREATE ROLE already_there');
$target->safe_psql('postgres', 'CREATE DATABASE shop');

my $c = checks($target, $super_src);
is(statuses($c, 'source'), 'ok', 'source string parsed');
is(statuses($c, 'connection'), 'ok', 'source reachable');
is(statuses($c, 'distinct_servers'), 'ok', 'different servers');
is(statuses($c, 'source_version'), 'ok', 'same major version is fine');
detail_like($c, 'pg_dump', 'ok', qr/^pg_dump 15\.\d+ .*can dump PostgreSQL 15/, 'pg_dump found and recent enough');
detail_like($c, 'databases', 'ok', qr/^5 databases will be migrated: app, latin, postgres, private, shop$/,
	'templates excluded, closed database left out');
detail_like($c, 'databases', 'warning', qr/"closed" does not allow connections/, 'datallowconn = false is a warning');
detail_like($c, 'target_databases', 'warning', qr/already on the target: postgres, shop$/, 'existing target database named');
detail_like($c, 'extensions', 'error', qr/"no_such_extension" .* of database "postgres" is not available on the target/,
	'missing extension');
detail_like($c, 'extensions', 'error', qr/"hstore" of database "shop" is at version 99\.0 on the source but only [\d.]+ on the target/,
	'extension older on the target');
ok(!grep({ $_->[1] =~ /pg_stat_statements|pgcrypto/ } @{ $c->{extensions} }),
	'a superuser can create untrusted extensions');
detail_like($c, 'languages', 'warning', qr/"homemade" of database "shop" is not part of an extension/,
	'a language outside an extension');
detail_like($c, 'replica_identity', 'warning', qr/database "app": 1 table without .*: public\.events$/,
	'table without key or identity named; identity-by-index and unlogged tables not');
detail_like($c, 'unlogged_tables', 'warning', qr/database "app": 1 unlogged table: public\.cache/, 'unlogged table');
detail_like($c, 'materialized_views', 'warning', qr/database "app": 1 materialized view: public\.totals/, 'materialized view');
detail_like($c, 'large_objects', 'warning', qr/database "app": 1 large object$/, 'large object');
detail_like($c, 'encoding_collation', 'ok', qr/database "latin" uses encoding LATIN1/, 'per-database encoding reported');
detail_like($c, 'roles', 'ok', qr/^(\d+) roles will be created, 1 already exists on the target, 3 skipped/,
	'roles: provider-internal and bootstrap skipped, existing counted');
ok(!grep({ $_->[0] eq 'warning' } @{ $c->{roles} }), 'a superuser can create every role');
is(statuses($c, 'wal_level'), 'ok', 'wal_level logical');
detail_like($c, 'replication_slots', 'warning', qr/3 free replication slots; migrating 5 databases needs 5/,
	'too few slots for the databases');
is(statuses($c, 'replication_role'), 'ok', 'superuser may replicate');
detail_like($c, 'publication', 'ok', qr/superuser/, 'superuser may publish all tables');
detail_like($c, 'target_replication_limits', 'warning', qr/2 logical replication workers/,
	'target worker limit too low for 5 databases');
detail_like($c, 'method', 'ok', qr/^auto would use dump .*too few free replication slots/, 'auto falls back to dump and says why');
detail_like($c, 'size', 'ok', qr/ in all: app .*, latin .*, postgres .*, private .*, shop /, 'sizes per database');

# database filters change the plan
$c = checks($target, $super_src, '{"databases": ["app", "sh*"], "exclude_databases": ["shop"], "method": "replication"}');
detail_like($c, 'databases', 'ok', qr/^1 database will be migrated: app$/, 'databases / exclude_databases applied');
detail_like($c, 'method', 'ok', qr/^replication: the source is ready/, 'one database: replication possible');
$c = checks($target, $super_src, '{"databases": ["app"], "dbs_max_total_size": 1000}');
detail_like($c, 'size', 'error', qr/more than dbs_max_total_size \(1000\)/, 'dbs_max_total_size enforced');
$c = checks($target, $super_src, '{"databases": ["app"], "tables": ["app.public.acc*", "app.nope.*"]}');
detail_like($c, 'tables', 'error', qr/"app\.nope\.\*" of option "tables" matches no table/, 'table filter matching nothing');
ok(!grep({ $_->[1] =~ /acc\*/ } @{ $c->{tables} }), 'a table filter that matches is fine');
$c = checks($target, $super_src, '{"role_passwords": {"ghost": "whatever1"}}');
detail_like($c, 'roles', 'error', qr/names role "ghost", which the source does not have/, 'password for an unknown role');

done_testing();
