#!/bin/sh
# shellcheck shell=sh
# pg.sh: throwaway PostgreSQL 15 clusters, the first Supabase judge.
#
# As a library (dash or bash):  PG_JUDGE_DIR=tests/supabase; . tests/supabase/pg.sh
#   pg_start DIR            initdb + start a cluster in DIR (an empty or new directory under
#                           /tmp); unix socket in DIR, no TCP. Exports PGHOST PGPORT PGUSER
#                           PGDATABASE, so psql and the functions below reach it.
#   pg_stop DIR             stop it (immediate, then SIGKILL by its pid) and remove DIR
#                           (PG_KEEP=1: a fast stop, DIR kept)
#   pg_stop_on_exit DIR     trap EXIT/INT/TERM/HUP so DIR's server is stopped whatever happens
#                           (replaces the caller's traps for those signals)
#   pg_createdb DB          create database DB
#   pg_bootstrap DB         create DB and apply bootstrap.sql to it
#   pg_apply DB FILE...     apply each file in order, one transaction per file; on the first
#                           failure prints "pg_apply: FAIL FILE" and psql's error, returns 1.
#                           A file whose only statement cannot run in a transaction block
#                           (create index concurrently, ...) runs without one, as the
#                           Supabase CLI runs such a statement (pg_standalone)
#   pg_standalone FILE      true when that is FILE's case
#   pg_apply_dir DB DIR     the *.sql files of DIR in byte order of name, as pg_apply; names
#                           must be <14 digits>_<name>.sql (Supabase CLI order)
#   pg_query DB SQL         run SQL (several statements allowed), print rows as psql -At
#                           (fields joined by |); psql's errors to stderr, non-zero on error
#   pg_query_file DB FILE   the same for a file
#   pg_has_vector DB        true when pgvector can be installed in this server
#   pg_migration_files DIR  print DIR's migrations in apply order (names checked)
#   pg_pid_alive PID        true while PID runs (zombies excluded)
#
# As a command:
#   sh pg.sh check [--keep] [--query FILE]... MIGRATION_DIR_OR_FILE...
#       a fresh cluster and database, bootstrap.sql, each migration (a directory means its
#       files in order), then the query files; prints the query rows; exit 1 on any failure.
#       The cluster is always stopped and removed (--keep: its directory is kept).
#   sh pg.sh start DIR / sh pg.sh stop DIR
#       the same as the functions; after start, set PGHOST=DIR PGUSER=postgres yourself. The
#       server belongs to the calling shell: the watchdog stops it when that shell is gone.
#
# Environment: PG_BIN (default /usr/lib/postgresql/15/bin), PG_OS_USER (the user that owns
# the cluster when run as root; default dpctest, created if missing), PG_JUDGE_DIR (where
# bootstrap.sql is), PG_KEEP=1 (pg_stop leaves the directory).

PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_OS_USER=${PG_OS_USER:-dpctest}
PG_PORT=${PG_PORT:-5432}

if [ -z "${PG_JUDGE_DIR:-}" ]; then
    case $0 in
        */pg.sh | pg.sh | */selftest.sh | selftest.sh) PG_JUDGE_DIR=$(dirname "$0") ;;
        *) PG_JUDGE_DIR=tests/supabase ;;
    esac
fi

_pg_err() {
    printf 'pg.sh: %s\n' "$*" >&2
}

# Run a command as the cluster's owner: ourselves, or PG_OS_USER when we are root
# (initdb and postgres refuse to run as root).
_pg_as() {
    if [ "$(id -u)" = 0 ]; then
        runuser -u "$PG_OS_USER" -- "$@"
    else
        "$@"
    fi
}

_pg_ensure_user() {
    [ "$(id -u)" = 0 ] || return 0
    id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
    # Two tests may race to create it; what counts is that it exists afterwards.
    useradd --system --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin "$PG_OS_USER" >/dev/null 2>&1 || :
    id -u "$PG_OS_USER" >/dev/null 2>&1 && return 0
    _pg_err "cannot create system user $PG_OS_USER"
    return 1
}

