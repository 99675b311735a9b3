# The schema as the server parses it, and post-data errors that keep their
# SQLSTATE: a function with a BEGIN ATOMIC body (semicolons inside) is
# created whole; a post-data statement that fails once with a deadlock
# (40P01) is retried and the database finishes; one that fails for good
# (42P01) fails its database with that code, not a generic one.
use strict;
use warnings FATAL => 'all';
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use MigrateTest;

my $os_user = getpwuid($<);
my $source = new_source('source');
$source->safe_psql('postgres', 'CREATE DATABASE good; CREATE DATABASE bad');
$source->safe_psql('good', q{
	CREATE FUNCTION public.two_steps(i int) RETURNS int LANGUAGE sql
	BEGIN ATOMIC
		SELECT i + 1;
		SELECT i + 2;
	END;
	CREATE TABLE public.items (id int PRIMARY KEY, v int DEFAULT public.two_steps(1));
	INSERT INTO public.items (id) SELECT generate_series(1, 100);
});
$source->safe_psql('bad', 'CREATE TABLE public.items (id int PRIMARY KEY); INSERT INTO public.items SELECT generate_series(1, 10)');
my $src = source_uri($source, $os_user, undef);

# pg_dump as the target runs it, with statements added to post-data: in
# database good one that fails the first time with a deadlock, in database
# bad one that fails every time
my $bindir = PostgreSQL::Test::Utils::tempdir();
my $marker = "$bindir/deadlocked-once";
my $real = $source->config_data('--bindir');
open my $fh, '>', "$bindir/post-good.sql" or die $!;
print $fh qq{DO \$\$BEGIN
	IF pg_catalog.pg_stat_file('$marker', true) IS NULL THEN
		EXECUTE pg_catalog.format('COPY (SELECT 1) TO %L', '$marker');
		RAISE EXCEPTION 'simulated deadlock' USING ERRCODE = '40P01';
	END IF;
END\$\$;
};
close $fh;
open $fh, '>', "$bindir/post-bad.sql" or die $!;
print $fh "CREATE INDEX nowhere_idx ON public.nowhere (id);\n";
close $fh;
open $fh, '>', "$bindir/pg_dump" or die $!;
print $fh qq{#!/bin/sh
"$real/pg_dump" "\$\@" || exit \$?
case "\$*" in
*--section=post-data*dbname=good*|*--section=post-data*dbname=\\'good\\'*) cat "$bindir/post-good.sql" ;;
*--section=post-data*dbname=bad*|*--section=post-data*dbname=\\'bad\\'*) cat "$bindir/post-bad.sql" ;;
esac
};
close $fh;
chmod 0755, "$bindir/pg_dump";

my $target = new_target('target', preload => 1,
	conf => "max_worker_processes = 16\nmigrate.pg_bin_dir = '$bindir'");
my $id = $target->safe_psql('postgres',
	"SELECT migrate.start('$src', '{\"method\": \"dump\", \"databases\": [\"good\", \"bad\"], \"roles\": false}')");
is($target->safe_psql('postgres', "SELECT migrate.wait($id, 'done', '300 s')"), 'failed',
	'the migration ends failed: database bad cannot be finished');

is($target->safe_psql('good', 'SELECT public.two_steps(1)'), '3',
	'a function with a BEGIN ATOMIC body is created whole');
is($target->safe_psql('good', 'SELECT count(*), sum(v) FROM public.items'), '100|300', 'and its table copied');
ok(-e $marker, 'the post-data statement of database good failed once');
is($target->safe_psql('postgres', "SELECT status FROM migrate.databases WHERE migration_id = $id AND dbname = 'good'"),
	'done', 'database good is done: the deadlock was retried');
is($target->safe_psql('postgres', "SELECT detail->>'sqlstate' FROM migrate.event WHERE migration_id = $id"
	  . " AND kind = 'task_retry' AND detail->>'database' = 'good'"),
	'40P01', 'the retry names the deadlock, SQLSTATE 40P01');

is($target->safe_psql('postgres', "SELECT status FROM migrate.databases WHERE migration_id = $id AND dbname = 'bad'"),
	'failed', 'database bad failed');
is($target->safe_psql('postgres', "SELECT string_agg(detail->>'sqlstate', ',') FROM migrate.event WHERE migration_id = $id"
	  . " AND kind = 'task_failed' AND detail->>'database' = 'bad'"),
	'42P01', 'with the SQLSTATE of what went wrong (42P01), not a generic one');
like($target->safe_psql('postgres', "SELECT error FROM migrate.errors WHERE migration_id = $id AND dbname = 'bad'"),
	qr/relation "public.nowhere" does not exist/, 'and its message');

done_testing();
