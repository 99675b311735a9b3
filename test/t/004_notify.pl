# Webhooks: a JSON document POSTed on every state change and failure to a
# receiver on loopback, only to URLs a superuser allowed; no password or
# source string in what is sent.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IO::Socket::INET;
use JSON::PP;
use File::Temp qw(tempdir);
use MigrateTest;

my $pw = 'Notify-pa55word-9';
my $source = new_source('source');
$source->safe_psql('postgres', qq{CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw'; CREATE DATABASE shop});
$source->safe_psql('shop', q{
	CREATE TABLE items (id int PRIMARY KEY, name text);
	INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 1000) i;
});
my $src = source_uri($source, 'mover', $pw);
my $target = new_target('target', preload => 1, conf => "max_worker_processes = 16");

# a receiver: accepts requests for a while, writes each body as a line
my $dir = tempdir(CLEANUP => 1);
my $received = "$dir/received";
my $listener = IO::Socket::INET->new(Listen => 10, LocalAddr => '127.0.0.1', LocalPort => 0,
	Proto => 'tcp', ReuseAddr => 1) or die "cannot listen: $!";
my $port = $listener->sockport;
my $child = fork();
die "fork: $!" unless defined $child;
if ($child == 0)
{
	my $deadline = time + 300;
	for (my $n = 0; $n < 500 && time < $deadline; $n++)
	{
		my $conn = $listener->accept or next;
		my ($head, $len) = ('', 0);
		while (my $line = <$conn>)
		{
			$head .= $line;
			$len = $1 if $line =~ /^Content-Length:\s*(\d+)/i;
			last if $line eq "\r\n";
		}
		my $body = '';
		read($conn, $body, $len) if $len;
		open my $fh, '>>', $received or die;
		print $fh "$body\n";
		close $fh;
		print $conn "HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
		close $conn;
	}
	exit 0;
}
close $listener;

# webhooks go only where a superuser allowed
my ($ret, $out, $err) = $target->psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"notify_url\": \"http://127.0.0.1:$port/hook\"}')");
like($err, qr/names a URL that this server may not call.*HINT:.*migrate\.notify_allowed_urls/s,
	'notify_url refused while migrate.notify_allowed_urls is empty');
$target->safe_psql('postgres', "ALTER SYSTEM SET migrate.notify_allowed_urls = 'http://127.0.0.1:$port/'; SELECT pg_reload_conf()");
($ret, $out, $err) = $target->psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"notify_url\": \"http://127.0.0.1:${port}0/hook\"}')");
like($err, qr/may not call/, 'a prefix allows its own port, not a longer one');

my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"notify_url\": \"http://127.0.0.1:$port/hook\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'migration done');

# the documents arrive
my @docs;
for (my $i = 0; $i < 600; $i++)
{
	@docs = -e $received ? map { decode_json($_) } grep { length } split /\n/, slurp_file($received) : ();
	last if grep { $_->{event} eq 'done' } @docs;
	select(undef, undef, undef, 0.1);
}
my @events = map { $_->{event} } @docs;
ok((grep { $_ eq 'running' } @events), 'running was sent');
ok((grep { $_ eq 'database_done' } @events), 'database_done was sent');
ok((grep { $_ eq 'done' } @events), 'done was sent');
ok(!(grep { $_ eq 'warning' } @events), 'warnings are not sent');
my ($done) = grep { $_->{event} eq 'done' } @docs;
is($done->{migration_id}, $id, 'the document names the migration');
is($done->{state}, 'done', 'and its state');
is($done->{percent}, 100, 'and the percent');
ok(exists $done->{$_}, "field $_ present") for qw(phase database error at);
like($done->{at}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$/, 'at is an ISO timestamp');
my ($dbdone) = grep { $_->{event} eq 'database_done' } @docs;
is($dbdone->{database}, 'shop', 'database_done names the database');
my $all = slurp_file($received);
unlike($all, qr/\Q$pw\E/, 'no password in what was sent');
unlike($all, qr/mover|postgresql:/, 'no source string in what was sent');

kill 'TERM', $child;
waitpid($child, 0);
done_testing();
