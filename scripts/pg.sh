#!/bin/sh
# A throwaway PostgreSQL for tests and benchmarks. Installs nothing (the
# packages come from scripts/deps.sh): it creates a cluster with initdb in a
# directory of its own, runs it as an unprivileged user on a free loopback
# port with its unix socket in that directory, and stops it by PID.
#
#   scripts/pg.sh start DIR   create DIR (must not exist), init, start;
#                             writes DIR/env (shell assignments, see below)
#                             and prints it
#   scripts/pg.sh halt DIR    fast shutdown, keep the cluster
#   scripts/pg.sh up DIR      start a halted cluster again, same port
#   scripts/pg.sh stop DIR    fast shutdown and remove DIR
#
# DIR/env: PG_HOST PG_PORT PG_USER PG_PASSWORD PG_SOCKDIR PG_URL (a
# postgres:// URL of database "postgres", password included) PG_PID.
# Exit 2 when PostgreSQL is not installed (callers may skip), 1 on failure.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_FSYNC (on/off,
# default on), PG_RUN_AS (the user to run as when root; default sipward-test,
# created as a system user if missing, falling back to nobody).
set -eu

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
[ -n "$cmd" ] && [ -n "$dir" ] || {
    echo "usage: pg.sh start|halt|up|stop DIR" >&2
    exit 1
}

die() {
    echo "pg.sh: $*" >&2
    exit 1
}

# The user postgres runs as: it refuses to run as root.
run_as_user() {
    if [ "$(id -u)" -ne 0 ]; then
        id -un
        return
    fi
    u=${PG_RUN_AS:-sipward-test}
    if ! id "$u" >/dev/null 2>&1; then
        useradd --system --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin "$u" >/dev/null 2>&1 || true
    fi
    if id "$u" >/dev/null 2>&1; then
        echo "$u"
    else
        echo nobody
    fi
}

as_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u "$PG_USER_OS" -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 - <<'PY'
import socket, random
for _ in range(200):
    p = random.randint(20000, 60000)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        continue
    finally:
        t.close()
    print(p); break
PY
}

# Starts the cluster in $dir/data and waits until it accepts connections.
launch() {
    . "$dir/env"
    PG_USER_OS=$(stat -c %U "$dir/data")
    as_user "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 30 \
        -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1" \
        start >/dev/null || {
        tail -n 20 "$dir/postgres.log" >&2 2>/dev/null
        die "postgres did not start"
    }
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    sed -i '/^PG_PID=/d' "$dir/env"
    echo "PG_PID=$pid" >>"$dir/env"
}

# Fast shutdown by PID: SIGINT, wait up to 15 s, then SIGKILL.
shutdown_pg() {
    [ -f "$dir/data/postmaster.pid" ] || return 0
    pid=$(head -n 1 "$dir/data/postmaster.pid")
    kill -INT "$pid" 2>/dev/null || return 0
    i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt 150 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null || true
    fi
}

case "$cmd" in
start)
    [ -x "$PG_BIN/initdb" ] || {
        echo "pg.sh: PostgreSQL is not installed ($PG_BIN/initdb missing);" \
            "scripts/deps.sh installs it" >&2
        exit 2
    }
    [ -e "$dir" ] && die "$dir already exists"
    mkdir -p "$dir"
    PG_USER_OS=$(run_as_user)
    if [ "$PG_USER_OS" != "$(id -un)" ] \
        && ! runuser -u "$PG_USER_OS" -- test -x "$(dirname "$dir")"; then
        die "$PG_USER_OS cannot enter $(dirname "$dir"): use a DIR under /tmp"
    fi
    chown "$PG_USER_OS" "$dir" 2>/dev/null || true
    chmod 700 "$dir"
    pw=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
    printf '%s\n' "$pw" >"$dir/pwfile"
    chown "$PG_USER_OS" "$dir/pwfile" 2>/dev/null || true
    # Loopback TCP needs the password (so tests exercise a real secret);
    # the unix socket in $dir is trusted.
    as_user "$PG_BIN/initdb" -D "$dir/data" -U sipward --pwfile="$dir/pwfile" \
        --auth-local=trust --auth-host=scram-sha-256 -E UTF8 \
        --locale=C.UTF-8 -N >"$dir/initdb.log" 2>&1 || {
        tail -n 20 "$dir/initdb.log" >&2
        die "initdb failed"
    }
    rm -f "$dir/pwfile"
    cat >>"$dir/data/postgresql.conf" <<EOF
fsync = ${PG_FSYNC:-on}
shared_buffers = 32MB
max_connections = 60
log_min_messages = warning
log_connections = off
EOF
    port=$(free_port)
    cat >"$dir/env" <<EOF
PG_HOST=127.0.0.1
PG_PORT=$port
PG_USER=sipward
PG_PASSWORD=$pw
PG_SOCKDIR=$dir
PG_URL=postgres://sipward:$pw@127.0.0.1:$port/postgres
EOF
    launch
    cat "$dir/env"
    ;;
up)
    [ -f "$dir/env" ] || die "no cluster in $dir"
    launch
    ;;
halt)
    shutdown_pg
    ;;
stop)
    shutdown_pg
    case "$dir" in
    /tmp/*) rm -rf "$dir" ;;
    *) echo "pg.sh: left $dir in place (not under /tmp)" >&2 ;;
    esac
    ;;
*)
    die "unknown command $cmd"
    ;;
esac
