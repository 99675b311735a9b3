#!/usr/bin/env bash
# The benchmark proper; bench/run.sh starts it as the unprivileged user.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
. bench/live.sh
. bench/verify.sh
# a fixed PATH: the caller's may name directories this user cannot read
# (pgcopydb fails on them)
export PATH="$(pg_bindir):/usr/local/bin:/usr/bin:/bin"

usage() {
	cat >&2 <<USAGE
usage: bench/run.sh [--scale N] [--wide-mb N] [--tables N]
                    [--datasets pgbench,wide,many] [--runs N] [--jobs N]
                    [--tools migrate,pgdump,...] [--rate TPS]
tools: migrate pgdump psql pgcopydb logical pipe floor
datasets: pgbench (pgbench -i -s N), wide (bench/wide.sql, N MB),
          many (bench/many.sql: N small tables, 100 a schema; by default
          only migrate, pgdump and pgcopydb run on it),
          live (pgbench -s N and 100 sequences, pgbench writing TPS
          transactions a second during the whole migration: migrate's
          replication method against native logical replication and
          pgcopydb clone --follow, and migrate's dump method for its copy),
          verify (pgbench -s N migrated, then migrate.verify at each
          level against count(*) of every table and a whole-table hash)
USAGE
	exit 2
}

scale=50
wide_mb=640
tables=10000
rate=200
datasets=pgbench,wide
runs=3
jobs=$(nproc)
all_tools=(migrate pgdump psql pgcopydb logical pipe floor)
tools_arg=$(IFS=,; echo "${all_tools[*]}")
tools_given=no
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case "$1" in
	--scale) scale=$2 ;;
	--wide-mb) wide_mb=$2 ;;
	--tables) tables=$2 ;;
	--rate) rate=$2 ;;
	--datasets) datasets=$2 ;;
	--runs) runs=$2 ;;
	--jobs) jobs=$2 ;;
	--tools) tools_arg=$2; tools_given=yes ;;
	*) usage ;;
	esac
	shift 2
done
IFS=, read -r -a tools <<<"$tools_arg"
for t in "${tools[@]}"; do
	case " ${all_tools[*]} " in *" $t "*) ;; *) echo "unknown tool: $t" >&2; usage ;; esac
done

work=$(mktemp -d /tmp/migrate-bench.XXXXXX)
mkdir -p "$work/source" "$work/target" bench/results
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
# one exception: pg_dump and pgcopydb lock every table of the source in one
# transaction, more than a default lock table holds at 10,000 tables; and
# pgcopydb --follow decodes with wal2json, which a server that lists its
# trusted output plugins (output_plugin_libraries) must name; the target
# keeps the defaults
source_settings=("max_locks_per_transaction = 256")
if "$(pg_bindir)/postgres" --describe-config 2>/dev/null | grep '^output_plugin_libraries' >/dev/null; then
	source_settings+=("output_plugin_libraries = 'pgoutput, test_decoding, wal2json'")
fi
start_cluster "$work/source" "$sport" "${settings[@]}" "${source_settings[@]}"
tport=$(free_port)
start_cluster "$work/target" "$tport" "${settings[@]}"
S="host=$work/source port=$sport"
T="host=$work/target port=$tport"
spsql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$S dbname=$1" -c "$2"; }
tpsql() { psql -qXAt -v ON_ERROR_STOP=1 -d "$T dbname=$1" -c "$2"; }
now() { date +%s.%N; }
tpsql postgres "CREATE EXTENSION migrate"

# the tables of the source database, schema-qualified and quoted
source_tables() {
	spsql bench "SELECT format('%I.%I', schemaname, tablename) FROM pg_tables
		WHERE schemaname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1"
}

