# shellcheck shell=bash
# A PostgreSQL 15 cluster in a folder of its own, on a free port of 127.0.0.1.
#
#   pgc_start [--throwaway] DIR   initdb when DIR holds no cluster, then start; exports PGC_PORT,
#                                 PGC_URL (superuser URL of the postgres db) and PGC_SOCKET_DIR
#   pgc_stop DIR [MODE]           stop (MODE fast by default); nothing to do when already stopped
#   pgc_restart DIR [MODE]        stop with MODE (fast or immediate), start again on the same port
#   pgc_url DIR [DBNAME]          prints the superuser URL of DBNAME (default postgres)
#
# DIR holds data/, postgres.log, port and the Unix socket. --throwaway makes a cluster that trades
# durability for speed (initdb --nosync, fsync off): for tests only.
# PostgreSQL refuses to run as root: as root, DIR belongs to the postgres OS user and every server
# command runs through runuser.

PGC_BIN=${PGC_BIN:-/usr/lib/postgresql/15/bin}

pgc_start() {
    local throwaway=0
    if [[ ${1:-} == --throwaway ]]; then throwaway=1; shift; fi
    local dir
    dir=$(_pgc_dir "${1:?usage: pgc_start [--throwaway] DIR}" create) || return 1
    [[ -x $PGC_BIN/initdb ]] || { echo "error: PostgreSQL 15 is not installed (no $PGC_BIN/initdb)" >&2; return 1; }
    _pgc_make_reachable "$dir" || return 1

    if [[ ! -f $dir/data/PG_VERSION ]]; then
        if [[ -d $dir/data ]] && ! rmdir "$dir/data" 2>/dev/null; then
            echo "error: $dir/data holds no PostgreSQL cluster but is not empty; not touching it" >&2
            return 1
        fi
        local nosync=()
        ((throwaway)) && nosync=(--nosync)
        _pgc_pg "$PGC_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 \
            "${nosync[@]}" >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; return 1; }
        if ((throwaway)); then
            printf '%s\n' '# throw-away test cluster' fsync=off synchronous_commit=off \
                full_page_writes=off max_connections=300 | _pgc_pg tee -a "$dir/data/postgresql.conf" >/dev/null
        fi
    fi

    if _pgc_running "$dir"; then
        _pgc_export "$dir"
        return 0
    fi
    _pgc_clear_stale "$dir"

    # The port of the last run when it is still free, so URLs stay the same; else a new one.
    # Another process may take a free port before the server binds it: then try another.
    local port logsize _
    port=$(cat "$dir/port" 2>/dev/null || true)
    for _ in 1 2 3 4 5; do
        if [[ -z $port ]] || _pgc_port_busy "$port"; then port=$(_pgc_free_port) || return 1; fi
        logsize=$(stat -c %s "$dir/postgres.log" 2>/dev/null || echo 0)
        if _pgc_launch "$dir" "$port"; then
            _pgc_export "$dir"
            return 0
        fi
        [[ $(tail -c +"$((logsize + 1))" "$dir/postgres.log" 2>/dev/null) == *'could not bind'* ]] || break
        port=
    done
    echo "error: PostgreSQL did not start in $dir; the end of $dir/postgres.log:" >&2
    tail -n 20 "$dir/postgres.log" >&2 || true
    return 1
}

pgc_stop() {
    local dir mode=${2:-fast}
    [[ -d ${1:?usage: pgc_stop DIR [fast|immediate|smart]} ]] || return 0
    dir=$(_pgc_dir "$1") || return 1
    if _pgc_running "$dir"; then
        _pgc_pg "$PGC_BIN/pg_ctl" -D "$dir/data" -m "$mode" -w -t 60 stop >/dev/null ||
            _pgc_pg "$PGC_BIN/pg_ctl" -D "$dir/data" -m immediate -w -t 30 stop >/dev/null || return 1
    fi
    _pgc_drop_socket_dir "$dir"
}

pgc_restart() {
    local dir mode=${2:-fast} port
    dir=$(_pgc_dir "${1:?usage: pgc_restart DIR [fast|immediate]}") || return 1
    port=$(cat "$dir/port") || return 1
    pgc_stop "$dir" "$mode" || return 1
    _pgc_clear_stale "$dir"
    # The same port: clients hold URLs with it.
    if ! _pgc_launch "$dir" "$port"; then
        echo "error: PostgreSQL did not restart on port $port; the end of $dir/postgres.log:" >&2
        tail -n 20 "$dir/postgres.log" >&2 || true
        return 1
    fi
    _pgc_export "$dir"
}

pgc_url() {
    local dir
    dir=$(_pgc_dir "${1:?usage: pgc_url DIR [DBNAME]}") || return 1
    printf 'postgresql://postgres@127.0.0.1:%s/%s\n' "$(cat "$dir/port")" "${2:-postgres}"
}

