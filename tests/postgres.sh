#!/usr/bin/env bash
# Starts a throwaway PostgreSQL for the tests, from Debian's package: a cluster made by initdb in a new temporary
# folder, listening only on a unix socket there, run by an unprivileged account (initdb refuses root). Prints the
# URL to reach it. `tests/postgres.sh stop URL` stops it and removes the folder.
#   ROADCALL_TEST_POSTGRES=$(bash tests/postgres.sh)
set -euo pipefail
if [ "${1:-}" = stop ]; then
    dir=$(printf '%s' "${2:?the URL printed at start}" | sed -n 's/.*host=\([^&]*\).*/\1/p')
    case "$dir" in /tmp/roadcall-pg.*/* | */..* | *..*) echo "not a test cluster: $dir" >&2; exit 2 ;; /tmp/roadcall-pg.*) ;;
        *) echo "not a test cluster: $dir" >&2; exit 2 ;; esac
    bin=$(cat "$dir/bin")
    if [ "$(id -u)" = 0 ]; then as=(runuser -u postgres --); else as=(); fi
    # A fast stop, or an immediate one if that fails: the folder goes only once nothing runs from it.
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 \
        || "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    if [ -f "$dir/data/postmaster.pid" ] && kill -0 "$(head -n 1 "$dir/data/postmaster.pid")" 2>/dev/null; then
        echo "the test cluster in $dir is still running; left in place" >&2
        exit 1
    fi
    rm -rf "$dir"
    exit 0
fi
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
if [ -z "$bin" ] || [ ! -x "$bin/initdb" ]; then
    echo "installing PostgreSQL (Debian's postgresql package)" >&2
    if [ "$(id -u)" = 0 ]; then sudo=(); else sudo=(sudo); fi
    "${sudo[@]}" apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq postgresql >&2
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
fi
dir=$(mktemp -d /tmp/roadcall-pg.XXXXXX)
printf '%s' "$bin" > "$dir/bin"
# A start that fails leaves nothing behind.
started=0
trap '[ "$started" = 1 ] || bash "$0" stop "host=$dir" >/dev/null 2>&1 || true' EXIT
if [ "$(id -u)" = 0 ]; then
    # root: the package's own unprivileged account runs it.
    chown postgres "$dir"
    as=(runuser -u postgres --)
else
    as=()
fi
"${as[@]}" "$bin/initdb" -D "$dir/data" -U roadcall -A trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
# Only the socket in this folder: nothing else on the machine can reach it. Enough connections for the tests
# running side by side, each app with its own pool.
"${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/data/server.log" -w -s \
    -o "-c listen_addresses='' -k $dir -c max_connections=400 -c shared_buffers=64MB" start >&2
started=1
printf 'postgres://roadcall@localhost/postgres?host=%s\n' "$dir"
