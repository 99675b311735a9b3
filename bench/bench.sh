#!/usr/bin/env bash
# The benchmark proper; bench/run.sh starts it as the unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$(pg_bindir):$PATH"

scale=50
runs=3
jobs=$(nproc)
while [ $# -gt 0 ]; do
	case "$1" in
	--scale) scale=$2; shift 2 ;;
	--runs) runs=$2; shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	*) echo "usage: bench/run.sh [--scale N] [--runs N] [--jobs N]" >&2; exit 2 ;;
	esac
done

work=$(mktemp -d /tmp/migrate-bench.XXXXXX)
mkdir -p "$work/source" "$work/target" "$work/files" bench/results
trap 'stop_cluster "$work/source"; stop_cluster "$work/target"; rm -rf "$work"' EXIT

# the same settings for both servers and every tool
settings=(
	"shared_buffers = 1GB" "maintenance_work_mem = 512MB" "max_wal_size = 8GB"
	"checkpoint_timeout = 30min" "wal_level = logical" "max_wal_senders = 20"
	"max_replication_slots = 20" "max_worker_processes = 24"
	"max_logical_replication_workers = 8" "max_sync_workers_per_subscription = $jobs"
	"shared_preload_libraries = 'migrate'" "migrate.max_workers = $jobs"
)
sport=$(free_port)
start_cluster "$work/source" "$sport" "${settings[@]}"
tport=$(free_port)
start_cluster "$work/target" "$tport" "${settings[@]}"
S="host=$work/source port=$sport"
T="host=$work/target port=$tport"
spsql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$S dbname=$1" -c "$2"; }
tpsql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$T dbname=$1" -c "$2"; }
now() { date +%s.%N; }

echo "== pgbench at scale $scale into the source"
spsql postgres "CREATE DATABASE bench"
pgbench -i -q -s "$scale" -d "$S dbname=bench" >/dev/null 2>&1
spsql bench "VACUUM ANALYZE"
size=$(spsql bench "SELECT pg_database_size(current_database())")
tpsql postgres "CREATE EXTENSION migrate"

fingerprint() {
	local conn=$1
	psql -qXAt -d "$conn dbname=bench" -c "
		SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
		WHERE schemaname = 'public' ORDER BY 1" |
		while read -r t; do
			echo "$t $(psql -qXAt -d "$conn dbname=bench" -c \
				"SELECT count(*) || ' ' || md5(coalesce(string_agg(md5(x::text), '' ORDER BY md5(x::text)), '')) FROM $t x")"
		done
}
fingerprint "$S" >"$work/source.fp"

# local binary files for the floor, made once
for t in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history; do
	spsql bench "COPY $t TO '$work/files/$t' (FORMAT binary)"
done
pg_dump -Fd -j "$jobs" -f "$work/dump.floor" -d "$S dbname=bench"

reset_target() {
	tpsql postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'bench' AND pid <> pg_backend_pid()" >/dev/null
	tpsql postgres "DROP DATABASE IF EXISTS bench" >/dev/null
	tpsql postgres "DELETE FROM migrate.migration" >/dev/null
	tpsql postgres "CHECKPOINT" >/dev/null
}

