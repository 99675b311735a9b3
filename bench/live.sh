# The live scenario of the benchmark, sourced by bench/bench.sh (its
# servers, spsql/tpsql, reset_target, fingerprint, $work, $csv): pgbench
# writes on the source at a fixed rate during the whole migration.  For
# migrate's replication method, native logical replication (copy_data =
# true) and pgcopydb clone --follow, one run of each measures
#   copied: from the start until the copy is done and changes apply,
#   in sync: until every table is ready and the lag is below 1 MB,
#   lag: the largest lag in the 20 s after that, at the same write rate,
#   cutover: once the writes stop, until the target stands alone with
#     every sequence the source's (for the other tools: the caller waits
#     for the position, copies the sequences and drops what replicated,
#     as a runbook would say);
# and migrate's dump method on the same data gives the copy phase to
# compare migrate's with.  Every run ends with the target checked against
# the source, tables and sequences.

LIVE_SYNC_BYTES=1048576
LIVE_LAG_SECONDS=20
# how long a tool may take to reach in sync, or to finish its cutover: past
# it the run is reported as failed (pgcopydb 0.10 applies a WAL file's
# changes only once the source has moved on to the next 16 MB segment: at
# a low write rate it may never be in sync)
LIVE_WAIT=${LIVE_WAIT:-900}

# 100 sequences the writes advance, beside pgbench's tables
live_load() {
	pgbench -i -q -s "$scale" -d "$S dbname=bench" >/dev/null 2>&1
	spsql bench "DO \$\$ BEGIN FOR i IN 1..100 LOOP
		EXECUTE format('CREATE SEQUENCE live_seq_%s', i);
		PERFORM setval(format('live_seq_%s', i), i * 1000);
	END LOOP; END \$\$"
	cat >"$work/live_seq.sql" <<'SQL'
\set n random(1, 100)
SELECT nextval(('live_seq_' || :n)::regclass);
SQL
}

live_writes_start() {
	pgbench -n -c 2 -j 2 -R "$rate" -T 7200 -b tpcb-like@9 -f "$work/live_seq.sql@1" \
		-d "$S dbname=bench" >"$work/pgbench.log" 2>&1 &
	writer=$!
}
live_writes_stop() {
	[ -n "${writer:-}" ] || return 0
	kill "$writer" 2>/dev/null || true
	wait "$writer" 2>/dev/null || true
	writer=
}

# polls the shell command CMD until it prints t (at most LIVE_WAIT s, and only
# while process PID lives, when given); false if it never does
live_until() {
	local cmd=$1 pid=${2:-} t0
	t0=$(now)
	while [ "$(eval "$cmd" 2>/dev/null)" != t ]; do
		sleep 0.2
		[ -z "$pid" ] || kill -0 "$pid" 2>/dev/null || return 1
		[ "$(echo "$(now) - $t0 > $LIVE_WAIT" | bc)" = 0 ] || { echo "not reached in $LIVE_WAIT s: $cmd"; return 1; }
	done
}

# the largest value of the shell command CMD (bytes) over LIVE_LAG_SECONDS
live_lag_max() {
	local cmd=$1 t0 v max=0
	t0=$(now)
	while [ "$(echo "$(now) - $t0 < $LIVE_LAG_SECONDS" | bc)" = 1 ]; do
		v=$(eval "$cmd" 2>/dev/null || echo 0)
		[ -n "$v" ] && [ "$v" -gt "$max" ] && max=$v
		sleep 0.5
	done
	echo "$max"
}

# the source's sequences onto the target, as the operator of a tool that
# does not do it would
live_copy_sequences() {
	spsql bench "SELECT format('SELECT setval(%L, %s, true);', format('%I.%I', schemaname, sequencename), last_value)
		FROM pg_sequences WHERE last_value IS NOT NULL" | psql -qXAt -v ON_ERROR_STOP=1 -d "$T dbname=bench" >/dev/null
}

live_source_lag() {
	echo "spsql bench \"SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), $1)::bigint FROM $2\""
}

