#!/usr/bin/perl
# The benchmark's sampler, one process that spawns almost nothing: on two
# cores, a shell loop forking pgrep/awk/df five times a second took over a
# second from a seven-second migration.
#   sampler.pl STOPFILE OUTFILE DIR
# While STOPFILE exists, every 0.25 s: the largest private resident memory
# (RssAnon: the shared buffers a process touches are not its own) of a
# migrate worker while it copies, and while it does anything (an index build
# uses maintenance_work_mem, by design); every 2 s and at the end, how much
# the file system under DIR grew; and the CPU time the coordinator used (the
# last reading of each coordinator process: it may miss the last 0.25 s).
# Writes "copy_kb any_kb disk_kb coordinator_cpu_s".
use strict;
use warnings;
use Time::HiRes qw(sleep);
use POSIX ();

my $ticks = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;

my ($stopfile, $outfile, $dir) = @ARGV;

sub used_kb {
	my @lines = `df -k --output=used '$dir'`;
	return ($lines[-1] // 0) =~ /(\d+)/ ? $1 : 0;
}

my ($copy, $any, $disk) = (0, 0, 0);
my %coordinator_cpu;    # pid => utime + stime, in ticks
my $disk0 = used_kb();
my $tick = 0;
while (-e $stopfile) {
	opendir(my $proc, '/proc') or die "/proc: $!";
	for my $pid (grep { /^\d+$/ } readdir $proc) {
		open(my $c, '<', "/proc/$pid/cmdline") or next;
		my $title = do { local $/; <$c> } // '';
		close $c;
		if ($title =~ /^postgres: migrate coordinator/) {
			open(my $st, '<', "/proc/$pid/stat") or next;
			my $stat = <$st> // '';
			close $st;
			# the fields after the command name: state is the first, utime
			# and stime the 12th and 13th
			my @f = split ' ', substr($stat, rindex($stat, ')') + 2);
			$coordinator_cpu{$pid} = $f[11] + $f[12] if @f > 12;
			next;
		}
		next unless $title =~ /^postgres: migrate worker/;
		open(my $s, '<', "/proc/$pid/status") or next;
		my ($rss) = map { /^RssAnon:\s+(\d+)/ ? $1 : () } <$s>;
		close $s;
		next unless defined $rss;
		$any = $rss if $rss > $any;
		$copy = $rss if $title =~ / copy / && $rss > $copy;
	}
	closedir $proc;
	if (++$tick % 8 == 0) {
		my $d = used_kb() - $disk0;
		$disk = $d if $d > $disk;
	}
	sleep 0.25;
}
my $d = used_kb() - $disk0;
$disk = $d if $d > $disk;
open(my $out, '>', $outfile) or die "$outfile: $!";
my $cpu = 0;
$cpu += $_ for values %coordinator_cpu;
printf $out "%d %d %d %.2f\n", $copy, $any, $disk, $cpu / $ticks;
close $out;
