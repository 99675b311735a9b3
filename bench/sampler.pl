#!/usr/bin/perl
# The benchmark's sampler, one process that spawns almost nothing: on two
# cores, a shell loop forking pgrep/awk/df five times a second took over a
# second from a seven-second migration.
#   sampler.pl STOPFILE OUTFILE DIR
# While STOPFILE exists, every 0.25 s: the largest private resident memory
# (RssAnon: the shared buffers a process touches are not its own) of a
# migrate worker while it copies, and while it does anything (an index build
# uses maintenance_work_mem, by design); every 2 s and at the end, how much
# the file system under DIR grew.  Writes "copy_kb any_kb disk_kb".
use strict;
use warnings;
use Time::HiRes qw(sleep);

my ($stopfile, $outfile, $dir) = @ARGV;

sub used_kb {
	my @lines = `df -k --output=used '$dir'`;
	return ($lines[-1] // 0) =~ /(\d+)/ ? $1 : 0;
}

my ($copy, $any, $disk) = (0, 0, 0);
my $disk0 = used_kb();
my $tick = 0;
while (-e $stopfile) {
	opendir(my $proc, '/proc') or die "/proc: $!";
	for my $pid (grep { /^\d+$/ } readdir $proc) {
		open(my $c, '<', "/proc/$pid/cmdline") or next;
		my $title = do { local $/; <$c> } // '';
		close $c;
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
print $out "$copy $any $disk\n";
close $out;