live_migrate() {
	local id
	id=$(tpsql postgres "SELECT migrate.start('$S dbname=postgres', '{\"method\": \"replication\", \"databases\": [\"bench\"], \"roles\": false, \"workers\": $jobs}')")
	[ "$(tpsql postgres "SELECT migrate.wait($id, 'replicating', '3600 s')")" = replicating ] || return 1
	live_copied=$(echo "$(now) - $t0" | bc)
	live_until "tpsql postgres \"SELECT bool_and(in_sync) FROM migrate.databases WHERE migration_id = $id\"" || return 1
	live_sync=$(echo "$(now) - $t0" | bc)
	live_lag=$(live_lag_max "tpsql postgres \"SELECT max(lag_bytes) FROM migrate.replication_lag($id)\"")
	live_writes_stop
	c0=$(now)
	[ "$(tpsql postgres "SELECT string_agg(status, ',') FROM migrate.cutover($id, '600 s')")" = done ] || return 1
	live_cutover=$(echo "$(now) - $c0" | bc)
	tpsql postgres "SELECT migrate.wait($id, 'done', '600 s')" >/dev/null
}

live_dump() {
	local id
	id=$(tpsql postgres "SELECT migrate.start('$S dbname=postgres', '{\"method\": \"dump\", \"databases\": [\"bench\"], \"roles\": false, \"workers\": $jobs}')")
	tpsql postgres "SELECT migrate.wait($id, 'done')" >/dev/null 2>&1
	[ "$(tpsql postgres "SELECT state FROM migrate.migration WHERE id = $id")" = done ] || return 1
	live_copied=$(echo "$(now) - $t0" | bc)
	live_writes_stop
}

live_logical() {
	tpsql postgres "CREATE DATABASE bench"
	pg_dump --schema-only -d "$S dbname=bench" | psql -qX -d "$T dbname=bench" >/dev/null
	spsql bench "DROP PUBLICATION IF EXISTS bench_pub; CREATE PUBLICATION bench_pub FOR ALL TABLES"
	tpsql bench "CREATE SUBSCRIPTION bench_sub CONNECTION '$S dbname=bench' PUBLICATION bench_pub WITH (copy_data = true)"
	live_until "tpsql bench \"SELECT count(*) = 0 FROM pg_subscription_rel WHERE srsubstate <> 'r'\"" || return 1
	live_copied=$(echo "$(now) - $t0" | bc)
	local lag
	lag=$(live_source_lag confirmed_flush_lsn "pg_replication_slots WHERE slot_name = 'bench_sub'")
	live_until "$lag | awk '{ print (\$1 < $LIVE_SYNC_BYTES) ? \"t\" : \"f\" }'" || return 1
	live_sync=$(echo "$(now) - $t0" | bc)
	live_lag=$(live_lag_max "$lag")
	live_writes_stop
	c0=$(now)
	local pos
	pos=$(spsql bench "SELECT pg_current_wal_lsn()")
	live_until "spsql bench \"SELECT confirmed_flush_lsn >= '$pos' FROM pg_replication_slots WHERE slot_name = 'bench_sub'\"" || return 1
	live_copy_sequences
	tpsql bench "DROP SUBSCRIPTION bench_sub"
	spsql bench "DROP PUBLICATION bench_pub"
	live_cutover=$(echo "$(now) - $c0" | bc)
}

# What a pgcopydb run leaves when it is stopped half-way: its processes
# (in a session of their own), its slot and schema on the source, its
# replication origin on the target.
live_pgcopydb_leftovers() {
	pkill -u "$(id -u)" -f "pgcopydb .*--dir $work/pgcopydb" 2>/dev/null || true
	local i
	for i in $(seq 1 50); do
		pgrep -u "$(id -u)" -f "pgcopydb .*--dir $work/pgcopydb" >/dev/null || break
		sleep 0.2
	done
	spsql bench "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = 'pgcopydb'" >/dev/null 2>&1 || true
	spsql bench "DROP SCHEMA IF EXISTS pgcopydb CASCADE" >/dev/null 2>&1 || true
	tpsql postgres "SELECT pg_replication_origin_drop(roname) FROM pg_replication_origin WHERE roname = 'pgcopydb'" >/dev/null 2>&1 || true
	rm -rf "$work/pgcopydb"
}