# A watchdog outlives whoever started the cluster (setsid: a kill of the caller's process
# group, even SIGKILL, does not reach it). Once a second it looks: DIR/.dpc-pg gone means
# pg_stop ran, and it exits; the owner (PG_OWNER_PID, else this shell) gone means nobody
# will stop the server, so it stops it by its pid file and removes DIR (unless PG_KEEP).
_pg_watchdog() {
    _pg_setsid=
    command -v setsid >/dev/null 2>&1 && _pg_setsid=setsid
    # shellcheck disable=SC2016
    $_pg_setsid sh -c '
        d=$1 owner=$2 keep=$3
        alive() {
            [ -r "/proc/$1/stat" ] || return 1
            st=$(sed "s/^.*) \(.\).*\$/\1/" "/proc/$1/stat" 2>/dev/null) || return 1
            [ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
        }
        while [ -f "$d/.dpc-pg" ] && alive "$owner"; do
            sleep 1
        done
        [ -f "$d/.dpc-pg" ] || exit 0
        pid=$(sed -n 1p "$d/data/postmaster.pid" 2>/dev/null)
        case $pid in
            "" | *[!0-9]*) ;;
            *)
                kill -QUIT "$pid" 2>/dev/null
                i=0
                while alive "$pid" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
                alive "$pid" && kill -KILL "$pid" 2>/dev/null
                ;;
        esac
        [ -n "$keep" ] || rm -rf "$d"
    ' dpc-pg-watchdog "$1" "${PG_OWNER_PID:-$$}" "${PG_KEEP:-}" \
        </dev/null >/dev/null 2>&1 &
}

