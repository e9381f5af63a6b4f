#!/bin/sh
# shellcheck source-path=SCRIPTDIR
# selftest.sh: proves that both Supabase judges accept good migrations, check what they
# should, and fail, naming the file, on a bad one. Prints "ok ..." / "FAIL ..." / "skip ..."
# lines and "N passed, M failed"; exits 1 on any failure.
#
#   sh tests/supabase/selftest.sh            (after tests/supabase/install.sh)
#
# Environment: SUPABASE_SELFTEST_ONLY=pg|pglite runs one judge; PG_BIN as in pg.sh.

set -u

here=$(cd "$(dirname "$0")" && pwd)
PG_JUDGE_DIR=$here
# shellcheck source=pg.sh
. "$here/pg.sh"

sample=$here/sample
mig=$sample/migrations
init=$mig/20260101000000_init.sql
vec=$mig/20260101000100_note_embeddings.sql
broken=$sample/broken/20260101000200_broken.sql
only=${SUPABASE_SELFTEST_ONLY:-}

passed=0
failed=0
ok() {
    passed=$((passed + 1))
    printf 'ok %s\n' "$*"
}
bad() {
    failed=$((failed + 1))
    printf 'FAIL %s\n' "$*"
}
skip() {
    printf 'skip %s\n' "$*"
}
# check COND-RESULT(0/1) DESCRIPTION
check() {
    if [ "$1" = 0 ]; then ok "$2"; else bad "$2"; fi
}
now_ms() {
    echo $(($(date +%s%N) / 1000000))
}
# expect JUDGE OUTFILE NAME VALUE: OUTFILE holds the line NAME|VALUE
expect() {
    if grep -Fqx -- "$3|$4" "$2"; then
        ok "$1: $3 = $4"
    else
        bad "$1: $3: want '$4', got '$(grep -F -- "$3|" "$2" | head -n 1 | cut -d'|' -f2-)'"
    fi
}
# expect_checks JUDGE OUTFILE: the rows of sample/checks.sql
expect_checks() {
    expect "$1" "$2" rls_a a1,a2
    expect "$1" "$2" rls_b b1
    expect "$1" "$2" auth_role authenticated
    expect "$1" "$2" rls_nobody 0
    expect "$1" "$2" anon_select 42501
    expect "$1" "$2" authenticated_insert 42501
    expect "$1" "$2" service_count 3
    expect "$1" "$2" default_uid aaaaaaaa-0000-4000-8000-00000000000a
    expect "$1" "$2" rls_enabled true
    expect "$1" "$2" identity a
    expect "$1" "$2" policies 'notes: authenticated read own:SELECT:authenticated'
    expect "$1" "$2" realtime public.notes
    expect "$1" "$2" bootstrap_extensions pgcrypto,uuid-ossp
}
# expect_vector_checks JUDGE OUTFILE: the rows of sample/checks_vector.sql
expect_vector_checks() {
    expect "$1" "$2" match a1,b1,a2
    expect "$1" "$2" match_threshold a1,b1
    expect "$1" "$2" match_count a2
    expect "$1" "$2" match_as_a a1,a2
    expect "$1" "$2" hnsw_used true
}

