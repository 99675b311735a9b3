# migrate.copy_roles with copy_password_hashes: the roles log in with their
# source passwords; a role without one gets none.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $pw = 'App-pa55word-xyz';
my $os_user = getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', data_file('roles_source.sql'));
my $super_src = source_uri($source, $os_user, undef);

# ---- copy_password_hashes --------------------------------------------------------
my $target = new_target('target', preload => 1);
my $r = copy_roles($target, $super_src, '{"copy_password_hashes": true}');
is($r->{app}{status}, 'created', 'hashes: created');
like($r->{app}{message}, qr/password hash copied/, 'hashes: says so');
ok(can_login($target, 'app', $pw), 'hashes: app logs in with its source password');
is($r->{'rôle_ünïcode'}{password}, '', 'a LOGIN role without a password on the source gets none');

unlike(slurp_file($target->logfile), qr/\Q$pw\E/, 'no password in the log');

done_testing();
