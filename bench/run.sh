#!/usr/bin/env bash
# The benchmark: migrate against pg_dump/pg_restore, pgcopydb, native logical
# replication and the floor (the target loading local binary COPY files), on
# the same data, in one run, as ratios.  As root it installs what it needs
# and runs as the unprivileged user, like make test.
#   bench/run.sh [--scale 50] [--runs 3] [--jobs N]
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/deps.sh --bench
make -s
if [ "$(id -u)" -eq 0 ]; then
	make -s install >/dev/null
	ensure_user
	tree=$(copy_tree_for_user)
	mkdir -p bench/results
	status=0
	runuser -u "$MIGRATE_USER" -- bash "$tree/bench/bench.sh" "$@" || status=$?
	cp "$tree"/bench/results/* bench/results/ 2>/dev/null || true
	rm -rf "$tree"
	exit $status
else
	make -s install >/dev/null
	exec bash bench/bench.sh "$@"
fi
