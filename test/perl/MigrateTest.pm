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
# on NODE: { "schema.table" => "count:md5" }.
sub table_fingerprints
{
	my ($node, $db) = @_;
	my %fp;
	my @tables = split /\n/, $node->safe_psql($db, q{
		SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1});
	for my $t (@tables)
	{
		$fp{$t} = $node->safe_psql($db,
			"SELECT count(*) || ':' || coalesce(md5(string_agg(md5(x::text), '' ORDER BY md5(x::text))), '')"
			  . " FROM $t x");
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

1;