live_pgcopydb() {
	live_pgcopydb_leftovers
	tpsql postgres "CREATE DATABASE bench"
	setsid --wait pgcopydb clone --follow --source "$S dbname=bench" --target "$T dbname=bench" \
		--table-jobs "$jobs" --index-jobs "$jobs" --dir "$work/pgcopydb" --no-owner >"$work/pgcopydb.log" 2>&1 &
	local pid=$!
	# the sentinel on the source says when the copy is done and changes apply
	live_until "spsql bench \"SELECT apply FROM pgcopydb.sentinel\"" "$pid" ||
		{ kill "$pid" 2>/dev/null; grep -m 5 -E "ERROR|FATAL" "$work/pgcopydb.log"; return 1; }
	live_copied=$(echo "$(now) - $t0" | bc)
	local lag
	lag=$(live_source_lag replay_lsn "pgcopydb.sentinel WHERE replay_lsn > '0/0'")
	live_until "$lag | awk '{ print (\$1 < $LIVE_SYNC_BYTES) ? \"t\" : \"f\" }'" "$pid" ||
		{ kill "$pid" 2>/dev/null; grep -m 5 -E "ERROR|FATAL" "$work/pgcopydb.log"; return 1; }
	live_sync=$(echo "$(now) - $t0" | bc)
	live_lag=$(live_lag_max "$lag")
	live_writes_stop
	c0=$(now)
	pgcopydb stream sentinel set endpos --current --source "$S dbname=bench" >>"$work/pgcopydb.log" 2>&1
	live_until "kill -0 $pid 2>/dev/null && echo f || echo t" || { kill "$pid"; return 1; }
	wait "$pid" || { grep -m 5 -E "ERROR|FATAL" "$work/pgcopydb.log"; return 1; }
	live_copy_sequences
	live_cutover=$(echo "$(now) - $c0" | bc)
	pgcopydb stream cleanup --source "$S dbname=bench" --target "$T dbname=bench" --dir "$work/pgcopydb" \
		>>"$work/pgcopydb.log" 2>&1 || true
	spsql bench "DROP SCHEMA IF EXISTS pgcopydb CASCADE" 2>/dev/null
	rm -rf "$work/pgcopydb"
}

live_sequences() {
	psql -qXAt -d "$1 dbname=bench" -c "SELECT string_agg(sequencename || '=' || last_value, ',' ORDER BY sequencename) FROM pg_sequences"
}

live_run_one() {
	local r=$1 tool=$2 ok=yes
	reset_target
	live_copied="" live_sync="" live_lag="" live_cutover=""
	live_writes_start
	sleep 1
	t0=$(now)
	"live_$tool" >"$work/$tool.out" 2>&1 || ok=failed
	live_writes_stop
	if [ "$tool" = pgcopydb ]; then live_pgcopydb_leftovers; fi
	# (the dump method copies the source as it was at its snapshot, while
	# the writes went on: nothing to compare it with afterwards)
	if [ "$ok" = yes ] && [ "$tool" != dump ]; then
		fingerprint "$S" >"$work/source.fp"
		fingerprint "$T" >"$work/target.fp"
		cmp -s "$work/source.fp" "$work/target.fp" || ok=WRONG
		[ "$(live_sequences "$S")" = "$(live_sequences "$T")" ] || ok=WRONG
	fi
	printf '  run %d %-9s copied %8s s  in sync %8s s  lag %10s B  cutover %6s s  %s\n' "$r" "$tool" \
		"${live_copied:--}" "${live_sync:--}" "${live_lag:--}" "${live_cutover:--}" "$ok"
	[ "$ok" = yes ] || head -5 "$work/$tool.out" | sed 's/^/    /'
	echo "live-$scale,$tool,$r,$live_copied,$live_sync,$live_lag,$live_cutover,$ok" >>"${csv%.csv}.live.csv"
	# what the writes left on the source: the next tool starts from there
	spsql bench "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE NOT active" >/dev/null
}