# samples the largest private resident memory (RssAnon: shared buffers a
# worker touches are not its own) of a migrate worker, and the target's disk
sampler() {
	local out=$1 rss=0 disk=0 r d pid
	while [ -f "$work/sampling" ]; do
		for pid in $(pgrep -f 'migrate worker' 2>/dev/null); do
			r=$(awk '/RssAnon/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
			[ -n "$r" ] && [ "$r" -gt "$rss" ] && rss=$r
		done
		d=$(du -sk "$work/target/data" 2>/dev/null | cut -f1)
		[ -n "$d" ] && [ "$d" -gt "$disk" ] && disk=$d
		sleep 0.2
	done
	echo "$rss $disk" >"$out"
}

run_migrate() {
	local id
	id=$(tpsql postgres "SELECT migrate.start('$S dbname=postgres', '{\"databases\": [\"bench\"], \"roles\": false, \"workers\": $jobs}')")
	tpsql postgres "SELECT migrate.wait($id, 'done')" >/dev/null 2>&1
	[ "$(tpsql postgres "SELECT state FROM migrate.migration WHERE id = $id")" = done ] || return 1
	tpsql postgres "SELECT extract(epoch FROM max(finished_at) - min(started_at)) FROM migrate.task WHERE migration_id = $id AND kind = 'copy'" >"$work/data_phase"
}
run_pgdump() {
	rm -rf "$work/dump"
	pg_dump -Fd -j "$jobs" -f "$work/dump" -d "$S dbname=bench"
	tpsql postgres "CREATE DATABASE bench"
	pg_restore -j "$jobs" -d "$T dbname=bench" "$work/dump"
}
run_pgcopydb() {
	rm -rf "$work/pgcopydb"
	tpsql postgres "CREATE DATABASE bench"
	pgcopydb clone --source "$S dbname=bench" --target "$T dbname=bench" \
		--table-jobs "$jobs" --index-jobs "$jobs" --dir "$work/pgcopydb" --no-owner >"$work/pgcopydb.log" 2>&1
}
run_logical() {
	tpsql postgres "CREATE DATABASE bench"
	pg_dump --schema-only -d "$S dbname=bench" | psql -qX -d "$T dbname=bench" >/dev/null
	spsql bench "DROP PUBLICATION IF EXISTS bench_pub; CREATE PUBLICATION bench_pub FOR ALL TABLES"
	tpsql bench "CREATE SUBSCRIPTION bench_sub CONNECTION '$S dbname=bench' PUBLICATION bench_pub WITH (copy_data = true)"
	local t0 n
	t0=$(now)
	while :; do
		n=$(tpsql bench "SELECT count(*) FROM pg_subscription_rel WHERE srsubstate <> 'r'")
		[ "$n" = 0 ] && break
		sleep 0.1
		if [ "$(echo "$(now) - $t0 > 3600" | bc)" = 1 ]; then return 1; fi
	done
	tpsql bench "ALTER SUBSCRIPTION bench_sub DISABLE; ALTER SUBSCRIPTION bench_sub SET (slot_name = NONE); DROP SUBSCRIPTION bench_sub"
	spsql bench "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'bench_sub'" >/dev/null
	spsql bench "DROP PUBLICATION bench_pub"
}
run_floor() {
	local t0 t
	tpsql postgres "CREATE DATABASE bench"
	pg_restore --section=pre-data -d "$T dbname=bench" "$work/dump.floor"
	t0=$(now)
	for t in pgbench_accounts pgbench_branches pgbench_tellers pgbench_history; do
		echo "COPY $t FROM '$work/files/$t' (FORMAT binary)"
	done | xargs -d '\n' -P "$jobs" -I{} psql -qX -d "$T dbname=bench" -c "{}"
	echo "$(now) - $t0" | bc >"$work/data_phase"
	pg_restore -j "$jobs" --section=post-data -d "$T dbname=bench" "$work/dump.floor"
}

tools=(migrate pgdump pgcopydb logical floor)
csv="bench/results/bench-$(date +%Y%m%d-%H%M%S).csv"
echo "dataset,tool,run,seconds,data_seconds,peak_worker_rss_kb,peak_target_disk_kb,correct" >"$csv"

echo "== settings (both servers, every tool): ${settings[*]}; fsync/synchronous_commit/full_page_writes off"
echo "== dataset pgbench scale $scale: $((size / 1024 / 1024)) MB; $runs runs a tool, alternating; $jobs jobs"
for r in $(seq 1 "$runs"); do
	# alternate the order from run to run
	if [ $((r % 2)) -eq 0 ]; then order=(floor logical pgcopydb pgdump migrate); else order=("${tools[@]}"); fi
	for tool in "${order[@]}"; do
		reset_target
		rm -f "$work/data_phase"
		touch "$work/sampling"
		sampler "$work/sample" &
		spid=$!
		t0=$(now)
		ok=yes
		"run_$tool" >"$work/$tool.out" 2>&1 || ok=failed
		t1=$(now)
		rm -f "$work/sampling"
		wait "$spid"
		secs=$(echo "$t1 - $t0" | bc)
		data=$(cat "$work/data_phase" 2>/dev/null || echo "")
		read -r rss disk <"$work/sample"
		if [ "$ok" = yes ]; then
			fingerprint "$T" >"$work/target.fp"
			cmp -s "$work/source.fp" "$work/target.fp" || ok=WRONG
		fi
		[ "$tool" = migrate ] || rss=""
		printf '  run %d %-9s %8.2f s  %s\n' "$r" "$tool" "$secs" "$ok"
		[ "$ok" = yes ] || tail -5 "$work/$tool.out" | sed 's/^/    /'
		echo "pgbench-$scale,$tool,$r,$secs,$data,$rss,$disk,$ok" >>"$csv"
	done
done

echo
echo "== pgbench scale $scale ($((size / 1024 / 1024)) MB), median of $runs runs (min-max), ratios of medians"
awk -F, -v mb=$((size / 1024 / 1024)) '
	NR > 1 && $8 == "yes" { n[$2]++; t[$2, n[$2]] = $4; d[$2, n[$2]] = $5; if ($6 > rss[$2]) rss[$2] = $6; if ($7 > disk[$2]) disk[$2] = $7 }
	NR > 1 && $8 != "yes" { bad[$2]++ }
	function median(tool, arr,   i, j, k, tmp, m, v) {
		m = n[tool]; for (i = 1; i <= m; i++) v[i] = arr[tool, i]
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] + 0 < v[i] + 0) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
		lo = v[1]; hi = v[m]
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		split("migrate pgdump pgcopydb logical floor", order, " ")
		for (k = 1; k <= 5; k++) { tool = order[k]; if (n[tool]) { med[tool] = median(tool, t); spread[tool] = sprintf("%.1f-%.1f", lo, hi); dm[tool] = median(tool, d) } }
		printf "%-9s %9s %11s %8s %7s %10s %9s %8s %9s %9s\n", "tool", "total s", "spread", "data s", "MB/s", "/pg_dump", "/pgcopydb", "/floor", "rss MB", "disk MB"
		for (k = 1; k <= 5; k++) {
			tool = order[k]
			if (!n[tool]) { printf "%-9s %9s\n", tool, (bad[tool] ? "WRONG or failed: not timed" : "not run"); continue }
			printf "%-9s %9.2f %11s %8s %7.1f %10s %9s %8s %9s %9.0f\n", tool, med[tool], spread[tool],
				(dm[tool] != "" ? sprintf("%.2f", dm[tool]) : "-"), mb / med[tool],
				(med["pgdump"] ? sprintf("%.2f", med[tool] / med["pgdump"]) : "-"),
				(med["pgcopydb"] ? sprintf("%.2f", med[tool] / med["pgcopydb"]) : "-"),
				(med["floor"] ? sprintf("%.2f", med[tool] / med["floor"]) : "-"),
				(rss[tool] != "" ? sprintf("%.1f", rss[tool] / 1024) : "-"), disk[tool] / 1024
			if (bad[tool]) printf "          (%d run(s) WRONG or failed, left out)\n", bad[tool]
		}
	}' "$csv"
echo "CSV: $csv"
