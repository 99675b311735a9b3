#!/usr/bin/env bash
# `make test`: install what is missing, build with -Werror, install the
# extension, then run every suite as an unprivileged user:
# pg_regress (sql/ + expected/), pgTAP (test/pgtap), TAP (test/t).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/deps.sh
make -s check-version
make -s WERROR=1
if [ "$(id -u)" -eq 0 ]; then
	make -s install >/dev/null
	ensure_user
	tree=$(copy_tree_for_user)
	if runuser -u "$MIGRATE_USER" -- bash "$tree/scripts/run-suites.sh" "$@"; then
		rm -rf "$tree"
	else
		echo "the run's files are kept in $tree"
		exit 1
	fi
else
	make -s install >/dev/null || {
		echo "cannot install the extension: run make test as root, or make install first" >&2
		exit 1
	}
	bash scripts/run-suites.sh "$@"
fi
