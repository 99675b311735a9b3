# Nothing leaks: on a target that logs every statement and tracks every
# statement in pg_stat_statements, passwords with quotes in them, role
# passwords, an sslpassword never show in the log, pg_stat_statements, the
# status view or pg_dump's argv; pg_dump is pinned to the one server that
# answered; one API user learns nothing of another's migration; a webhook
# URL needs a superuser's allowance.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $pw = 'Mover-pa55word-7';
my ($a1pw, $a2pw) = ('Admin1-pa55word-7', 'Admin2-pa55word-7');

my $source = new_source('source');
my $sport = $source->port;
$source->safe_psql('postgres', qq{
	CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw';
	CREATE ROLE app LOGIN PASSWORD 'Qu''otePw42x';
	CREATE ROLE reporter LOGIN;
	CREATE DATABASE shop; CREATE DATABASE one; CREATE DATABASE two; CREATE DATABASE hooked; CREATE DATABASE hooked0;
	CREATE DATABASE slow;
});
for my $db (qw(shop one two hooked hooked0))
{
	$source->safe_psql($db, "CREATE TABLE public.items (id int PRIMARY KEY, name text);"
		  . " INSERT INTO public.items SELECT i, 'item ' || i FROM generate_series(1, 200) i;");
}
$source->safe_psql('slow', slow_table_sql('slow', 1500));

