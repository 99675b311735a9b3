# migrate.validate against sources that cannot be reached: nothing
# listening, a listener that never answers (connect_timeout, cancel), and
# the target itself as its source.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;
use IO::Socket::INET;

my $os_user = getpwuid($<);
my $pw = 'Sup3r-s3cret-pw';
my $target = new_target('target');
my ($c, $ret, $out, $err);

# ---- the same server ---------------------------------------------------
$c = checks($target, source_uri($target, $os_user, undef));
is(statuses($c, 'distinct_servers'), 'error', 'the target as its own source is an error');

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

done_testing();
