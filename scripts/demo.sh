#!/usr/bin/env bash
# `make demo`: install what is missing, build, start a throwaway source and
# target, load a sample database into the source, and show what migrate
# makes of it.  Everything runs as an unprivileged user and is stopped at
# the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh

bash scripts/deps.sh
make -s
if [ "$(id -u)" -eq 0 ]; then
	make -s install >/dev/null
	ensure_user
	tree=$(copy_tree_for_user)
	trap 'rm -rf "$tree"' EXIT
	runuser -u "$MIGRATE_USER" -- bash "$tree/scripts/demo-run.sh"
else
	make -s install >/dev/null
	bash scripts/demo-run.sh
fi
