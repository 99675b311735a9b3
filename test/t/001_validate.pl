# migrate.validate against real servers: every check, as a superuser and as
# a non-superuser admin, a source with wal_level = replica, an unreachable
# and a silent source, and no password in the target's log.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IO::Socket::INET;
use File::Temp qw(tempdir);
use MigrateTest;

my $pw = 'Sup3r-s3cret-pw';

# ---- a source with a bit of everything --------------------------------
my $source = new_source('source', conf => "max_replication_slots = 3\nmax_wal_senders = 5");
$source->safe_psql('postgres', qq{
	CREATE ROLE app LOGIN PASSWORD '$pw';
	CREATE ROLE trust_user LOGIN PASSWORD '$pw';
	CREATE ROLE big_boss SUPERUSER;
	CREATE ROLE replicator REPLICATION LOGIN;
	CREATE ROLE "Mixed Case" LOGIN;
	CREATE ROLE rdsadmin;
	CREATE ROLE rds_superuser;
	CREATE ROLE already_there;
	CREATE DATABASE app OWNER app;
	CREATE DATABASE shop OWNER app;
	CREATE DATABASE latin TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C';
	CREATE DATABASE closed;
	ALTER DATABASE closed ALLOW_CONNECTIONS false;
	CREATE DATABASE private;
	REVOKE CONNECT ON DATABASE private FROM PUBLIC;
});
$source->safe_psql('app', q{
	SET ROLE app;
	CREATE TABLE accounts (id int PRIMARY KEY, balance numeric);
	CREATE TABLE events (at timestamptz, what text);              -- no key
	CREATE TABLE audit (id int NOT NULL, note text);
	CREATE UNIQUE INDEX audit_id ON audit (id);
	ALTER TABLE audit REPLICA IDENTITY USING INDEX audit_id;      -- identity, no key
	CREATE UNLOGGED TABLE cache (k text PRIMARY KEY, v text);
	CREATE MATERIALIZED VIEW totals AS SELECT sum(balance) FROM accounts;
	SELECT lo_create(0);
	RESET ROLE;
	CREATE EXTENSION pgcrypto;
	CREATE EXTENSION pg_stat_statements;
	CREATE TABLE owned_by_postgres (id int PRIMARY KEY);
});
$source->safe_psql('shop', q{
	CREATE EXTENSION hstore;
	CREATE TABLE orders (id bigint PRIMARY KEY, items hstore);
	CREATE FUNCTION my_handler() RETURNS language_handler
		AS '$libdir/plpgsql', 'plpgsql_call_handler' LANGUAGE c;
	CREATE LANGUAGE homemade HANDLER my_handler;
	-- pretend: an extension the target lacks, and one newer than the target's
	UPDATE pg_extension SET extversion = '99.0' WHERE extname = 'hstore';
});
$source->safe_psql('postgres', q{
	CREATE EXTENSION citext;
	UPDATE pg_extension SET extname = 'no_such_extension' WHERE extname = 'citext';
});

# ---- targets -----------------------------------------------------------
# no shared_preload_libraries: the library must load on demand
my $target = new_target('target', conf => "max_logical_replication_workers = 2");
$target->safe_psql('postgres', q{
	CREATE ROLE admin LOGIN CREATEROLE CREATEDB;
	GRANT USAGE ON SCHEMA migrate TO admin;
	GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO admin;
	CREATE ROLE already_there;
});
$target->safe_psql('postgres', 'CREATE DATABASE shop');

my $su_uri = source_uri($source, 'app', $pw);    # app is not a superuser
my $os_user = getpwuid($<);
my $super_src = source_uri($source, $os_user, undef);

