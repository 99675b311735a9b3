#!/usr/bin/env bash
# `make test`: install what is missing, build with -Werror, install the
# extension, then run every suite as an unprivileged user:
# pg_regress (sql/ + expected/), pgTAP (test/pgtap), TAP (test/t).
# With no arguments (all suites), pg_regress runs first against a build
# with assertions (as pgvector's CI does), then everything against the
# normal build.  Arguments narrow the run: regress, pgtap, tap.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/deps.sh
make -s check-version

# install the build of the tree and run the suites ARGS on it
install_and_run() {
	if [ "$(id -u)" -eq 0 ]; then
		make -s install >/dev/null
		ensure_user
		local tree
		tree=$(copy_tree_for_user)
		if runuser -u "$MIGRATE_USER" -- bash "$tree/scripts/run-suites.sh" "$@"; then
			rm -rf "$tree"
		else
			echo "the run's files are kept in $tree"
			return 1
		fi
	else
		make -s install >/dev/null || {
			echo "cannot install the extension: run make test as root, or make install first" >&2
			return 1
		}
		bash scripts/run-suites.sh "$@"
	fi
}

if [ $# -eq 0 ]; then
	echo "== a build with assertions (USE_ASSERT_CHECKING)"
	make -s clean
	make -s WERROR=1 COPT=-DUSE_ASSERT_CHECKING
	install_and_run regress
	make -s clean
fi
make -s WERROR=1
install_and_run "$@"
