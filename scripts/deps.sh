#!/usr/bin/env bash
# Installs what migrate needs to build and test, if it is missing.
# Idempotent: with everything present it does nothing.
set -euo pipefail

packages=(
	make gcc
	postgresql-15 postgresql-server-dev-15 postgresql-15-pgtap
	libcurl4-openssl-dev
	libipc-run-perl libtap-parser-sourcehandler-pgtap-perl
)
[ "${1:-}" = "--bench" ] && packages+=(pgcopydb postgresql-15-wal2json bc procps)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages: ${missing[*]}" >&2
	echo "install them as root: apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi

echo "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
