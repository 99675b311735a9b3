# migrate.validate names the aiven_db_migrate_* replication slots left on
# the source (by the original tool or an aborted run), active or not, with
# the WAL each keeps; other slots are not its business.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $source = new_source('source', conf => "max_replication_slots = 5");
my $src = source_uri($source, scalar getpwuid($<), undef);
my $target = new_target('target');

my $c = checks($target, $src);
detail_like($c, 'replication_leftovers', 'ok', qr/^no aiven_db_migrate_\* replication slot on the source$/,
	'a source without leftovers');

$source->safe_psql('postgres', q{
	SELECT pg_create_logical_replication_slot('aiven_db_migrate_shop_slot', 'pgoutput');
	SELECT pg_create_logical_replication_slot('someone_elses_slot', 'pgoutput');
	CREATE TABLE filler AS SELECT i, repeat('x', 100) AS v FROM generate_series(1, 20000) i;
});
$c = checks($target, $src);
detail_like($c, 'replication_leftovers', 'warning',
	qr/^1 aiven_db_migrate_\* replication slot on the source: aiven_db_migrate_shop_slot \(database "postgres", inactive, retains \d+ [kM]B\)$/,
	'a leftover slot named, with the WAL it keeps');
ok(!grep({ $_->[1] =~ /someone_elses_slot/ } @{ $c->{replication_leftovers} }), 'another tool\'s slot is not named');
like($c->{replication_leftovers}[0][2], qr/pg_drop_replication_slot/, 'the hint says how to drop it');

done_testing();
