#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: start | stop | status.
#
#   start   initdb (once) into ~/.cache/mfa-recovery/instances/<instance>/postgres, start it on 127.0.0.1 and
#           print the SQLAlchemy URL of its test database on stdout (nothing else goes to stdout)
#   stop    fast shutdown (open connections are closed); the data stays for the next start
#   status  say whether it runs (and print the URL when it does)
#
# Debian's binaries (/usr/lib/postgresql/<version>/bin, package `postgresql`) are used directly; no system service
# is involved. The cluster listens on 127.0.0.1 only, port $MFA_RECOVERY_POSTGRES_PORT (default 15432), and on a
# unix socket in its own directory. Only one role can sign in: `mfa_recovery_test` (CREATEDB, not a superuser),
# with trust authentication on the loopback address and on that socket. The bootstrap superuser has no way in
# over the network at all.
#
# PostgreSQL refuses to run as root. Run by root (CI), the server runs in a user namespace in which it is the
# `postgres` user: the files stay the invoking user's, under the invoking user's home, which need not be readable
# by any other account. Where user namespaces are unavailable, root falls back to running it as the `postgres`
# system user (then the cluster directory must be reachable by that user).
set -euo pipefail
source "$(dirname "$0")/common.sh"

PG_PORT="$MFA_RECOVERY_POSTGRES_PORT"  # common.sh: 15432 unless set
PG_ROLE=mfa_recovery_test
PG_DATABASE=mfa_recovery_test
PG_DIR="$MFA_INSTANCE_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_SOCKET_DIR="$PG_DIR/run"
PG_LOG="$PG_DIR/postgres.log"
PID_FILE="$PG_DIR/postgres.pid"

pg_bin_dir() {  # Debian's newest installed server, or $MFA_RECOVERY_POSTGRES_BIN
    if [ -n "${MFA_RECOVERY_POSTGRES_BIN:-}" ]; then echo "$MFA_RECOVERY_POSTGRES_BIN"; return; fi
    local dir
    for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -Vr); do
        if [ -x "$dir/postgres" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return; fi
    done
    log "no PostgreSQL server binaries under /usr/lib/postgresql (install Debian's package: apt-get install postgresql)"
    exit 1
}

url() { echo "postgresql+psycopg://$PG_ROLE@127.0.0.1:$PG_PORT/$PG_DATABASE"; }

# How the server programs are run: directly, in a user namespace (root), or as the postgres user (root fallback).
as_server_user() {
    if [ "$(id -u)" -ne 0 ]; then
        "$@"
    elif [ "$RUN_MODE" = userns ]; then
        unshare --user --map-user="$NS_UID" --map-group="$NS_GID" -- "$@"
    else
        runuser -u postgres -- "$@"
    fi
}

choose_run_mode() {
    RUN_MODE=direct
    [ "$(id -u)" -eq 0 ] || return 0
    NS_UID="$(id -u postgres 2>/dev/null || echo 1000)"
    NS_GID="$(id -g postgres 2>/dev/null || echo 1000)"
    if unshare --user --map-user="$NS_UID" --map-group="$NS_GID" -- true 2>/dev/null; then
        RUN_MODE=userns
        return 0
    fi
    if ! id postgres >/dev/null 2>&1; then
        log "running as root without user namespaces and without a postgres system user: cannot run PostgreSQL"
        exit 1
    fi
    RUN_MODE=postgres-user
    mkdir -p "$PG_DIR"
    chown -R postgres:postgres "$PG_DIR"
    if ! runuser -u postgres -- test -w "$PG_DIR"; then
        log "the postgres user cannot reach $PG_DIR (a parent directory is closed to it);"
        log "set MFA_RECOVERY_CACHE to a directory it can reach, or enable user namespaces"
        exit 1
    fi
}

# The cluster is made in a folder beside the data folder and moved into place only once complete: a run stopped
# half-way (initdb done, its configuration not yet written) leaves nothing that passes for a cluster.
initialise() {
    [ -f "$PG_DATA/PG_VERSION" ] && return 0
    log "creating a PostgreSQL cluster in $PG_DATA"
    local building="$PG_DIR/data.building"
    rm -rf "$PG_DATA" "$building"
    mkdir -p "$PG_DIR"
    chmod 700 "$PG_DIR"
    [ "$RUN_MODE" = postgres-user ] && chown postgres:postgres "$PG_DIR"
    # No one signs in until the hba file below says so; the role and database are made in single-user mode.
    as_server_user "$BIN/initdb" -D "$building" -U postgres --auth=reject --encoding=UTF8 --locale=C.UTF-8 \
        --no-instructions >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; rm -rf "$building"; exit 1; }
    cat >"$building/pg_hba.conf" <<EOF
