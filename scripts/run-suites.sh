#!/usr/bin/env bash
# Runs the three suites against servers it starts and stops itself.  Run as
# an unprivileged user from a tree that user may write (scripts/test.sh sees
# to both).  Arguments narrow the run: regress, pgtap, tap.
set -uo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bin=$(pg_bindir)
export PATH="$bin:$PATH"
suites=${*:-regress pgtap tap}
work=$(mktemp -d /tmp/migrate-suite.XXXXXX)
trap 'stop_cluster "$work/stock"; stop_cluster "$work"; rm -rf "$work"' EXIT

passed=0
failed=0
failed_suites=()

# count_prove LOG: add the tests of a prove / pg_prove summary to the totals.
count_prove() {
	local log=$1 total fails
	total=$(grep -oE 'Tests=[0-9]+' "$log" | tail -1 | cut -d= -f2)
	fails=$(grep -oE 'Failed [0-9]+/[0-9]+ subtests' "$log" | awk '{split($2,a,"/"); s+=a[1]} END {print s+0}')
	# a script that died counts as one failure even if it ran no subtest
	if grep -q 'Result: FAIL' "$log" && [ "${fails:-0}" -eq 0 ]; then fails=1; fi
	total=${total:-0}
	passed=$((passed + total - fails))
	failed=$((failed + fails))
}

if [[ " $suites " == *" regress "* || " $suites " == *" pgtap "* ]]; then
	port=$(free_port)
	# the extension is created only in the database migrate.database names:
	# pg_regress's own, which pgTAP uses too
	start_cluster "$work" "$port" "shared_preload_libraries = 'migrate'" \
		"migrate.database = 'contrib_regression'" || exit 1
	export PGHOST=$work PGPORT=$port
fi

# run_regress LABEL: pg_regress against the server PGHOST/PGPORT name
run_regress() {
	local label=$1
	echo "== pg_regress (sql/, expected/), $label"
	if make -s installcheck >"$work/regress.log" 2>&1; then :; else
		failed_suites+=("regress ($label)")
		cat regression.diffs 2>/dev/null | head -200
	fi
	cat "$work/regress.log"
	passed=$((passed + $(grep -cE '^(ok|test) .* ok( |$)|\.\.\. ok' "$work/regress.log")))
	failed=$((failed + $(grep -cE 'FAILED|failed \(ignored\)' "$work/regress.log")))
}

if [[ " $suites " == *" regress "* ]]; then
	run_regress "library preloaded"
	# and on a stock server, where the library loads when first called
	mkdir -p "$work/stock"
	stock_port=$(free_port)
	if start_cluster "$work/stock" "$stock_port" "migrate.database = 'contrib_regression'"; then
		PGHOST=$work/stock PGPORT=$stock_port run_regress "stock server"
		stop_cluster "$work/stock"
	else
		failed_suites+=("regress (stock server)")
	fi
fi

if [[ " $suites " == *" pgtap "* ]]; then
	echo "== pgTAP (test/pgtap)"
	psql -qX -d postgres -v ON_ERROR_STOP=1 \
		-c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS contrib_regression WITH (FORCE)' \
		-c 'CREATE DATABASE contrib_regression' >/dev/null &&
		psql -qX -d contrib_regression -v ON_ERROR_STOP=1 \
			-c 'CREATE EXTENSION pgtap' -c 'CREATE EXTENSION migrate' >/dev/null
	pg_prove -d contrib_regression test/pgtap/*.sql 2>&1 | tee "$work/pgtap.log"
	[ "${PIPESTATUS[0]}" -eq 0 ] || failed_suites+=(pgtap)
	count_prove "$work/pgtap.log"
fi

if [[ " $suites " == *" tap "* ]]; then
	echo "== TAP (test/t)"
	rm -rf tmp_check
	mkdir -p tmp_check
	(
		unset PGHOST PGPORT
		TESTDIR=$PWD \
			PG_REGRESS="$(dirname "$(pg_config --pgxs)")/../test/regress/pg_regress" \
			PERL5LIB="$PWD/test/perl:$(dirname "$(pg_config --pgxs)")/../test/perl${PERL5LIB:+:$PERL5LIB}" \
			prove -v ${TAP_FILES:-test/t/*.pl}
	) 2>&1 | tee "$work/tap.log"
	if [ "${PIPESTATUS[0]}" -ne 0 ]; then
		failed_suites+=(tap)
		# the servers' logs of the scripts that failed, then (last, where
		# a truncated view of the output still shows it) what failed
		summary=$(sed -n '/^Test Summary Report/,$p' "$work/tap.log")
		for t in $(printf '%s\n' "$summary" | grep -oE '^test/t/[^ ]+\.pl' | sed 's|.*/||; s|\.pl$||'); do
			for f in tmp_check/log/${t}_*.log; do
				[ -f "$f" ] || continue
				echo "---- $f (last 40 lines)"
				tail -40 "$f"
			done
			if [ -f "tmp_check/log/regress_log_$t" ]; then
				echo "---- tmp_check/log/regress_log_$t (last 80 lines)"
				tail -80 "tmp_check/log/regress_log_$t"
			fi
		done
		echo "---- what failed"
		printf '%s\n' "$summary"
		grep -E '^(not ok|#   Failed test|# Looks like)' "$work/tap.log" | head -40
	fi
	count_prove "$work/tap.log"
fi

echo
if [ ${#failed_suites[@]} -gt 0 ]; then
	echo "failed suites: ${failed_suites[*]}"
fi
echo "tests: $passed passed, $failed failed"
[ ${#failed_suites[@]} -eq 0 ]
