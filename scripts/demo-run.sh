#!/usr/bin/env bash
# The demo proper, run as an unprivileged user (scripts/demo.sh sees to it):
# a throwaway source with a sample database, a target with migrate, a
# validate report, then a real migration with live progress, verified by
# migrate.verify (every table's rows hashed on both sides, the schema
# compared object by object).
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
id=$(tpsql -At -d postgres -c "SELECT migrate.start('$src', '{\"databases\": [\"shop\"], \"verify\": \"checksums\"}')")
tpsql -d postgres -c "SELECT migrate.wait($id, 'done')" 2>&1 | sed 's/^psql:[^ ]* //'

echo "== the result"
tpsql -d postgres -c "SELECT id, state, databases_done, tables_done, rows_copied, pg_size_pretty(bytes_copied) AS copied, finished_at - started_at AS took, warnings FROM migrate.status"
tpsql -d postgres -c "SELECT object, message FROM migrate.warnings WHERE migration_id = $id"
tpsql -d postgres -c "SELECT rolname, status, message FROM migrate.roles WHERE migration_id = $id ORDER BY 1"

echo "== verified as the data came in (the option verify): what was compared, and what differs"
tpsql -d postgres -c "SELECT coalesce(relation, '(' || check_name || ')') AS checked, check_name, status, source_value, target_value
	FROM migrate.verify_result WHERE migration_id = $id AND (relation IS NULL OR check_name = 'checksum' OR status <> 'ok')
	ORDER BY status = 'ok', check_name = 'checksum', 1"
differences=$(tpsql -At -d postgres -c "SELECT differences FROM migrate.verify_run WHERE migration_id = $id AND run = 1")
if [ "$differences" != "0" ]; then
	echo "DIFFERENT: verify found ${differences:-no result} (migrate.verify_result says what)"
	exit 1
fi

echo "== and once more, row by row where anything differs: SELECT * FROM migrate.verify($id, 'rows')"
tpsql -d postgres -c "SELECT status, count(*) AS checks FROM migrate.verify($id, 'rows') GROUP BY status"
echo "identical: every table's rows, every object of the schema, the sequences, the large objects"