# Throwaway test cluster: only the test role, only from this machine's loopback or the cluster's own socket.
# TYPE  DATABASE  USER          ADDRESS        METHOD
local   all       $PG_ROLE                     trust
host    all       $PG_ROLE      127.0.0.1/32   trust
EOF
    cat >>"$building/postgresql.conf" <<EOF

# --- scripts/postgres.sh: a throwaway cluster for tests ---
listen_addresses = '127.0.0.1'
unix_socket_directories = '$PG_SOCKET_DIR'
unix_socket_permissions = 0700
max_connections = 100
# Test data need not survive a crash of the machine.
fsync = off
synchronous_commit = off
full_page_writes = off
log_min_messages = warning
EOF
    printf '%s\n' \
        "CREATE ROLE $PG_ROLE LOGIN CREATEDB;" \
        "CREATE DATABASE $PG_DATABASE OWNER $PG_ROLE;" |
        as_server_user "$BIN/postgres" --single -D "$building" postgres >"$PG_DIR/bootstrap.log" 2>&1 ||
        { cat "$PG_DIR/bootstrap.log" >&2; rm -rf "$building"; exit 1; }
    mv "$building" "$PG_DATA"
    [ "$RUN_MODE" = postgres-user ] && chown -R postgres:postgres "$PG_DIR"
    return 0
}

ready() { "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -U "$PG_ROLE" -d "$PG_DATABASE" -t 2; }

start() {
    if pid_alive "$PID_FILE"; then
        log "PostgreSQL ($MFA_INSTANCE) already runs, pid $(cat "$PID_FILE")"
        url
        return
    fi
    rm -f "$PID_FILE"
    BIN="$(pg_bin_dir)"
    choose_run_mode
    initialise
    mkdir -p "$PG_SOCKET_DIR"
    chmod 700 "$PG_SOCKET_DIR"
    [ "$RUN_MODE" = postgres-user ] && chown postgres:postgres "$PG_SOCKET_DIR"
    if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT" -t 1; then
        log "port $PG_PORT on 127.0.0.1 is taken by another server; set MFA_RECOVERY_POSTGRES_PORT"
        exit 1
    fi
    log "starting PostgreSQL $("$BIN/postgres" --version | awk '{print $3}') ($MFA_INSTANCE) on 127.0.0.1:$PG_PORT"
    # $! is the postmaster itself (unshare execs it) or runuser, its parent; once the server is up, the pid file
    # gets the postmaster's own pid from postmaster.pid.
    as_server_user "$BIN/postgres" -D "$PG_DATA" -p "$PG_PORT" >>"$PG_LOG" 2>&1 </dev/null &
    echo $! >"$PID_FILE"
    local waited=0
    until ready; do
        if ! pid_alive "$PID_FILE" || [ "$waited" -ge 120 ]; then
            log "PostgreSQL did not become ready; last lines of $PG_LOG:"
            tail -n 20 "$PG_LOG" >&2
            stop
            exit 1
        fi
        sleep 0.25; waited=$((waited + 1))
    done
    head -n 1 "$PG_DATA/postmaster.pid" >"$PID_FILE"
    log "PostgreSQL ready ($RUN_MODE); log: $PG_LOG"
    url
}

stop() {
    if ! pid_alive "$PID_FILE"; then
        rm -f "$PID_FILE"
        log "PostgreSQL ($MFA_INSTANCE) is not running"
        return 0
    fi
    local pid; pid="$(cat "$PID_FILE")"
    kill -INT "$pid" 2>/dev/null || true  # fast shutdown: roll back open transactions, close connections
    for _ in $(seq 1 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    if kill -0 "$pid" 2>/dev/null; then
        log "PostgreSQL did not stop in 30 s; immediate shutdown"
        kill -QUIT "$pid" 2>/dev/null || true
        for _ in $(seq 1 40); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
    rm -f "$PID_FILE"
    log "PostgreSQL ($MFA_INSTANCE) stopped"
}

status() {
    if pid_alive "$PID_FILE"; then
        echo "PostgreSQL ($MFA_INSTANCE) runs, pid $(cat "$PID_FILE"), data in $PG_DATA"
        url
    else
        echo "PostgreSQL ($MFA_INSTANCE) is not running"
        return 3
    fi
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 64 ;;
esac
