# No password anywhere in a target's log: without preloading a statement is
# logged before the library loads (validate warns); preloaded, the log hook
# masks every password, in statements and in errors.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my ($source, $pw) = validate_source('source');
my $super_src = source_uri($source, scalar getpwuid($<), undef);
my $target = new_target('target');
my $c;

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