live_report() {
	awk -F, -v rate="$rate" '
	$8 == "yes" { n[$2]++; c[$2, n[$2]] = $4; s[$2, n[$2]] = $5; l[$2, n[$2]] = $6; k[$2, n[$2]] = $7 }
	$8 != "yes" { bad[$2]++ }
	function median(tool, arr,   i, j, tmp, m, v) {
		m = n[tool]; for (i = 1; i <= m; i++) v[i] = arr[tool, i] + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	function cell(tool, arr) { return (n[tool] && arr[tool, 1] != "") ? median(tool, arr) : "" }
	function ratio(a, b) { return (a != "" && b != "" && b > 0) ? sprintf("%.2f", a / b) : "-" }
	END {
		split("migrate logical pgcopydb dump", order, " ")
		for (i = 1; i <= 4; i++) { t = order[i]; mc[t] = cell(t, c); ms[t] = cell(t, s); ml[t] = cell(t, l); mk[t] = cell(t, k) }
		fastest = ""
		if (ms["logical"] != "") fastest = "logical"
		if (ms["pgcopydb"] != "" && (fastest == "" || ms["pgcopydb"] < ms[fastest])) fastest = "pgcopydb"
		printf "%-9s %9s %10s %9s %10s %10s\n", "tool", "copied s", "in sync s", "/fastest", "lag MB", "cutover s"
		for (i = 1; i <= 4; i++) {
			t = order[i]
			if (!n[t]) { printf "%-9s %s\n", t, (bad[t] ? "WRONG or failed in every run" : "not run"); continue }
			printf "%-9s %9.2f %10s %9s %10s %10s\n", t, mc[t], (ms[t] != "" ? sprintf("%.2f", ms[t]) : "-"),
				(t == "dump" ? "-" : ratio(ms[t], ms[fastest])),
				(ml[t] != "" ? sprintf("%.2f", ml[t] / 1048576) : "-"), (mk[t] != "" ? sprintf("%.2f", mk[t]) : "-")
			if (bad[t]) printf "          (%d run(s) WRONG or failed, left out)\n", bad[t]
		}
		if (ms["migrate"] == "") exit
		print "targets of migrate (issue: replication):"
		if (fastest != "")
			verdict(ms["migrate"] <= 0.85 * ms[fastest], sprintf("in sync %.2f s <= 0.85 x the fastest other tool (%s, %.2f s)", ms["migrate"], fastest, ms[fastest]))
		if (mc["dump"] != "")
			verdict(mc["migrate"] <= 1.1 * mc["dump"], sprintf("copy phase %.2f s <= 1.1 x the dump method on the same data (%.2f s)", mc["migrate"], mc["dump"]))
		verdict(ml["migrate"] <= 16 * 1048576, sprintf("lag after the copy at %d tps stays bounded: %.2f MB <= 16 MB", rate, ml["migrate"] / 1048576))
		verdict(mk["migrate"] < 5, sprintf("cutover %.2f s < 5 s", mk["migrate"]))
	}
	function verdict(ok, what) { printf "  %-6s %s\n", (ok ? "met" : "MISSED"), what }
	' "${csv%.csv}.live.csv"
}

# the whole live scenario: RUNS runs of each tool, the order alternating
live_scenario() {
	echo "dataset,tool,run,copied_seconds,in_sync_seconds,lag_max_bytes,cutover_seconds,correct" >"${csv%.csv}.live.csv"
	echo "== dataset live-$scale: loading"
	spsql postgres "DROP DATABASE IF EXISTS bench" >/dev/null 2>&1
	spsql postgres "CREATE DATABASE bench"
	live_load
	spsql bench "VACUUM ANALYZE"
	echo "== dataset live-$scale: $(($(spsql bench "SELECT pg_database_size(current_database())") / 1048576)) MB, pgbench writing $rate tps"
	local r tool order
	for r in $(seq 1 "$runs"); do
		order=(migrate logical pgcopydb dump)
		[ $((r % 2)) -eq 0 ] && order=(dump pgcopydb logical migrate)
		for tool in "${order[@]}"; do
			# --tools narrows it too (pgdump stands for the dump method)
			if [ "$tools_given" = yes ]; then
				case ",$tools_arg," in *",$tool,"* | *",${tool/dump/pgdump},"*) ;; *) continue ;; esac
			fi
			live_run_one "$r" "$tool"
		done
	done
	summary+=$'\n'"== live-$scale, pgbench at $rate tps during the whole migration, median of $runs runs"$'\n'
	summary+=$(live_report)$'\n'
}
