# The verify scenario of the benchmark, sourced by bench/bench.sh (its
# servers, spsql/tpsql, reset_target, load_dataset, run_migrate, $work,
# $csv): pgbench -i -s N migrated once with the dump method, then, the same
# number of runs each and alternating, on the same data:
#   count_seq   a count(*) of every table of the source, one after another
#               (the issue's yardstick: checksums must cost at most 1.5x it)
#   count_par   the same, N tables at once
#   fingerprint every table's rows hashed whole on both sides, one table
#               after another, source then target (scripts/fingerprint.sql:
#               what a comparer without ranges does, as pgcopydb's compare)
#   counts, checksums, rows   migrate.verify at that level
# Every verify run must find no difference.

verify_count() {
	local par=$1
	xargs -P "$par" -I{} psql -qXAt -v ON_ERROR_STOP=1 -d "$S dbname=bench" \
		-c "SELECT count(*) FROM ONLY {}" <"$work/tables" >/dev/null
}
run_v_count_seq() { verify_count 1; }
run_v_count_par() { verify_count "$jobs"; }
run_v_fingerprint() {
	fingerprint "$S" >"$work/v_source.fp"
	fingerprint "$T" >"$work/v_target.fp"
	cmp -s "$work/v_source.fp" "$work/v_target.fp"
}
run_v_level() {
	local level=$1 bad
	bad=$(tpsql postgres "SELECT count(*) FILTER (WHERE status <> 'ok') || ' ' || count(*)
		FROM migrate.verify($verify_id, '$level')")
	echo "$level: $bad (not ok, all)"
	[ "${bad%% *}" = 0 ]
}
run_v_counts() { run_v_level counts; }
run_v_checksums() { run_v_level checksums; }
run_v_rows() { run_v_level rows; }

verify_scenario() {
	local vtools=(count_seq count_par fingerprint counts checksums rows) name="verify-pgbench-$scale"
	local r tool t0 t1 ok order i
	dataset_tools=(migrate)
	echo "== dataset $name: loading"
	load_dataset pgbench
	reset_target
	run_migrate >"$work/migrate.out" 2>&1 || { echo "the migration failed"; cat "$work/migrate.out"; return 1; }
	verify_id=$(tpsql postgres "SELECT max(id) FROM migrate.migration")
	tpsql bench "VACUUM ANALYZE"
	echo "== dataset $name: $(spsql bench "SELECT pg_database_size(current_database()) / 1048576") MB in $(wc -l <"$work/tables") tables, migrated; $runs runs each"
	for r in $(seq 1 "$runs"); do
		order=("${vtools[@]}")
		if [ $((r % 2)) -eq 0 ]; then
			order=()
			for ((i = ${#vtools[@]} - 1; i >= 0; i--)); do order+=("${vtools[$i]}"); done
		fi
		for tool in "${order[@]}"; do
			ok=yes
			t0=$(now)
			"run_v_$tool" >"$work/v_$tool.out" 2>&1 || ok=failed
			t1=$(now)
			printf '  run %d %-11s %8.2f s  %s\n' "$r" "$tool" "$(echo "$t1 - $t0" | bc)" "$ok"
			[ "$ok" = yes ] || head -5 "$work/v_$tool.out" | sed 's/^/    /'
			echo "$name,$tool,$r,$(echo "$t1 - $t0" | bc),,,,,$ok," >>"$csv"
		done
	done
	summary+=$'\n'"== $name, median of $runs runs (min-max); ratios to a sequential count(*) of every table"$'\n'
	summary+=$(awk -F, -v ds="$name" -v tools="${vtools[*]}" '
	$1 == ds && $9 == "yes" { n[$2]++; t[$2, n[$2]] = $4 }
	$1 == ds && $9 != "yes" { bad[$2]++ }
	function median(tool,   i, j, tmp, m, v) {
		m = n[tool]; for (i = 1; i <= m; i++) v[i] = t[tool, i] + 0
		for (i = 1; i <= m; i++) for (j = i + 1; j <= m; j++) if (v[j] < v[i]) { tmp = v[i]; v[i] = v[j]; v[j] = tmp }
		lo = v[1]; hi = v[m]
		return (m % 2) ? v[(m + 1) / 2] : (v[m / 2] + v[m / 2 + 1]) / 2
	}
	END {
		k = split(tools, order, " ")
		printf "%-11s %8s %10s %11s\n", "check", "s", "spread", "/count_seq"
		for (i = 1; i <= k; i++) {
			tool = order[i]
			if (!n[tool]) { printf "%-11s %s\n", tool, "failed in every run"; continue }
			med[tool] = median(tool)
			printf "%-11s %8.2f %10s %11s\n", tool, med[tool], sprintf("%.1f-%.1f", lo, hi),
				(med["count_seq"] > 0 ? sprintf("%.2f", med[tool] / med["count_seq"]) : "-")
			if (bad[tool]) printf "            (%d run(s) failed, left out)\n", bad[tool]
		}
		print "targets of migrate.verify (issue: fidelity):"
		if (med["checksums"] != "" && med["count_seq"] != "")
			printf "  %-6s checksums %.2f s <= 1.5 x a count(*) of every table (%.2f s)\n",
				(med["checksums"] <= 1.5 * med["count_seq"] ? "met" : "MISSED"), med["checksums"], med["count_seq"]
	}' "$csv")$'\n'
}
