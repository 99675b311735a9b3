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

done_testing();
