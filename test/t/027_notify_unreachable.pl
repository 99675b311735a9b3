# A webhook receiver that is not there: each failed delivery is an event,
# never a failed migration, and no password is in the events.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $pw = 'Notify-pa55word-9';
my $source = new_source('source');
$source->safe_psql('postgres', qq{CREATE ROLE mover LOGIN SUPERUSER PASSWORD '$pw'; CREATE DATABASE shop});
$source->safe_psql('shop', q{
	CREATE TABLE items (id int PRIMARY KEY, name text);
	INSERT INTO items SELECT i, 'item ' || i FROM generate_series(1, 1000) i;
});
my $src = source_uri($source, 'mover', $pw);

# a receiver that is not there: an event, and the migration still finishes
my $closed = PostgreSQL::Test::Cluster::get_free_port();
my $target = new_target('target', preload => 1,
	conf => "max_worker_processes = 16\nmigrate.notify_allowed_urls = 'http://127.0.0.1:$closed'");
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"shop\"], \"notify_url\": \"http://127.0.0.1:$closed/\"}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'done', 'done without a receiver');
ok($target->safe_psql('postgres', "SELECT count(*) FROM migrate.event WHERE migration_id = $id AND kind = 'notify_failed'") > 0,
	'failed deliveries are events');
unlike($target->safe_psql('postgres', "SELECT string_agg(detail::text, ' ') FROM migrate.event WHERE migration_id = $id"),
	qr/\Q$pw\E/, 'no password in the events');

done_testing();