# a line a table: row count and an order-independent checksum of the rows
# (scripts/fingerprint.sql, the tests' and the demo's query too), schema by
# schema: one query over 10,000 tables would exceed the target's lock table
fingerprint() {
	local schema
	for schema in $(psql -qXAt -d "$1 dbname=bench" -c "SELECT nspname FROM pg_namespace
		WHERE nspname NOT IN ('pg_catalog', 'information_schema') AND nspname !~ '^pg_' ORDER BY 1"); do
		PGOPTIONS="-c fingerprint.schema=$schema" psql -qXAt -F ' ' -d "$1 dbname=bench" -f scripts/fingerprint.sql
	done
}

reset_target() {
	# a logical run that failed half-way leaves its subscription
	if [ "$(tpsql postgres "SELECT count(*) FROM pg_database WHERE datname = 'bench'")" = 1 ]; then
		tpsql bench "SELECT subname FROM pg_subscription" | while read -r sub; do
			tpsql bench "ALTER SUBSCRIPTION $sub DISABLE; ALTER SUBSCRIPTION $sub SET (slot_name = NONE); DROP SUBSCRIPTION $sub"
		done
	fi
	tpsql postgres "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'bench' AND pid <> pg_backend_pid()" >/dev/null
	tpsql postgres "DROP DATABASE IF EXISTS bench" >/dev/null
	tpsql postgres "DELETE FROM migrate.migration" >/dev/null
	tpsql postgres "CHECKPOINT" >/dev/null
}

# The data phase of a tool, from the durations of its COPYs (one a line in
# copy_durations, N at a time): their sum over N, and at least the longest;
# the same measure for migrate, pipe and floor.
data_phase() {
	awk -v jobs="$jobs" '{ s += $1; if ($1 > m) m = $1 } END { d = s / jobs; printf "%.3f\n", (m > d ? m : d) }' \
		"$work/copy_durations" >"$work/data_phase"
}
# runs the shell command CMD once a table of the dataset, N at a time ($t:
# the table, $n: its line number in the list), and writes each one's
# duration to copy_durations
timed_copies() {
	local cmd=$1
	: >"$work/copy_durations"
	awk '{ print NR " " $0 }' "$work/tables" |
		xargs -d '\n' -P "$jobs" -I{} bash -c '
			n=${1%% *}; t=${1#* }; t0=$(date +%s.%N)
			eval "$2" || exit 255
			echo "$(date +%s.%N) - $t0" | bc >>"$3"' _ {} "$cmd" "$work/copy_durations"
	data_phase
}

run_migrate() {
	local id
	id=$(tpsql postgres "SELECT migrate.start('$S dbname=postgres', '{\"method\": \"dump\", \"databases\": [\"bench\"], \"roles\": false, \"workers\": $jobs}')")
	tpsql postgres "SELECT migrate.wait($id, 'done')" >/dev/null 2>&1
	[ "$(tpsql postgres "SELECT state FROM migrate.migration WHERE id = $id")" = done ] || return 1
	# index builds and ANALYZE run between and beside the copies, so the
	# span from the first copy to the last is no data phase: the copies'
	# own durations are, as for pipe and floor (data_phase)
	tpsql postgres "SELECT extract(epoch FROM finished_at - started_at)
		FROM migrate.task WHERE migration_id = $id AND kind = 'copy'" >"$work/copy_durations"
	data_phase
	# where the time went, task by task, in seconds from the start
	psql -qXA -F ' ' -d "$T dbname=postgres" -c "
		SELECT t.kind, coalesce(t.schema_name || '.' || t.table_name, '') AS relation, t.part,
		       round(extract(epoch FROM t.started_at - m.started_at)::numeric, 2) AS started,
		       round(extract(epoch FROM t.finished_at - m.started_at)::numeric, 2) AS finished
		FROM migrate.task t JOIN migrate.migration m ON m.id = t.migration_id
		WHERE m.id = $id ORDER BY t.started_at, t.id" >"$work/migrate.timeline"
}
run_pgdump() {
	rm -rf "$work/dump"
	pg_dump -Fd -j "$jobs" -f "$work/dump" -d "$S dbname=bench"
	tpsql postgres "CREATE DATABASE bench"
	pg_restore -j "$jobs" -d "$T dbname=bench" "$work/dump"
	rm -rf "$work/dump"
}
run_psql() {
	tpsql postgres "CREATE DATABASE bench"
	pg_dump -d "$S dbname=bench" | psql -qX -v ON_ERROR_STOP=1 -d "$T dbname=bench" >/dev/null
}
run_pgcopydb() {
	rm -rf "$work/pgcopydb"
	tpsql postgres "CREATE DATABASE bench"
	# its own session: pgcopydb signals its process group when it fails
	setsid --wait pgcopydb clone --source "$S dbname=bench" --target "$T dbname=bench" \
		--table-jobs "$jobs" --index-jobs "$jobs" --dir "$work/pgcopydb" --no-owner >"$work/pgcopydb.log" 2>&1 || {
		# its first errors: the last lines only say that it stopped
		grep -m 5 -E "ERROR|FATAL" "$work/pgcopydb.log"
		return 1
	}
	rm -rf "$work/pgcopydb"
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
# the raw pipe: binary COPY TO | COPY FROM through psql, N tables at a time,
# between a schema restore and the post-data restore (N at a time)
run_pipe() {
	rm -rf "$work/schema"
	pg_dump -Fd --schema-only -f "$work/schema" -d "$S dbname=bench"
	tpsql postgres "CREATE DATABASE bench"
	pg_restore --section=pre-data -d "$T dbname=bench" "$work/schema"
	timed_copies "set -o pipefail; psql -qXA -v ON_ERROR_STOP=1 -d '$S dbname=bench' -c \"COPY \$t TO STDOUT (FORMAT binary)\" |
		psql -qX -v ON_ERROR_STOP=1 -d '$T dbname=bench' -c \"COPY \$t FROM STDIN (FORMAT binary)\""
	pg_restore -j "$jobs" --section=post-data -d "$T dbname=bench" "$work/schema"
}
# the floor: the target loads local binary files N at a time, then builds
# the same indexes and constraints N at a time
run_floor() {
	tpsql postgres "CREATE DATABASE bench"
	pg_restore --section=pre-data -d "$T dbname=bench" "$work/floor.schema"
	timed_copies "psql -qX -v ON_ERROR_STOP=1 -d '$T dbname=bench' -c \"COPY \$t FROM '$work/files/\$n' (FORMAT binary)\""
	pg_restore -j "$jobs" --section=post-data -d "$T dbname=bench" "$work/floor.schema"
}

load_dataset() {
	local dataset=$1
	spsql postgres "DROP DATABASE IF EXISTS bench" >/dev/null 2>&1
	spsql postgres "CREATE DATABASE bench"
	case "$dataset" in
	pgbench) pgbench -i -q -s "$scale" -d "$S dbname=bench" >/dev/null 2>&1 ;;
	wide) psql -qX -v mb="$wide_mb" -d "$S dbname=bench" -f bench/wide.sql >/dev/null ;;
	many) psql -qX -v tables="$tables" -v schemas=$(((tables + 99) / 100)) -d "$S dbname=bench" \
		-f bench/many.sql >/dev/null ;;
	esac
	spsql bench "VACUUM ANALYZE"
	source_tables >"$work/tables"
	fingerprint "$S" >"$work/source.fp"
	# the floor's files and schema, made once (not timed)
	rm -rf "$work/files" "$work/floor.schema"
	case " ${dataset_tools[*]} " in *" floor "* | *" pipe "*) ;; *) return 0 ;; esac
	mkdir -p "$work/files"
	awk -v dir="$work/files" '{ printf "COPY %s TO %c%s/%d%c (FORMAT binary);\n", $0, 39, dir, NR, 39 }' "$work/tables" |
		psql -qX -v ON_ERROR_STOP=1 -d "$S dbname=bench" >/dev/null
	pg_dump -Fd --schema-only -f "$work/floor.schema" -d "$S dbname=bench"
}