# pg_dump as the target runs it: a wrapper that writes down its argv
my $bindir = PostgreSQL::Test::Utils::tempdir();
my $argv_file = "$bindir/argv";
my $real = $source->config_data('--bindir');
open my $fh, '>', "$bindir/pg_dump" or die $!;
print $fh qq{#!/bin/sh\nfor a in "\$\@"; do printf '%s\\n' "\$a" >> "$argv_file"; done\necho ---- >> "$argv_file"\n}
  . qq{exec "$real/pg_dump" "\$\@"\n};
close $fh;
chmod 0755, "$bindir/pg_dump";

my $target = new_target('target', conf => join("\n",
	"shared_preload_libraries = 'migrate,pg_stat_statements'", 'pg_stat_statements.track = all',
	'log_statement = all', 'max_worker_processes = 16', "migrate.pg_bin_dir = '$bindir'"));
my $tport = $target->port;
$target->safe_psql('postgres', 'CREATE EXTENSION pg_stat_statements');
api_user($target, $_->[0], $_->[1]) for ([ 'admin1', $a1pw ], [ 'admin2', $a2pw ]);

sub log_has { my $log = slurp_file($target->logfile); return join(',', grep { index($log, $_) >= 0 } @_) }

sub pgss_has
{
	my $q = $target->safe_psql('postgres', 'SELECT string_agg(query, E\'\n\') FROM pg_stat_statements');
	return join(',', grep { index($q, $_) >= 0 } @_);
}

sub done_ok
{
	my ($id, $label) = @_;
	is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', "$label: done");
}

# ---- a password with a quote, in a URI and in key=value ------------------------------
for my $src ("postgresql://app:Qu''otePw42x\@127.0.0.1:$sport/postgres",
	"host=127.0.0.1 port=$sport user=app password=Qu''otePw42x dbname=postgres")
{
	my $form = $src =~ /^postgresql:/ ? 'URI' : 'key=value';
	my ($ret, $out, $err) = $target->psql('postgres',
		"SELECT status FROM migrate.validate('$src') WHERE check_name = 'connection'");
	is($out, 'ok', "validate, $form form, password with a quote: connects");
}
is(log_has("otePw42x", "Qu'ote"), '', 'the log shows no part of the quoted password');
is(pgss_has("otePw42x", "Qu'ote"), '', 'nor does pg_stat_statements');

# ---- role_passwords -------------------------------------------------------------------
my $id = $target->safe_psql('postgres', "SELECT migrate.start('" . source_uri($source, 'mover', $pw)
	  . "', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"role_passwords\": {\"reporter\": \"RolePw''Secret9\"}}')");
done_ok($id, 'role_passwords');
is(pgss_has('RolePw', 'Secret9'), '', 'role_passwords: pg_stat_statements holds no part of the role password');
is(log_has('RolePw', 'Secret9'), '', 'role_passwords: the log holds none either');
{
	local $ENV{PGPASSWORD} = "RolePw'Secret9";
	my ($ret, $out) = $target->psql('postgres', 'SELECT current_user',
		connstr => "host=127.0.0.1 port=$tport dbname=postgres user=reporter");
	is($out, 'reporter', 'reporter logs in to the target over TCP with the password given');
}

# ---- sslpassword, and pg_dump pinned to the server that answered ---------------------------
sub dbname_args
{
	my ($db) = @_;
	my @args = -e $argv_file ? split /\n/, slurp_file($argv_file) : ();
	my @found;
	for my $i (0 .. $#args)
	{
		push @found, $args[ $i + 1 ] if $args[$i] eq '--dbname' && $i < $#args;
		push @found, $1 if $args[$i] =~ /^--dbname=(.*)$/;
	}
	return grep { /dbname='?\Q$db\E'?( |$)/ } @found;
}

# key=value conninfo into a hash (values quoted or not)
sub kv
{
	my %h;
	while ($_[0] =~ /(\w+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)/g) { $h{$1} = defined $3 ? $3 : $2 }
	return \%h;
}

for my $case ([ 'one', "host=127.0.0.1 port=$sport" ], [ 'two', "host=127.0.0.1,127.0.0.1 port=$sport,$tport" ])
{
	my ($db, $hosts) = @$case;
	my $src = "$hosts user=mover password=$pw dbname=postgres sslmode=disable sslpassword=SslSecret77";
	$id = $target->safe_psql('postgres', "SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"$db\"]}')");
	done_ok($id, "sslpassword ($hosts)");
	my $shown = $target->safe_psql('postgres', "SELECT source FROM migrate.status WHERE id = $id");
	unlike($shown, qr/SslSecret77|\Q$pw\E/, "$db: migrate.status.source masks the sslpassword and the password");
	my @dbn = dbname_args($db);
	ok(@dbn >= 1, "$db: pg_dump was run with a --dbname");
	for my $c (@dbn)
	{
		my $h = kv($c);
		ok(!exists $h->{password} && !exists $h->{sslpassword} && $c !~ /SslSecret77|\Q$pw\E/,
			"$db: pg_dump's --dbname has no password and no sslpassword") or diag $c;
		ok(($h->{hostaddr} // '') eq '127.0.0.1' && ($h->{port} // '') eq $sport
			  && ($h->{host} // '') !~ /,/ && ($h->{hostaddr} // '') !~ /,/,
			"$db: pg_dump's --dbname names exactly one server: hostaddr=127.0.0.1 port=$sport") or diag $c;
	}
}
my $argv = slurp_file($argv_file);
unlike($argv, qr/SslSecret77|\Q$pw\E|^(ssl)?password=/m, 'no argv of pg_dump ever carried a password or sslpassword');
is(log_has('SslSecret77'), '', 'the log never shows the sslpassword');

# ---- notify_url: allowed by a superuser only ------------------------------------------------
my $a1src = source_uri($source, 'mover', $pw);
my $hook = 'http://127.0.0.1:' . PostgreSQL::Test::Cluster::get_free_port() . '/hook';
my ($ret, $out, $err) = psql_as($target, 'admin1', $a1pw,
	"SELECT migrate.start('$a1src', '{\"method\": \"dump\", \"databases\": [\"hooked0\"], \"notify_url\": \"$hook\"}')");
like($err, qr/migrate\.notify_allowed_urls/, 'notify_url is refused by default, and the error names migrate.notify_allowed_urls');
done_ok($out, 'notify_url not refused') if $out =~ /^\d+$/;
(my $prefix = $hook) =~ s{/hook$}{/};
$target->psql('postgres', "ALTER SYSTEM SET migrate.notify_allowed_urls = '$prefix'; SELECT pg_reload_conf();");
poll_until($target, 'SHOW migrate.notify_allowed_urls', qr/^\Q$prefix\E$/, 30);
($ret, $out, $err) = psql_as($target, 'admin1', $a1pw,
	"SELECT migrate.start('$a1src', '{\"method\": \"dump\", \"databases\": [\"hooked\"], \"notify_url\": \"$hook\"}')");
like($out, qr/^\d+$/, 'after a superuser allows its prefix, notify_url is accepted') or diag $err;
done_ok($out, 'notify_url') if $out =~ /^\d+$/;

# ---- one migration of a server at a time, and nothing of it told to another role ------------
my $a1 = safe_as($target, 'admin1', $a1pw, "SELECT migrate.start('$a1src', '{\"method\": \"dump\", \"databases\": [\"slow\"]}')");
poll_until($target, "SELECT state FROM migrate.migration WHERE id = $a1", qr/^running$/);
safe_as($target, 'admin1', $a1pw, "SELECT migrate.stop($a1)");
is(poll_until($target, "SELECT state FROM migrate.migration WHERE id = $a1", qr/^stopped$/), 'stopped',
	"admin1's migration is stopped (and still of this source)");
($ret, $out, $err) = psql_as($target, 'admin2', $a2pw,
	"SELECT migrate.start('" . source_uri($source, 'mover', 'wrong-password-7') . "', '{\"method\": \"dump\", \"databases\": [\"slow\"]}')");
isnt($ret, 0, 'admin2 with a wrong password: refused');
unlike($err, qr/migration \d+ of this source|migration $a1\b|stopped/i,
	"and the error tells nothing of admin1's migration (its id, its state)") or diag $err;
($ret, $out, $err) = psql_as($target, 'admin2', $a2pw,
	"SELECT migrate.start('$a1src', '{\"method\": \"dump\", \"databases\": [\"slow\"]}')");
like($err, qr/another role is migrating this source server/,
	'admin2 with the right password: told that another role migrates the server');
unlike($err, qr/migration $a1\b|stopped/, 'and still not which migration, nor its state') or diag $err;
($ret, $out, $err) = psql_as($target, 'admin1', $a1pw,
	"SELECT migrate.start('postgresql://mover:$pw\@localhost:$sport/postgres', '{\"method\": \"dump\", \"databases\": [\"slow\"]}')");
like($err, qr/migration \d+ of this source/i, 'admin1 again, the server spelled localhost: refused as the same source');

is(log_has($pw, 'SslSecret77', 'RolePw', 'Secret9', 'otePw42x', 'wrong-password-7'), '',
	'in the end, the log holds no password at all');

done_testing();