pg_start() {
    if [ $# -ne 1 ] || [ -z "$1" ]; then
        _pg_err "usage: pg_start DIR"
        return 2
    fi
    _pg_d=$1
    if [ ! -x "$PG_BIN/initdb" ]; then
        _pg_err "no $PG_BIN/initdb: run tests/supabase/install.sh"
        return 1
    fi
    case $_pg_d in
        /*) ;;
        *) _pg_d=$(pwd)/$_pg_d ;;
    esac
    # A unix socket path is at most 107 bytes.
    if [ ${#_pg_d} -gt 90 ]; then
        _pg_err "directory path too long for a unix socket: $_pg_d"
        return 1
    fi
    mkdir -p "$_pg_d" || return 1
    if [ -e "$_pg_d/data" ]; then
        _pg_err "$_pg_d already holds a cluster"
        return 1
    fi
    : >"$_pg_d/.dpc-pg" || return 1
    _pg_ensure_user || return 1
    if [ "$(id -u)" = 0 ]; then
        chown "$PG_OS_USER" "$_pg_d" "$_pg_d/.dpc-pg" || return 1
        if ! _pg_as test -w "$_pg_d"; then
            _pg_err "$PG_OS_USER cannot write $_pg_d (is a parent directory private to root?)"
            return 1
        fi
    fi
    if ! _pg_as "$PG_BIN/initdb" -D "$_pg_d/data" -U postgres -A trust -E UTF8 \
        --locale=C.UTF-8 --no-sync --no-instructions >"$_pg_d/initdb.log" 2>&1; then
        _pg_err "initdb failed:"
        cat "$_pg_d/initdb.log" >&2
        pg_stop "$_pg_d"
        return 1
    fi
    # Fast and private: no TCP, socket in DIR, durability off (the cluster is thrown away).
    # wal_level=logical as on Supabase, so publications behave as there.
    if ! cat >>"$_pg_d/data/postgresql.conf" <<EOF
listen_addresses = ''
port = $PG_PORT
unix_socket_directories = '$_pg_d'
fsync = off
synchronous_commit = off
full_page_writes = off
wal_level = logical
max_wal_senders = 2
max_connections = 20
shared_buffers = 32MB
log_min_messages = warning
log_min_error_statement = panic
EOF
    then
        return 1
    fi
    if ! _pg_as "$PG_BIN/pg_ctl" -D "$_pg_d/data" -l "$_pg_d/server.log" -w -t 60 \
        -s start >/dev/null 2>&1; then
        _pg_err "server did not start; its log:"
        tail -n 30 "$_pg_d/server.log" >&2 2>/dev/null
        pg_stop "$_pg_d"
        return 1
    fi
    _pg_watchdog "$_pg_d"
    PGHOST=$_pg_d
    PGPORT=$PG_PORT
    PGUSER=postgres
    PGDATABASE=postgres
    PGOPTIONS='-c client_min_messages=warning'
    export PGHOST PGPORT PGUSER PGDATABASE PGOPTIONS
    unset PGHOSTADDR PGSERVICE PGPASSWORD PGSSLMODE
    return 0
}

# True while process PID runs (a zombie waiting for its parent to reap it does not count).
pg_pid_alive() {
    case ${1:-} in
        '' | *[!0-9]*) return 1 ;;
    esac
    [ -r "/proc/$1/stat" ] || return 1
    _pg_st=$(sed 's/^.*) \(.\).*$/\1/' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$_pg_st" ] && [ "$_pg_st" != Z ] && [ "$_pg_st" != X ]
}

pg_stop() {
    if [ $# -ne 1 ] || [ -z "$1" ]; then
        _pg_err "usage: pg_stop DIR"
        return 2
    fi
    _pg_s=$1
    case $_pg_s in
        /*) ;;
        *) _pg_s=$(pwd)/$_pg_s ;;
    esac
    if [ -f "$_pg_s/data/postmaster.pid" ]; then
        _pg_mode=immediate
        [ -n "${PG_KEEP:-}" ] && _pg_mode=fast
        _pg_as "$PG_BIN/pg_ctl" -D "$_pg_s/data" -m "$_pg_mode" -w -t 30 -s stop \
            >/dev/null 2>&1 || :
        if [ -f "$_pg_s/data/postmaster.pid" ]; then
            # pg_ctl could not stop it: end the postmaster we started, by its pid.
            _pg_pid=$(sed -n 1p "$_pg_s/data/postmaster.pid" 2>/dev/null)
            case $_pg_pid in
                '' | *[!0-9]*) ;;
                *)
                    kill -KILL "$_pg_pid" 2>/dev/null || :
                    _pg_i=0
                    while pg_pid_alive "$_pg_pid" && [ $_pg_i -lt 50 ]; do
                        sleep 0.1
                        _pg_i=$((_pg_i + 1))
                    done
                    ;;
            esac
        fi
    fi
    if [ -z "${PG_KEEP:-}" ]; then
        if [ -f "$_pg_s/.dpc-pg" ]; then
            rm -rf "$_pg_s"
        else
            rmdir "$_pg_s" 2>/dev/null || :  # pg_start failed before using it
        fi
    fi
    return 0
}

pg_stop_on_exit() {
    _pg_trap_dir=$1
    trap 'pg_stop "$_pg_trap_dir"' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    trap 'exit 129' HUP
}

pg_createdb() {
    psql -X -q -v ON_ERROR_STOP=1 -d postgres \
        -c "create database \"$1\"" >/dev/null
}

pg_bootstrap() {
    pg_createdb "$1" || return 1
    pg_apply "$1" "$PG_JUDGE_DIR/bootstrap.sql"
}

# True when FILE holds one statement, and it is one PostgreSQL refuses to run inside a
# transaction block: create [unique] index concurrently, drop index concurrently, reindex
# ... concurrently. The Supabase CLI runs such a statement on its own, outside the
# migration's transaction; a file with others beside it still fails, as it would there.
# -- comments are dropped first (a -- inside a string literal would cut it short, which
# only ever makes a file look like more than one statement).
pg_standalone() {
    _pg_sql=$(sed -e 's/--.*$//' "$1" | tr '\n\t' '  ' | tr -s ' ')
    _pg_sql=${_pg_sql# }
    _pg_sql=${_pg_sql% }
    _pg_sql=${_pg_sql%;}
    case $_pg_sql in
        *\;*) return 1 ;;
    esac
    printf '%s\n' "$_pg_sql" | grep -Eqi \
        '^(create (unique )?index concurrently|drop index concurrently|reindex .*concurrently)( |$)'
}

pg_apply() {
    if [ $# -lt 1 ]; then
        _pg_err "usage: pg_apply DB FILE..."
        return 2
    fi
    _pg_db=$1
    shift
    for _pg_f in "$@"; do
        if [ ! -r "$_pg_f" ]; then
            printf 'pg_apply: FAIL %s\n%s\n' "$_pg_f" "cannot read the file" >&2
            return 1
        fi
        _pg_tx=--single-transaction
        pg_standalone "$_pg_f" && _pg_tx=
        # shellcheck disable=SC2086
        if ! _pg_out=$(psql -X -q -v ON_ERROR_STOP=1 $_pg_tx \
            -d "$_pg_db" -f "$_pg_f" 2>&1 >/dev/null); then
            printf 'pg_apply: FAIL %s\n%s\n' "$_pg_f" "$_pg_out" >&2
            return 1
        fi
    done
    return 0
}

# Prints the migration files of a directory, one a line, in byte order of name.
pg_migration_files() {
    _pg_md=${1%/}
    if [ ! -d "$_pg_md" ]; then
        _pg_err "no directory $_pg_md"
        return 1
    fi
    _pg_bad=0
    for _pg_f in "$_pg_md"/*.sql; do
        [ -e "$_pg_f" ] || continue
        _pg_b=${_pg_f##*/}
        case $_pg_b in
            [0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]_?*.sql)
                case $_pg_b in
                    *[!A-Za-z0-9_.-]*)
                        _pg_err "bad migration name (characters): $_pg_f"
                        _pg_bad=1
                        ;;
                esac
                ;;
            *)
                _pg_err "bad migration name (want <14 digits>_<name>.sql): $_pg_f"
                _pg_bad=1
                ;;
        esac
    done
    [ $_pg_bad = 0 ] || return 1
    for _pg_f in "$_pg_md"/*.sql; do
        [ -e "$_pg_f" ] && printf '%s\n' "$_pg_f"
    done | LC_ALL=C sort
}

pg_apply_dir() {
    _pg_list=$(pg_migration_files "$2") || return 1
    [ -n "$_pg_list" ] || return 0
    # Names hold no blanks (checked above), so word splitting is safe here.
    _pg_ifs=$IFS
    IFS='
'
    # shellcheck disable=SC2086
    set -- "$1" $_pg_list
    IFS=$_pg_ifs
    pg_apply "$@"
}

pg_query() {
    printf '%s\n' "$2" | psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f -
}

pg_query_file() {
    psql -X -q -At -v ON_ERROR_STOP=1 -d "$1" -f "$2"
}

pg_has_vector() {
    [ "$(pg_query "$1" "select count(*) from pg_available_extensions where name = 'vector'" \
        2>/dev/null)" = 1 ]
}

_pg_check() {
    _pg_keep=
    _pg_queries=
    while [ $# -gt 0 ]; do
        case $1 in
            --keep) _pg_keep=1 ;;
            --query)
                [ $# -ge 2 ] || { _pg_err "--query needs a file"; return 2; }
                _pg_queries="$_pg_queries
$2"
                shift
                ;;
            --) shift; break ;;
            -*) _pg_err "unknown option $1"; return 2 ;;
            *) break ;;
        esac
        shift
    done
    _pg_cd=$(mktemp -d /tmp/dpc-pg.XXXXXX) || return 1
    if [ -n "$_pg_keep" ]; then
        PG_KEEP=1
        printf 'pg.sh: the cluster stays in %s after exit (stopped; remove it when done)\n' "$_pg_cd" >&2
    fi
    pg_stop_on_exit "$_pg_cd"
    pg_start "$_pg_cd" || return 1
    pg_bootstrap judge || return 1
    for _pg_m in "$@"; do
        if [ -d "$_pg_m" ]; then
            pg_apply_dir judge "$_pg_m" || return 1
        else
            pg_apply judge "$_pg_m" || return 1
        fi
    done
    _pg_ifs=$IFS
    IFS='
'
    for _pg_q in $_pg_queries; do
        IFS=$_pg_ifs
        [ -n "$_pg_q" ] || continue
        if ! pg_query_file judge "$_pg_q"; then
            _pg_err "FAIL query file $_pg_q"
            return 1
        fi
    done
    IFS=$_pg_ifs
    return 0
}

case ${0##*/} in
    pg.sh)
        set -u
        _pg_cmd=${1:-}
        [ $# -gt 0 ] && shift
        case $_pg_cmd in
            check) _pg_check "$@" ;;
            start)
                # The cluster outlives this command: it belongs to the shell that ran it.
                PG_OWNER_PID=${PG_OWNER_PID:-$PPID}
                pg_start "$@"
                ;;
            stop) pg_stop "$@" ;;
            *)
                echo "usage: sh pg.sh check [--keep] [--query FILE]... MIGRATION_DIR_OR_FILE..." >&2
                echo "       sh pg.sh start DIR | stop DIR   (or source it: . pg.sh)" >&2
                exit 2
                ;;
        esac
        exit $?
        ;;
esac
