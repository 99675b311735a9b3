# Helpers shared by migrate's TAP tests (test/t): servers with password
# authentication, and validate's rows as a hash.
package MigrateTest;

use strict;
use warnings FATAL => 'all';
use Exporter 'import';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use IPC::Run;

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

push @EXPORT, qw(statuses detail_like validate_source data_file);

# The statuses of check NAME in the hash CHECKS returns, comma-separated.
sub statuses
{
	my ($c, $name) = @_;
	return join ',', map { $_->[0] } @{ $c->{$name} // [] };
}

# Passes when check NAME has a row of STATUS whose detail matches RE.
sub detail_like
{
	my ($c, $name, $status, $re, $msg) = @_;
	my @hits = grep { $_->[0] eq $status && $_->[1] =~ $re } @{ $c->{$name} // [] };
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	Test::More::ok(@hits, $msg) or Test::More::diag(Test::More::explain($c->{$name}));
	return;
}

# The text of test/data/NAME.
sub data_file
{
	my ($name) = @_;
	my $dir = $ENV{TESTDIR} // '.';
	return slurp_file("$dir/test/data/$name");
}

# The source of the validate tests: test/data/validate_source.sql on a new
# source server NAME (options as new_source's).  Returns the node and its
# roles' password.
sub validate_source
{
	my ($name, %opts) = @_;
	my $node = new_source($name, %opts);
	$node->safe_psql('postgres', data_file('validate_source.sql'));
	return ($node, 'Sup3r-s3cret-pw');
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

# ---- helpers of the copy_roles tests (002, 019, 020) ----------------------------
push @EXPORT, qw(copy_roles can_login);

# Runs migrate.copy_roles(SRC, OPTS) on TARGET (as ROLE, if given); returns
# { rolname => { password, status, message } }.
sub copy_roles
{
	my ($target, $src, $opts, $role) = @_;
	$opts //= '{}';
	my $sql = ($role ? "SET ROLE $role;\n" : '')
	  . "SELECT rolname || E'\\x1f' || coalesce(rolpassword, '') || E'\\x1f' || status || E'\\x1f' || coalesce(message, '')"
	  . " FROM migrate.copy_roles('$src', '$opts')";
	my %rows;
	for my $line (split /\n/, $target->safe_psql('postgres', $sql))
	{
		my ($name, $password, $status, $message) = split /\x1f/, $line, -1;
		$rows{$name} = { password => $password, status => $status, message => $message };
	}
	return \%rows;
}

# Whether USER logs in to NODE with PASSWORD.
sub can_login
{
	my ($node, $user, $password) = @_;
	my ($out, $err);
	my $connstr = $node->connstr('postgres') . " user='$user' password='$password'";
	IPC::Run::run([ 'psql', '-XAtq', '-d', $connstr, '-c', 'SELECT current_user' ], '>', \$out, '2>', \$err);
	chomp $out if defined $out;
	return ($out // '') eq $user;
}

# ---- helpers of the engine tests (003, 022 to 027) ------------------------------
push @EXPORT, qw(engine_source engine_target identical);

# The engine tests' source: database shop (test/data/engine_source.sql, with
# a slow table, UTF8 whatever the locale) and bench (pgbench scale 3), role
# reporter with settings in shop.  Returns the node, a superuser's URI and
# the fingerprints of both databases ({ db => table_fingerprints }).
sub engine_source
{
	my ($name) = @_;
	my $node = new_source($name // 'source');
	$node->safe_psql('postgres',
		"CREATE DATABASE shop TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'; CREATE DATABASE bench");
	$node->safe_psql('postgres', q{
		CREATE ROLE reporter LOGIN;
		ALTER ROLE reporter IN DATABASE shop SET work_mem = '3MB';
		ALTER ROLE reporter IN DATABASE shop SET search_path = app, "Odd ""Schema""";
		ALTER DATABASE shop SET statement_timeout = '1h';
		COMMENT ON DATABASE shop IS 'the shop''s data';
	});
	$node->safe_psql('shop', data_file('engine_source.sql'));
	$node->command_ok([ 'pgbench', '-i', '-s', '3', '-q', '-d', $node->connstr('bench') ], 'pgbench data');
	my %expected = (shop => table_fingerprints($node, 'shop'), bench => table_fingerprints($node, 'bench'));
	return ($node, source_uri($node, scalar getpwuid($<), undef), \%expected);
}

# A preloaded target with room for three workers, and CONF.
sub engine_target
{
	my ($name, %o) = @_;
	return new_target($name, preload => 1,
		conf => "max_worker_processes = 24\nmigrate.max_workers = 3\n" . ($o{conf} // ''));
}

# Passes when every database of EXPECTED (engine_source's third result) is
# identical on NODE.
sub identical
{
	my ($node, $expected, $label) = @_;
	local $Test::Builder::Level = $Test::Builder::Level + 1;
	for my $db (sort keys %$expected)
	{
		my $got = table_fingerprints($node, $db);
		Test::More::is_deeply($got, $expected->{$db}, "$label: database $db identical to the source")
		  or Test::More::diag(Test::More::explain({ source => $expected->{$db}, target => $got }));
	}
	return;
}

push @EXPORT, qw(migration_diag);

# What a failed test of migration ID on NODE shows: its tasks not done, its
# events, and the migrate processes running.
sub migration_diag
{
	my ($node, $id) = @_;
	return join "\n",
	  $node->safe_psql('postgres', qq{
		SELECT string_agg(format('%s %s.%s %s (%s tries) %s', kind, schema_name, table_name, state, attempts,
		                         coalesce(error, '')), E'\\n' ORDER BY id)
		FROM migrate.task WHERE migration_id = $id AND state <> 'done'}),
	  $node->safe_psql('postgres', qq{
		SELECT string_agg(kind || ' ' || detail::text, E'\\n' ORDER BY at) FROM migrate.event WHERE migration_id = $id}),
	  $node->safe_psql('postgres', qq{
		SELECT string_agg(format('verify %s %s %s %s: %s / %s %s', run, relation, check_name, status,
		                         source_value, target_value, coalesce(detail, '')), E'\\n' ORDER BY run, relation)
		FROM migrate.verify_result WHERE migration_id = $id AND status <> 'ok'}),
	  $node->safe_psql('postgres', q{
		SELECT string_agg(backend_type || ' ' || coalesce(wait_event, '-') || ' ' || coalesce(query, ''), E'\\n')
		FROM pg_stat_activity WHERE backend_type LIKE 'migrate%'});
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
