# Shared shell functions of migrate's scripts (sourced, not run).
# Servers run as an unprivileged user on loopback, on free ports, in a
# throwaway directory, and are stopped by the caller's trap.

PG_MAJOR=15
MIGRATE_USER=${MIGRATE_USER:-pgmigrate}

pg_bindir() {
	if [ -x "/usr/lib/postgresql/$PG_MAJOR/bin/pg_ctl" ]; then
		echo "/usr/lib/postgresql/$PG_MAJOR/bin"
	else
		pg_config --bindir
	fi
}

# A TCP port on 127.0.0.1 that nothing listens on, from a random start.
free_port() {
	local p=$((20000 + RANDOM % 20000)) i
	for i in $(seq 1 200); do
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
		p=$((p + 1))
	done
	echo "no free port found" >&2
	return 1
}

# start_cluster DIR PORT [extra postgresql.conf lines...]
# initdb (superuser = the current OS user) and start, listening on 127.0.0.1
# and a socket in DIR.  pg_hba trusts local sockets and asks TCP clients for
# a password, except the current OS user.
start_cluster() {
	local dir=$1 port=$2 bin
	shift 2
	bin=$(pg_bindir)
	"$bin/initdb" -D "$dir/data" -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 || {
		cat "$dir/initdb.log"
		return 1
	}
	{
		echo "listen_addresses = '127.0.0.1'"
		echo "port = $port"
		echo "unix_socket_directories = '$dir'"
		echo "fsync = off"
		echo "synchronous_commit = off"
		echo "full_page_writes = off"
		echo "max_connections = 50"
		for line in "$@"; do echo "$line"; done
	} >>"$dir/data/postgresql.conf"
	cat >"$dir/data/pg_hba.conf" <<HBA
local all $(id -un) trust
local all all scram-sha-256
host  all $(id -un) 127.0.0.1/32 trust
host  all all 127.0.0.1/32 scram-sha-256
HBA
	"$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null || {
		cat "$dir/server.log"
		return 1
	}
}

stop_cluster() {
	local dir=$1
	[ -f "$dir/data/postmaster.pid" ] &&
		"$(pg_bindir)/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1
	return 0
}

# Make sure the unprivileged user that runs the servers exists.
ensure_user() {
	id -u "$MIGRATE_USER" >/dev/null 2>&1 ||
		useradd --system --create-home --home-dir "/var/lib/$MIGRATE_USER" \
			--shell /bin/bash "$MIGRATE_USER"
}

# Copy the work tree (no .git) to a fresh directory owned by the
# unprivileged user and print its path.
copy_tree_for_user() {
	local tmp
	tmp=$(mktemp -d /tmp/migrate-run.XXXXXX)
	tar --exclude=.git -cf - . | tar -C "$tmp" -xf -
	chown -R "$MIGRATE_USER" "$tmp"
	echo "$tmp"
}