# --- helpers ---------------------------------------------------------------------------------

# Runs a command as the server's OS user, from / (root's cwd may be closed to postgres).
_pgc_pg() {
    if ((EUID == 0)); then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# The physical, absolute path of DIR (made when the second argument is "create").
_pgc_dir() {
    if [[ ${2:-} == create ]]; then mkdir -p "$1" || return 1; fi
    (cd "$1" 2>/dev/null && pwd -P) || { echo "error: no cluster folder $1" >&2; return 1; }
}

# As root: hands DIR to postgres and lets postgres pass through its parents (search permission
# only, no listing), e.g. when DIR is under /root (mode 700) or in a mktemp folder.
_pgc_make_reachable() {
    local dir=$1
    ((EUID == 0)) || return 0
    getent passwd postgres >/dev/null || { echo "error: no 'postgres' OS user to run the cluster as" >&2; return 1; }
    chown postgres: "$dir" && chmod 700 "$dir" || return 1
    if [[ -d $dir/data && $(stat -c %U "$dir/data") != postgres ]]; then chown -R postgres: "$dir/data"; fi
    local parent=$dir
    local parents=()
    while [[ $parent != / ]]; do
        parent=$(dirname "$parent")
        parents=("$parent" "${parents[@]}")
    done
    for parent in "${parents[@]}"; do
        runuser -u postgres -- test -x "$parent" && continue
        echo "note: letting the postgres user pass through $parent (search permission)" >&2
        if command -v setfacl >/dev/null; then setfacl -m u:postgres:x "$parent"; else chmod o+x "$parent"; fi
    done
}

# True when the postmaster named in DIR/data/postmaster.pid is alive and serves that folder (a
# PID of a crashed run may since belong to another process).
_pgc_running() {
    local dir=$1 pid
    pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null) || return 1
    [[ $pid =~ ^[0-9]+$ ]] && [[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$dir/data" ]]
}

# After a crash (the postmaster killed): waits for its orphaned backends to go, since they hold
# the shared memory a new postmaster checks, then removes the lock files, whose PID may still
# look alive (an unreaped zombie, or a new process that got the same PID).
_pgc_clear_stale() {
    local dir=$1 i proc busy
    if [[ -f $dir/data/postmaster.pid ]]; then
        for ((i = 0; i < 100; i++)); do
            busy=0
            for proc in /proc/[0-9]*; do
                [[ $(readlink "$proc/cwd" 2>/dev/null) == "$dir/data" ]] && { busy=1; break; }
            done
            ((busy)) || break
            sleep 0.1
        done
        rm -f "$dir/data/postmaster.pid"
    fi
    rm -f "$dir"/.s.PGSQL.*
    _pgc_drop_socket_dir "$dir"
}

# Starts the server on PORT and waits until it accepts connections.
_pgc_launch() {
    local dir=$1 port=$2 sock=$1
    _pgc_drop_socket_dir "$dir"
    # A Unix socket path is at most 107 bytes: a long DIR gets its socket in /tmp.
    if ((${#dir} > 80)); then
        sock=$(mktemp -d /tmp/pgc.XXXXXX) || return 1
        ((EUID == 0)) && chown postgres: "$sock"
        echo "$sock" >"$dir/socket_dir"
    fi
    echo "$port" >"$dir/port"
    _pgc_pg "$PGC_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 120 \
        -o "-p $port -k '$sock' -c listen_addresses=127.0.0.1" start >/dev/null
}

_pgc_drop_socket_dir() {
    local sock
    sock=$(cat "$1/socket_dir" 2>/dev/null) || return 0
    [[ $sock == /tmp/pgc.* ]] && rm -rf "$sock"
    rm -f "$1/socket_dir"
}

_pgc_export() {
    local dir=$1
    PGC_PORT=$(cat "$dir/port")
    PGC_URL="postgresql://postgres@127.0.0.1:$PGC_PORT/postgres"
    PGC_SOCKET_DIR=$(cat "$dir/socket_dir" 2>/dev/null || echo "$dir")
    export PGC_PORT PGC_URL PGC_SOCKET_DIR
}

# Something listens on 127.0.0.1:PORT (bash's /dev/tcp: no other tool needed).
_pgc_port_busy() {
    (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# A port below Linux's ephemeral range (32768+) that nothing listens on.
_pgc_free_port() {
    local i port
    for ((i = 0; i < 200; i++)); do
        port=$((20000 + RANDOM % 12000))
        _pgc_port_busy "$port" || { echo "$port"; return 0; }
    done
    echo "error: found no free port on 127.0.0.1" >&2
    return 1
}