# one timed, verified run of a tool, appended to the CSV
run_one() {
	local dataset=$1 r=$2 tool=$3 t0 t1 secs data ok copy any disk cpu
	reset_target
	rm -f "$work/data_phase"
	rm -f "$work/migrate.timeline"
	touch "$work/sampling"
	perl bench/sampler.pl "$work/sampling" "$work/sample" "$work" &
	local spid=$!
	ok=yes
	t0=$(now)
	"run_$tool" >"$work/$tool.out" 2>&1 || ok=failed
	t1=$(now)
	rm -f "$work/sampling"
	wait "$spid"
	secs=$(echo "$t1 - $t0" | bc)
	data=$(cat "$work/data_phase" 2>/dev/null || echo "")
	read -r copy any disk cpu <"$work/sample"
	if [ "$ok" = yes ]; then
		fingerprint "$T" >"$work/target.fp"
		cmp -s "$work/source.fp" "$work/target.fp" || ok=WRONG
	fi
	[ "$tool" = migrate ] || { copy=""; any=""; cpu=""; }
	printf '  run %d %-9s %8.2f s  %s\n' "$r" "$tool" "$secs" "$ok"
	[ "$ok" = yes ] || head -5 "$work/$tool.out" | sed 's/^/    /'
	echo "$dataset,$tool,$r,$secs,$data,$copy,$any,$disk,$ok,$cpu" >>"$csv"
	if [ "$tool" = migrate ] && [ -f "$work/migrate.timeline" ]; then
		{ echo "== $dataset run $r: $secs s"; cat "$work/migrate.timeline"; } >>"${csv%.csv}.timeline"
	fi
}

