#!/usr/bin/env bash
# The demo proper, run as an unprivileged user (scripts/demo.sh sees to it):
# a throwaway source with a sample database, a target with migrate, a
# validate report, then a real migration with live progress, checked.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
export PATH="$(pg_bindir):$PATH"

work=$(mktemp -d /tmp/migrate-demo.XXXXXX)
mkdir -p "$work/source" "$work/target"
trap 'stop_cluster "$work/source"; stop_cluster "$work/target"; rm -rf "$work"' EXIT

sport=$(free_port)
start_cluster "$work/source" "$sport" "wal_level = logical"
tport=$(free_port)
start_cluster "$work/target" "$tport" "shared_preload_libraries = 'migrate'" "max_worker_processes = 16"
echo "source: PostgreSQL on 127.0.0.1:$sport    target: PostgreSQL on 127.0.0.1:$tport"

echo "== loading the sample database \"shop\" into the source"
psql -qX -h "$work/source" -p "$sport" -d postgres -v ON_ERROR_STOP=1 -f test/data/sample.sql >/dev/null
PGPASSWORD=demo-password pgbench -i -s 20 -q -U shop_owner -h "$work/source" -p "$sport" shop >/dev/null 2>&1

tpsql() { psql -qX -h "$work/target" -p "$tport" -v ON_ERROR_STOP=1 -P pager=off "$@"; }
src="postgresql://shop_owner:demo-password@127.0.0.1:$sport/postgres"

echo "== on the target: CREATE EXTENSION migrate; what would a migration meet?"
tpsql -d postgres -c 'CREATE EXTENSION migrate'
tpsql -d postgres -c "SELECT check_name, status, detail FROM migrate.validate('$src', '{\"databases\": [\"shop\"]}')"

echo "== migrate.start, then migrate.wait prints progress while background workers copy"
id=$(tpsql -At -d postgres -c "SELECT migrate.start('$src', '{\"databases\": [\"shop\"]}')")
tpsql -d postgres -c "SELECT migrate.wait($id, 'done')" 2>&1 | sed 's/^psql:[^ ]* //'

echo "== the result"
tpsql -d postgres -c "SELECT id, state, databases_done, tables_done, rows_copied, pg_size_pretty(bytes_copied) AS copied, finished_at - started_at AS took FROM migrate.status"
tpsql -d postgres -c "SELECT rolname, status, message FROM migrate.roles WHERE migration_id = $id ORDER BY 1"

echo "== checking: row counts and checksums of every table, source against target"
fp() {
	psql -qXAt -F ' ' -h "$work/$1" -p "$2" -d shop -f scripts/fingerprint.sql
}
fp source "$sport" >"$work/source.fp"
fp target "$tport" >"$work/target.fp"
if diff "$work/source.fp" "$work/target.fp" >/dev/null; then
	echo "identical: $(wc -l <"$work/source.fp") tables, same rows and checksums"
	cat "$work/target.fp" | awk '{printf "  %-28s %8s rows\n", $1, $2}'
else
	echo "DIFFERENT:"
	diff "$work/source.fp" "$work/target.fp"
	exit 1
fi
