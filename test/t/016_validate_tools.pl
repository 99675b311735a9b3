# migrate.validate and the tools it needs: pg_dump missing or older than
# the source, and a source with wal_level = replica (auto chooses dump,
# replication asked for is an error).
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;
use File::Temp qw(tempdir);

my $os_user = getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE app');
my $super_src = source_uri($source, $os_user, undef);
my $target = new_target('target');
my $c;

# ---- pg_dump missing or too old ------------------------------------------
my $bindir = tempdir(CLEANUP => 1);
open my $fh, '>', "$bindir/pg_dump" or die $!;
print $fh "#!/bin/sh\necho 'pg_dump (PostgreSQL) 12.3'\n";
close $fh;
chmod 0755, "$bindir/pg_dump";
my $rows = $target->safe_psql('postgres', qq{
	SET migrate.pg_bin_dir = '$bindir';
	SELECT status || ' ' || detail FROM migrate.validate('$super_src', '{"databases": ["app"]}') WHERE check_name = 'pg_dump';
	SET migrate.pg_bin_dir = '$bindir/nowhere';
	SELECT status || ' ' || detail FROM migrate.validate('$super_src', '{"databases": ["app"]}') WHERE check_name = 'pg_dump';
});
like($rows, qr/^error pg_dump 12\.3 is older than the source \(PostgreSQL 15\)/m, 'an old pg_dump is an error');
like($rows, qr/^error pg_dump was not found in migrate\.pg_bin_dir/m, 'a missing pg_dump is an error');

# ---- wal_level = replica ---------------------------------------------------
my $replica_src = new_source('replica_src', wal_level => 'replica');
my $rsrc = source_uri($replica_src, $os_user, undef);
$c = checks($target, $rsrc);
detail_like($c, 'wal_level', 'warning', qr/wal_level is "replica"/, 'wal_level replica is a warning');
detail_like($c, 'method', 'ok', qr/^auto would use dump .*wal_level is replica/, 'auto chooses dump');
$c = checks($target, $rsrc, '{"method": "replication"}');
detail_like($c, 'method', 'error', qr/^replication is not possible: wal_level is replica/, 'replication asked for but impossible');
$c = checks($target, $rsrc, '{"method": "dump"}');
detail_like($c, 'method', 'ok', qr/^dump/, 'dump asked for');

done_testing();
