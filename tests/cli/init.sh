#!/bin/sh
# dpc init with its parts: --supabase and --ci give a project that builds,
# checks clean, and has the files each part is for; a bad --ci is refused.
set -eu
DPC=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
fail() { echo "init: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1767225600

"$DPC" init plain >/dev/null
(cd plain && "$DPC" build >/dev/null 2>&1) || fail "the plain starter does not build"
[ ! -e plain/supabase ] && [ ! -e plain/.github ] || fail "the plain starter has parts it was not asked for"

"$DPC" init full --supabase --ci github,gitlab >"$t/out" || fail "init with parts failed: $(cat "$t/out")"
grep -q 'set ci.dpc' "$t/out" || fail "init --ci says nothing about ci.dpc"
cd full
"$DPC" build >"$t/out" 2>&1 || fail "the full starter does not build: $(cat "$t/out")"
for f in supabase/config.toml .github/workflows/dpc.yml .gitlab-ci.yml data/dagster/pyproject.toml; do
	[ -f "$f" ] || fail "no $f"
done
[ "$(find supabase/migrations -name '20260101000000_*.sql' | wc -l)" -eq 1 ] || fail "not one migration"
grep -q 'enable row level security' supabase/migrations/*.sql || fail "no RLS in the migration"
grep -q 'product_reviews' data/dbt/models/staging/_sources.yml || fail "the app table is not a dbt source"
"$DPC" check >"$t/out" 2>&1 || fail "check after build: $(cat "$t/out")"
"$DPC" build >"$t/out" 2>&1 || fail "second build failed"
grep -q 'nothing' "$t/out" || fail "a second build wrote something: $(cat "$t/out")"
cd ..

if "$DPC" init bad --ci jenkins >"$t/out" 2>&1; then fail "--ci jenkins accepted"; fi
grep -q "github, gitlab or github,gitlab" "$t/out" || fail "bad --ci: $(cat "$t/out")"
[ ! -e bad ] || fail "a refused init left a folder"
echo "init: ok"