# the table of one dataset: medians, spread, ratios, and the issue's targets
report() {
	local dataset=$1 mb=$2 kind=$3
	awk -F, -v ds="$dataset" -v mb="$mb" -v kind="$kind" -v tools="${dataset_tools[*]}" '
	$1 == ds && $9 == "yes" {
		n[$2]++; t[$2, n[$2]] = $4; d[$2, n[$2]] = $5; c[$2, n[$2]] = $10
		if ($6 > copy[$2]) copy[$2] = $6; if ($7 > any[$2]) any[$2] = $7; if ($8 > disk[$2]) disk[$2] = $8
	}
	$1 == ds && $9 != "yes" { bad[$2]++ }
	function median(tool, arr,   i, j, tmp, m, v) {
		m = n[tool]; for (i = 1; i <= m; i++) v[i] = arr[tool, i] + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
		lo = v[1]; hi = v[m]
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	END {
		k = split(tools, order, " ")
		for (i = 1; i <= k; i++) {
			tool = order[i]
			if (!n[tool]) continue
			med[tool] = median(tool, t); spread[tool] = sprintf("%.1f-%.1f", lo, hi)
			dm[tool] = (arr_has_data(tool) ? median(tool, d) : "")
			cm[tool] = (c[tool, 1] != "" ? median(tool, c) : "")
		}
		fastest = ""
		split("pgdump psql pgcopydb logical", others, " ")
		for (i = 1; i <= 4; i++) if (med[others[i]] != "" && (fastest == "" || med[others[i]] < med[fastest])) fastest = others[i]
		printf "%-9s %8s %10s %7s %7s %8s %8s %9s %7s %9s %9s %8s\n", "tool", "total s", "spread", "data s", "MB/s",
			"/pg_dump", "/pgcopydb", "/fastest", "/floor", "copy RSS", "peak RSS", "disk MB"
		for (i = 1; i <= k; i++) {
			tool = order[i]
			if (!n[tool]) { printf "%-9s %s\n", tool, (bad[tool] ? "WRONG or failed in every run: not timed" : "not run"); continue }
			printf "%-9s %8.2f %10s %7s %7.1f %8s %8s %9s %7s %9s %9s %8.0f\n", tool, med[tool], spread[tool],
				(dm[tool] != "" ? sprintf("%.2f", dm[tool]) : "-"), mb / med[tool],
				ratio(med[tool], med["pgdump"]), ratio(med[tool], med["pgcopydb"]),
				ratio(med[tool], med[fastest]), ratio(med[tool], med["floor"]),
				(copy[tool] != "" ? sprintf("%.1f MB", copy[tool] / 1024) : "-"),
				(any[tool] != "" ? sprintf("%.1f MB", any[tool] / 1024) : "-"), disk[tool] / 1024
			if (bad[tool]) printf "          (%d run(s) WRONG or failed, left out)\n", bad[tool]
		}
		if (med["migrate"] == "") exit
		if (cm["migrate"] != "")
			printf "migrate coordinator CPU: %.2f s (median), %.1f%% of the total\n", cm["migrate"], 100 * cm["migrate"] / med["migrate"]
		if (kind == "many") {
			print "targets of migrate (issue: the engine at thousands of tables):"
			if (fastest != "")
				verdict(med["migrate"] <= med[fastest], sprintf("total %.2f s <= the fastest other tool (%s, %.2f s)", med["migrate"], fastest, med[fastest]))
			if (cm["migrate"] != "")
				verdict(cm["migrate"] < 0.10 * med["migrate"], sprintf("coordinator CPU %.2f s < 10%% of the total", cm["migrate"]))
			exit
		}
		print "targets of migrate (issue: benchmark):"
		if (fastest != "")
			verdict(med["migrate"] <= 0.85 * med[fastest], sprintf("total %.2f s <= 0.85 x the fastest other tool (%s, %.2f s)", med["migrate"], fastest, med[fastest]))
		if (dm["pipe"] != "")
			verdict(dm["migrate"] <= dm["pipe"], sprintf("data phase %.2f s <= the raw pipe of the same streams (%.2f s)", dm["migrate"], dm["pipe"]))
		if (dm["floor"] != "")
			verdict(dm["migrate"] <= 1.15 * dm["floor"], sprintf("data phase %.2f s <= 1.15 x the target loading local files (%.2f s)", dm["migrate"], dm["floor"]))
		verdict(copy["migrate"] < 64 * 1024, sprintf("a copy worker peak RSS %.1f MB < 64 MB", copy["migrate"] / 1024))
	}
	function arr_has_data(tool,   i) { for (i = 1; i <= n[tool]; i++) if (d[tool, i] != "") return 1; return 0 }
	function verdict(ok, what) { printf "  %-6s %s\n", (ok ? "met" : "MISSED"), what }
	' "$csv"
}

csv="bench/results/bench-$(date +%Y%m%d-%H%M%S).csv"
echo "dataset,tool,run,seconds,data_seconds,copy_worker_rss_kb,peak_worker_rss_kb,disk_growth_kb,correct,coordinator_cpu_s" >"$csv"
echo "== settings (both servers, every tool): ${settings[*]}; fsync/synchronous_commit/full_page_writes off"
echo "== $(nproc) cores; $runs runs a tool, alternating the order; $jobs jobs; tools: ${tools[*]}"

IFS=, read -r -a dataset_list <<<"$datasets"
summary=""
for dataset in "${dataset_list[@]}"; do
	case "$dataset" in
	pgbench) name="pgbench-$scale" ;;
	wide) name="wide-$wide_mb" ;;
	many) name="many-$tables" ;;
	live) live_scenario; continue ;;
	verify) verify_scenario; continue ;;
	*) echo "unknown dataset: $dataset" >&2; usage ;;
	esac
	dataset_tools=("${tools[@]}")
	if [ "$dataset" = many ] && [ "$tools_given" = no ]; then
		# native logical replication syncs one table at a time a worker, and
		# pipe and floor start two psql a table: hours at 10,000 tables
		dataset_tools=(migrate pgdump pgcopydb)
	fi
	echo "== dataset $name: loading"
	load_dataset "$dataset"
	size=$(spsql bench "SELECT pg_database_size(current_database())")
	mb=$((size / 1024 / 1024))
	echo "== dataset $name: $mb MB in $(wc -l <"$work/tables") tables"
	# a load that is not timed first: the target's WAL segments then exist
	# and are recycled for every tool alike (the first tool would otherwise
	# pay for creating and zeroing them), and the source's files are cached
	# (the many-tables dataset is small: its cost is in the catalog)
	reset_target
	[ "$dataset" = many ] || run_floor >"$work/warmup.out" 2>&1
	for r in $(seq 1 "$runs"); do
		order=("${dataset_tools[@]}")
		if [ $((r % 2)) -eq 0 ]; then
			order=()
			for ((i = ${#dataset_tools[@]} - 1; i >= 0; i--)); do order+=("${dataset_tools[$i]}"); done
		fi
		for tool in "${order[@]}"; do
			run_one "$name" "$r" "$tool"
		done
	done
	summary+=$'\n'"== $name ($mb MB), median of $runs runs (min-max); ratios of medians"$'\n'
	summary+=$(report "$name" "$mb" "$dataset")$'\n'
done
echo "$summary"
echo "CSV: $csv"