work=$(mktemp -d /tmp/dpc-supabase-selftest.XXXXXX) || exit 1
pgdir=
cleanup() {
    [ -n "$pgdir" ] && pg_stop "$pgdir"
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------- PostgreSQL 15
pg_judge() {
    if [ ! -x "$PG_BIN/initdb" ]; then
        bad "pg: no PostgreSQL 15 in $PG_BIN (run tests/supabase/install.sh)"
        return
    fi
    pgdir=$(mktemp -d /tmp/dpc-pg.XXXXXX) || return
    t=$(now_ms)
    if ! pg_start "$pgdir"; then
        bad "pg: start"
        return
    fi
    ok "pg: start ($(($(now_ms) - t)) ms)"
    pid=$(sed -n 1p "$pgdir/data/postmaster.pid")

    pg_query postgres "select count(*) from pg_settings where name = 'listen_addresses' and setting = ''" \
        >"$work/tcp" 2>&1
    check "$(grep -qx 1 "$work/tcp"; echo $?)" "pg: listens on no TCP address"

    t=$(now_ms)
    pg_bootstrap app
    check $? "pg: bootstrap.sql ($(($(now_ms) - t)) ms)"
    pg_apply app "$PG_JUDGE_DIR/bootstrap.sql"
    check $? "pg: bootstrap.sql applies twice"
    pg_bootstrap other
    check $? "pg: bootstrap.sql in a second database of the cluster"

    t=$(now_ms)
    pg_apply app "$init"
    check $? "pg: apply ${init##*/} ($(($(now_ms) - t)) ms)"
    pg_apply app "$init"
    check $? "pg: apply ${init##*/} again (drop policy if exists, realtime guard)"

    if pg_query_file app "$sample/checks.sql" >"$work/pg.out" 2>"$work/pg.err"; then
        ok "pg: queries of checks.sql ran"
    else
        bad "pg: checks.sql: $(cat "$work/pg.err")"
    fi
    expect_checks pg "$work/pg.out"

    if pg_has_vector app; then
        pg_apply app "$vec"
        check $? "pg: apply ${vec##*/}"
        pg_query_file app "$sample/checks_vector.sql" >"$work/pgv.out" 2>"$work/pgv.err"
        check $? "pg: queries of checks_vector.sql ran"
        expect_vector_checks pg "$work/pgv.out"
        pg_bootstrap dir && pg_apply_dir dir "$mig"
        check $? "pg: pg_apply_dir on sample/migrations"
    else
        skip "pg: pgvector (Debian 12 has no postgresql-15-pgvector): ${vec##*/} is proven by PGlite only"
        # Without pgvector the vector file must fail, named, after init committed.
        pg_bootstrap dir
        if pg_apply_dir dir "$mig" 2>"$work/dir.err"; then
            bad "pg: pg_apply_dir without pgvector should fail on ${vec##*/}"
        else
            grep -q "^pg_apply: FAIL .*/${vec##*/}\$" "$work/dir.err"
            check $? "pg: pg_apply_dir without pgvector fails naming ${vec##*/}"
        fi
        check "$([ "$(pg_query dir "select to_regclass('public.notes') is not null")" = t ]; echo $?)" \
            "pg: pg_apply_dir committed ${init##*/} before the failing file"
    fi

    # A broken migration: named in the report, rolled back whole, earlier files kept.
    pg_bootstrap broken
    if pg_apply broken "$init" "$broken" 2>"$work/broken.err"; then
        bad "pg: a broken migration was accepted"
    else
        grep -q "^pg_apply: FAIL $broken\$" "$work/broken.err"
        check $? "pg: broken migration fails naming ${broken##*/}"
        grep -q "${broken##*/}:6: ERROR:  syntax error at or near \"selec\"" "$work/broken.err"
        check $? "pg: psql's error names file and line 6"
    fi
    check "$([ "$(pg_query broken "select to_regclass('public.half_done') is null, to_regclass('public.notes') is not null, (select count(*) from pg_attribute where attrelid = 'public.notes'::regclass and attname = 'title')")" = 't|t|0' ]; echo $?)" \
        "pg: the broken file left nothing behind; the file before it stays"

    # Migration names are checked.
    if pg_apply_dir broken "$work/badnames" 2>"$work/names.err"; then
        bad "pg: pg_apply_dir accepted a migration named init.sql"
    else
        grep -q 'bad migration name' "$work/names.err"
        check $? "pg: pg_apply_dir rejects a migration named init.sql"
    fi

    t=$(now_ms)
    pg_stop "$pgdir"
    ok "pg: stop ($(($(now_ms) - t)) ms)"
    check "$([ ! -e "$pgdir" ] && ! pg_pid_alive "$pid"; echo $?)" \
        "pg: no server and no directory left after stop"
    pgdir=
}

# ---------------------------------------------------------------- PGlite
pglite_judge() {
    if [ ! -d "$here/node_modules/@electric-sql/pglite-pgvector" ]; then
        bad "pglite: no node_modules (run tests/supabase/install.sh)"
        return
    fi
    t=$(now_ms)
    node "$here/pglite.mjs" --format psql \
        --query "$sample/checks.sql" --query "$sample/checks_vector.sql" \
        "$mig" "$init" >"$work/lite.out" 2>"$work/lite.err"
    rc=$?
    check $rc "pglite: bootstrap, sample/migrations, ${init##*/} again, both check files ($(($(now_ms) - t)) ms)"
    [ $rc = 0 ] || sed 's/^/    /' "$work/lite.err"
    grep -q "^pglite: ok .*/${vec##*/}\$" "$work/lite.err"
    check $? "pglite: applied ${vec##*/} (pgvector)"
    expect_checks pglite "$work/lite.out"
    expect_vector_checks pglite "$work/lite.out"

    # The same rows in JSON, and the broken migration, in one run: it must stop at the
    # broken file, naming it and the line, before any query runs.
    t=$(now_ms)
    if node "$here/pglite.mjs" --query "$sample/checks.sql" "$mig" "$broken" \
        >"$work/lite-broken.out" 2>"$work/lite-broken.err"; then
        bad "pglite: a broken migration was accepted"
    else
        grep -q "^pglite: FAIL $broken:6: ERROR: syntax error at or near \"selec\"" "$work/lite-broken.err"
        check $? "pglite: broken migration fails naming ${broken##*/}:6 ($(($(now_ms) - t)) ms)"
        check "$([ ! -s "$work/lite-broken.out" ]; echo $?)" "pglite: no query ran after the failure"
    fi

    t=$(now_ms)
    node "$here/pglite.mjs" --quiet --query "$sample/checks.sql" "$init" \
        >"$work/lite-json.out" 2>"$work/lite-json.err"
    check $? "pglite: --format json run ($(($(now_ms) - t)) ms)"
    grep -Fqx '{"?column?":"rls_a","string_agg":"a1,a2"}' "$work/lite-json.out"
    check $? "pglite: JSON lines output"

    if node "$here/pglite.mjs" --quiet "$work/badnames" 2>"$work/lite-names.err"; then
        bad "pglite: accepted a migration directory holding init.sql"
    else
        grep -q 'bad migration name' "$work/lite-names.err"
        check $? "pglite: rejects a migration named init.sql"
    fi
}

mkdir "$work/badnames" && cp "$init" "$work/badnames/init.sql"
case $only in
    pg) pg_judge ;;
    pglite) pglite_judge ;;
    *)
        pg_judge
        pglite_judge
        ;;
esac

printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" = 0 ]
