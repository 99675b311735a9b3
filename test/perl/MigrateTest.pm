# Helpers shared by migrate's TAP tests (test/t): servers with password
# authentication, and validate's rows as a hash.
package MigrateTest;

use strict;
use warnings;
use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;

our @EXPORT = qw(new_source new_target checks rows_of source_uri source_socket_uri table_fingerprints poll_until);

# pg_hba: the OS user (the tests' superuser) and role trust_user get in
# without a password; everyone else must give one.  The servers listen on
# 127.0.0.1 too: a non-superuser's source must be reached over TCP.
sub _password_hba
{
	my ($node) = @_;
	my $os_user = getpwuid($<);
	open my $fh, '>', $node->data_dir . '/pg_hba.conf' or die $!;
	print $fh "local all $os_user trust\n";
	print $fh "local all trust_user trust\n";
	print $fh "local all all scram-sha-256\n";
	print $fh "host all $os_user 127.0.0.1/32 trust\n";
	print $fh "host all trust_user 127.0.0.1/32 trust\n";
	print $fh "host all all 127.0.0.1/32 scram-sha-256\n";
	close $fh;
}

# A source server; WAL_LEVEL 'logical' (default) or 'replica'.
sub new_source
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init(allows_streaming => ($opts{wal_level} // 'logical') eq 'logical' ? 'logical' : 1);
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'");
	_password_hba($node);
	$node->start;
	return $node;
}

# A target server with the extension created in database postgres.
# PRELOAD: whether migrate is in shared_preload_libraries.
sub new_target
{
	my ($name, %opts) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', "shared_preload_libraries = 'migrate'")
	  if $opts{preload};
	$node->append_conf('postgresql.conf', $opts{conf}) if $opts{conf};
	$node->append_conf('postgresql.conf', "listen_addresses = '127.0.0.1'");
	_password_hba($node);
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION migrate');
	return $node;
}

# A URI for NODE's database DB as USER with PASSWORD, over TCP on 127.0.0.1.
sub source_uri
{
	my ($node, $user, $password, $db) = @_;
	my $auth = defined $password ? "$user:$password" : $user;
	return "postgresql://$auth\@127.0.0.1:" . $node->port . '/' . ($db // 'postgres');
}

# The same over NODE's Unix socket (only a superuser may use one).
sub source_socket_uri
{
	my ($node, $user, $password, $db) = @_;
	my $host = $node->host;
	$host =~ s{/}{%2F}g;
	my $auth = defined $password ? "$user:$password" : $user;
	return "postgresql://$auth\@$host:" . $node->port . '/' . ($db // 'postgres');
}

# Runs migrate.validate on TARGET (as ROLE, if given) and returns the rows
# as a list of [check_name, status, detail, hint].
sub rows_of
{
	my ($target, $source, $options, $role) = @_;
	$options //= '{}';
	my $sql = '';
	$sql .= "SET ROLE $role;\n" if $role;
	$sql .= "SELECT check_name || E'\\x1f' || status || E'\\x1f' || detail || E'\\x1f' || coalesce(hint, '')"
	  . " FROM migrate.validate('$source', '$options')";
	my $out = $target->safe_psql('postgres', $sql);
	return map { [ split /\x1f/, $_, -1 ] } grep { length } split /\n/, $out;
}

# The same rows as a hash: check_name => [ [status, detail, hint], ... ].
sub checks
{
	my %h;
	push @{ $h{ $_->[0] } }, [ @$_[ 1 .. 3 ] ] for rows_of(@_);
	return \%h;
}

# Row count and an order-independent checksum of every table of database DB
# on NODE: { "schema.table" => "count:md5" }, from scripts/fingerprint.sql
# (the query the demo and bench/ use too).
sub table_fingerprints
{
	my ($node, $db) = @_;
	my $dir = $ENV{TESTDIR} // '.';
	open my $fh, '<', "$dir/scripts/fingerprint.sql" or die "scripts/fingerprint.sql: $!";
	my $sql = do { local $/; <$fh> };
	close $fh;
	my %fp;
	for my $line (split /\n/, $node->safe_psql($db, $sql))
	{
		my ($t, $rows, $md5) = split /\|/, $line;
		$fp{$t} = "$rows:$md5";
	}
	return \%fp;
}

# Runs SQL on NODE's database postgres until it returns EXPECTED (a regexp),
# at most TIMEOUT seconds; returns the last result.
sub poll_until
{
	my ($node, $sql, $expected, $timeout) = @_;
	$timeout //= 180;
	my $last = '';
	for (my $i = 0; $i < $timeout * 10; $i++)
	{
		my ($ret, $out) = $node->psql('postgres', $sql);
		$last = $out // '';
		return $last if $ret == 0 && $last =~ $expected;
		select(undef, undef, undef, 0.1);
	}
	return $last;
}

# ---- helpers of the hostile tests (005 to 008) --------------------------------
push @EXPORT, qw(api_user psql_as safe_as slow_table_sql event_kinds);

# Creates role NAME on NODE, as an operator creates the API user of a
# non-superuser admin: LOGIN CREATEROLE CREATEDB with PASSWORD, allowed to
# use schema migrate.
sub api_user
{
	my ($node, $name, $password) = @_;
	$node->safe_psql('postgres', qq{
		CREATE ROLE $name LOGIN CREATEROLE CREATEDB PASSWORD '$password';
		GRANT USAGE ON SCHEMA migrate TO $name;
		GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA migrate TO $name;
		GRANT SELECT ON ALL TABLES IN SCHEMA migrate TO $name;
	});
	return;
}

# Runs SQL on NODE's database DB (default postgres) in a session of USER,
# logged in with PASSWORD over TCP on 127.0.0.1; returns (exit code, stdout,
# stderr).
sub psql_as
{
	my ($node, $user, $password, $sql, $db) = @_;
	$db //= 'postgres';
	local $ENV{PGPASSWORD} = $password;
	my ($ret, $out, $err) = $node->psql($db, $sql,
		connstr => 'host=127.0.0.1 port=' . $node->port . " dbname=$db user=$user");
	return ($ret, $out // '', $err // '');
}

# The same, dying with psql's errors when SQL fails; returns stdout.
sub safe_as
{
	my ($ret, $out, $err) = psql_as(@_);
	die "psql as $_[1] failed: $err" if $ret != 0;
	return $out;
}

# SQL creating table public.NAME of ROWS rows, each WIDTH bytes of text
# (about), whose load on a target is slow: a CHECK calls pg_sleep(0.004)
# once a row, as the 'slow' table of engine_source.sql does.  The rows are
# inserted while the function is still fast, so the source loads quickly.
sub slow_table_sql
{
	my ($name, $rows, $width) = @_;
	my $reps = int((($width // 32) + 31) / 32);
	return qq{
		CREATE OR REPLACE FUNCTION public.slow_ok(int) RETURNS boolean LANGUAGE sql IMMUTABLE
			AS \$\$ SELECT true \$\$;
		CREATE TABLE public.$name (id int PRIMARY KEY, v text CHECK (public.slow_ok(length(v))));
		INSERT INTO public.$name SELECT i, repeat(md5(i::text), $reps) FROM generate_series(1, $rows) i;
		CREATE OR REPLACE FUNCTION public.slow_ok(int) RETURNS boolean LANGUAGE sql IMMUTABLE
			AS \$\$ SELECT pg_sleep(0.004) IS NOT NULL \$\$;
	};
}

# The kinds of the events of migration ID on NODE, in order, comma-separated.
sub event_kinds
{
	my ($node, $id) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(kind, ',' ORDER BY at) FROM migrate.event WHERE migration_id = $id");
}

1;
