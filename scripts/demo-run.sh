#!/usr/bin/env bash
# The demo proper, run as an unprivileged user (scripts/demo.sh sees to it).
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
start_cluster "$work/target" "$tport" "shared_preload_libraries = 'migrate'"
echo "source: PostgreSQL on 127.0.0.1:$sport    target: PostgreSQL on 127.0.0.1:$tport"

echo "== loading the sample database \"shop\" into the source"
psql -qX -h "$work/source" -p "$sport" -d postgres -v ON_ERROR_STOP=1 -f test/data/sample.sql >/dev/null

echo "== on the target: CREATE EXTENSION migrate; then validate the source"
psql -qX -h "$work/target" -p "$tport" -d postgres -v ON_ERROR_STOP=1 -c 'CREATE EXTENSION migrate'
psql -qX -h "$work/target" -p "$tport" -d postgres -v ON_ERROR_STOP=1 -P pager=off <<SQL
\\pset format aligned
\\pset border 1
SELECT check_name, status, detail
FROM migrate.validate('postgresql://shop_owner:demo-password@127.0.0.1:$sport/postgres');
SQL
echo "The source's password never shows: the rows mask it, and so does the server log."