sub statuses
{
	my ($c, $name) = @_;
	return join ',', map { $_->[0] } @{ $c->{$name} // [] };
}

sub detail_like
{
	my ($c, $name, $status, $re, $msg) = @_;
	my @hits = grep { $_->[0] eq $status && $_->[1] =~ $re } @{ $c->{$name} // [] };
	ok(@hits, $msg) or diag explain $c->{$name};
}

# ---- as a superuser of the target, source user a superuser -------------
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

# ---- as a non-superuser admin (CREATEROLE), source user not a superuser ---
$c = checks($target, $su_uri, '{}', 'admin');
detail_like($c, 'connection', 'ok', qr/as "app" with a password/, 'non-superuser connects with a password');
detail_like($c, 'databases', 'error', qr/may not connect to database "private"/, 'no CONNECT on a database is an error');
detail_like($c, 'extensions', 'error', qr/"pg_stat_statements" of database "app" can only be created by a superuser/,
	'untrusted extension needs a superuser on the target');
ok(!grep({ $_->[1] =~ /pgcrypto/ } @{ $c->{extensions} }), 'a trusted extension is installable by the admin');
detail_like($c, 'roles', 'warning', qr/role "big_boss" has SUPERUSER, which this role cannot grant/, 'superuser role');
detail_like($c, 'roles', 'warning', qr/role "replicator" has REPLICATION, which this role cannot grant/, 'replication role');
detail_like($c, 'replication_role', 'warning', qr/neither SUPERUSER nor REPLICATION/, 'source user without REPLICATION');
detail_like($c, 'publication', 'warning', qr/does not own every table/, 'cannot publish tables it does not own');
detail_like($c, 'target_subscription', 'warning', qr/only a superuser may create subscriptions/, 'subscriptions need a superuser on 15');

# the password rule: the source must ask for the password
my ($ret, $out, $err) = $target->psql('postgres',
	"SET ROLE admin; SELECT * FROM migrate.validate('" . source_uri($source, 'trust_user', $pw) . "')");
isnt($ret, 0, 'trust authentication refused for a non-superuser');
like($err, qr/password is required/, 'with the dblink message');
($ret, $out, $err) = $target->psql('postgres',
	"SET ROLE admin; SELECT * FROM migrate.validate('" . source_uri($source, 'app', undef) . "')");
like($err, qr/password is required.*\n.*must give a password/, 'no password given: refused before connecting');
$c = checks($target, source_uri($source, 'app', 'wrong-password'), '{}', 'admin');
detail_like($c, 'connection', 'error', qr/password authentication failed for user "app"/, 'a wrong password is a failed connection');
# a superuser may use trust
$c = checks($target, source_uri($source, 'trust_user', undef));
is(statuses($c, 'connection'), 'ok', 'a superuser may connect without a password');

# ---- the same server ---------------------------------------------------
$c = checks($target, source_uri($target, $os_user, undef));
is(statuses($c, 'distinct_servers'), 'error', 'the target as its own source is an error');

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

# ---- unreachable and silent sources -----------------------------------------
my $closed_port = PostgreSQL::Test::Cluster::get_free_port();
$c = checks($target, "host=127.0.0.1 port=$closed_port user=app password=$pw");
detail_like($c, 'connection', 'error', qr/Connection refused/, 'nothing listening: connection refused');

# a listener that accepts and never answers
my $silent = IO::Socket::INET->new(Listen => 5, LocalAddr => '127.0.0.1', LocalPort => 0, Proto => 'tcp')
  or die "cannot listen: $!";
my $silent_port = $silent->sockport;
$c = checks($target, "host=127.0.0.1 port=$silent_port user=app password=$pw connect_timeout=2");
detail_like($c, 'connection', 'error', qr/timeout expired/, 'connect_timeout bounds a silent source');
($ret, $out, $err) = $target->psql('postgres',
	"SET statement_timeout = '1s'; SELECT * FROM migrate.validate('host=127.0.0.1 port=$silent_port user=app password=$pw connect_timeout=0')");
like($err, qr/canceling statement due to statement timeout/, 'a cancel interrupts a connection attempt at once');
close $silent;

# ---- no password anywhere in a target's log -----------------------------------
# Without preloading, a statement is logged before the library is loaded:
# validate says so.  Preloaded, the log hook masks every password.
$c = checks($target, $super_src, '{"databases": ["app"]}');
detail_like($c, 'server_log', 'warning', qr/log_statement = all writes statements/,
	'log_statement = all without preloading is a warning');

my $logged = new_target('logged', preload => 1,
	conf => "log_min_duration_statement = 0\nlog_min_error_statement = info\nlog_statement = all");
$c = checks($logged, $super_src, '{"databases": ["app"]}');
is(statuses($c, 'server_log'), 'ok', 'preloaded: statements are masked');
my $uri = source_uri($source, 'app', $pw);
$logged->psql('postgres', "SELECT * FROM migrate.validate('$uri', '{\"workers\": 0}')");
$logged->psql('postgres', "SELECT * FROM migrate.validate('$uri')");
$logged->psql('postgres', "SELECT * FROM migrate.validate('host=nowhere.invalid port=1 user=app password=$pw')");
$logged->psql('postgres', "SELECT * FROM migrate.validate('host=127.0.0.1 port=1 user=app password=''$pw''')");
$logged->psql('postgres', "SELECT * FROM migrate.validate('$uri', '{\"role_passwords\": {\"app\": \"$pw\"}}')");
$logged->psql('postgres', "SELECT migrate.mask_source('postgres://app:$pw\@h:notaport/db')");
my $log = slurp_file($logged->logfile);
like($log, qr/statement: SELECT \* FROM migrate\.validate\('postgresql:\/\/app:\*\*\*\*\*\*\*\*@/,
	'the statements are logged, password masked');
like($log, qr/must be between 1 and 64/, 'the errors are logged');
unlike($log, qr/\Q$pw\E/, 'the password is nowhere in the log');

done_testing();
