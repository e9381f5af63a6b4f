#!/bin/sh
# tests/analyze/run.sh DPC: `dpc analyze` on the fixture repository in
# tests/analyze/repo (a dbt project, an Airflow DAG, Dagster assets, a dlt
# pipeline, plain SQL scripts, Supabase migrations), with bad inputs made at
# test time (a binary .py, a file over 8 MiB, a symlink loop, a symlink out
# of the tree, an unreadable file, folders to skip). Asserts the JSON graph,
# the dags array, dot and mermaid, the warnings, that nothing is written
# unless asked, exit codes, --emit-spec's no-overwrite rule, and the dbt
# round trip: analyze shop/, build the proposed spec, compare the dbt
# project dpc emits with the original (check.py).
#
# Prints "PASS name" or "FAIL name: why" per check; exits 1 if any failed.
set -u
DPC=${1:?usage: run.sh DPC}
case $DPC in /*) ;; *) DPC=$(pwd)/$DPC ;; esac
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
t=$(mktemp -d "${TMPDIR:-/tmp}/dpc-analyze.XXXXXX")
trap 'chmod -R u+rwx "$t" 2>/dev/null; rm -rf "$t"' EXIT INT TERM
export NO_COLOR=1
failed=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; failed=1; }
# run check.py; its PASS/FAIL lines go through as they are
py() { "$PY" "$here/check.py" "$@" || failed=1; }

# the repository, with what git does not hold
cp -R "$here/repo" "$t/repo"
r=$t/repo
printf 'import os\n\0\1\2binary\n' >"$r/bad/binary.py"
truncate -s 9M "$r/bad/huge.sql"
mkdir -p "$r/bad/loop" && ln -s .. "$r/bad/loop/again"
mkdir -p "$t/elsewhere" && echo 'select 1 from secret_table' >"$t/elsewhere/x.sql" && ln -s ../../elsewhere "$r/bad/outside"
echo 'select * from hidden' >"$r/bad/secret.sql" && chmod 000 "$r/bad/secret.sql"
for d in data/dbt/models .venv/lib node_modules/pkg shop/target/compiled .git/hooks __pycache__ venv2; do
	mkdir -p "$r/$d"
	echo 'create table skipped_table as select 1' >"$r/$d/skipped.sql"
	echo 'from dagster import asset' >"$r/$d/skipped.py"
done
mkdir -p "$r/data/assets" && echo '{"generator": "dpc"}' >"$r/data/assets/registry.json" # dpc's output
touch "$r/venv2/pyvenv.cfg" # a virtualenv by another name
root=user
[ "$(id -u)" -eq 0 ] && root=root

# 1. the whole repository as JSON: nodes, edges, places; nothing written
before=$(cd "$r" && find . -exec stat -c '%n %s %Y' {} + 2>/dev/null | sort | cksum)
(cd "$t" && "$DPC" analyze --format json repo >"$t/repo.json" 2>"$t/err"); rc=$?
after=$(cd "$r" && find . -exec stat -c '%n %s %Y' {} + 2>/dev/null | sort | cksum)
[ $rc -eq 0 ] && pass "exit-0-with-warnings" || fail "exit-0-with-warnings" "exit $rc: $(head -5 "$t/err")"
[ "$before" = "$after" ] && [ ! -e "$r/pipeline.yaml" ] && pass "nothing-written" ||
	fail "nothing-written" "the tree changed"
grep -q 'Sanitizer\|runtime error' "$t/err" && fail "sanitizers" "$(head -20 "$t/err")"
py graph "$t/repo.json"
py warnings "$t/repo.json" "$root"
# root reads every file: the unreadable file is tried as nobody when root can
# drop privileges, else the check is skipped (and says so)
if [ "$root" = root ] && command -v setpriv >/dev/null 2>&1; then
	mkdir -p "$t/perm/ok" && chmod 755 "$t" "$t/perm" "$t/perm/ok"
	echo 'create table a as select 1 from b' >"$t/perm/ok/s.sql"
	echo 'select 1' >"$t/perm/secret.sql" && chmod 000 "$t/perm/secret.sql"
	out=$(cd "$t" && setpriv --reuid=65534 --regid=65534 --clear-groups "$DPC" analyze --format json perm 2>&1)
	printf '%s\n' "$out" | grep 'secret.sql' | grep -q 'cannot read: Permission denied' &&
		printf '%s\n' "$out" | grep -q '"sql_table:a"' && pass "warn-unreadable-as-nobody" ||
		fail "warn-unreadable-as-nobody" "$(printf '%s\n' "$out" | head -5)"
else
	pass "warn-unreadable-as-nobody (skipped: no setpriv)"
fi
grep -q skipped_table "$t/repo.json" && fail "skip-folders" "data/, .venv, node_modules, target or .git was read" ||
	pass "skip-folders"

# the same answer whatever the number of threads
(cd "$t" && "$DPC" analyze -j 1 --format json repo >"$t/j1.json" 2>/dev/null)
(cd "$t" && "$DPC" analyze -j 3 --format json repo >"$t/j3.json" 2>/dev/null)
cmp -s "$t/j1.json" "$t/j3.json" && cmp -s "$t/j1.json" "$t/repo.json" && pass "deterministic" ||
	fail "deterministic" "-j 1 and -j 3 differ: $(diff "$t/j1.json" "$t/j3.json" | head -5)"

# 2. text, dot, mermaid
out=$(cd "$t" && "$DPC" analyze repo 2>"$t/err")
printf '%s\n' "$out" | grep -q '6 dbt models' && printf '%s\n' "$out" | grep -q '<- dbt_model stg_orders (ref)' &&
	pass "text" || fail "text" "$(printf '%s\n' "$out" | head -5)"
grep -q 'bad/broken_assets.py:9:12: warning: Python syntax error' "$t/err" && pass "text-warnings-on-stderr" ||
	fail "text-warnings-on-stderr" "$(head -5 "$t/err")"
out=$(cd "$t" && "$DPC" analyze --format dot repo 2>/dev/null)
printf '%s\n' "$out" | head -1 | grep -q '^digraph' &&
	printf '%s\n' "$out" | grep -q '"dbt_model:stg_orders" -> "dbt_model:fct_orders";' &&
	printf '%s\n' "$out" | grep -q 'subgraph "cluster_daily_etl"' && printf '%s\n' "$out" | tail -1 | grep -q '^}$' &&
	pass "dot" || fail "dot" "$(printf '%s\n' "$out" | head -5)"
if command -v dot >/dev/null 2>&1; then
	printf '%s\n' "$out" | dot -Tsvg >/dev/null 2>&1 && pass "dot-renders" || fail "dot-renders" "graphviz rejects it"
fi
out=$(cd "$t" && "$DPC" analyze --format mermaid repo 2>/dev/null)
printf '%s\n' "$out" | head -1 | grep -q '^flowchart LR$' && printf '%s\n' "$out" | grep -q 'subgraph n[0-9]* \["daily_etl"\]' &&
	printf '%s\n' "$out" | grep -Eq '^  n[0-9]+ --> n[0-9]+$' && pass "mermaid" ||
	fail "mermaid" "$(printf '%s\n' "$out" | head -5)"

# 3. one file, named as given
(cd "$t" && "$DPC" analyze --format json repo/dags/daily_etl.py >"$t/one.json" 2>"$t/err") &&
	py dags "$t/one.json" repo/dags/daily_etl.py || fail "one-file" "exit $?: $(head -3 "$t/err")"

# 4. exit codes
(cd "$t" && "$DPC" analyze no/such/path >/dev/null 2>&1); rc=$?
[ $rc -eq 2 ] && pass "exit-2-missing-path" || fail "exit-2-missing-path" "exit $rc"
(cd "$t" && "$DPC" analyze --format yaml repo >/dev/null 2>&1); rc=$?
[ $rc -eq 2 ] && pass "exit-2-bad-format" || fail "exit-2-bad-format" "exit $rc"
"$DPC" --help | grep -q 'analyze \[PATH\]' && pass "help" || fail "help" "usage does not mention analyze"

# 5. the dbt round trip: the proposed spec builds the same dbt project
cp -R "$here/repo/shop" "$t/shop"
(cd "$t/shop" && "$DPC" analyze --emit-spec pipeline.yaml >/dev/null 2>"$t/err"); rc=$?
[ $rc -eq 0 ] && [ -f "$t/shop/pipeline.yaml" ] && head -2 "$t/shop/pipeline.yaml" | grep -q '^# proposed by dpc analyze' &&
	pass "emit-spec-file" || fail "emit-spec-file" "exit $rc: $(head -3 "$t/err")"
cp "$t/shop/pipeline.yaml" "$t/spec.saved"
(cd "$t/shop" && "$DPC" analyze --emit-spec pipeline.yaml >/dev/null 2>"$t/err"); rc=$?
[ $rc -eq 1 ] && grep -q 'exists' "$t/err" && cmp -s "$t/shop/pipeline.yaml" "$t/spec.saved" &&
	pass "emit-spec-no-overwrite" || fail "emit-spec-no-overwrite" "exit $rc: $(head -3 "$t/err")"
(cd "$t/shop" && "$DPC" analyze -o pipeline.yaml --force >/dev/null 2>&1) && cmp -s "$t/shop/pipeline.yaml" "$t/spec.saved" &&
	pass "emit-spec-force" || fail "emit-spec-force" "--force did not write the same proposal"
(cd "$t/shop" && "$DPC" analyze --emit-spec 2>/dev/null) | cmp -s - "$t/spec.saved" && pass "emit-spec-stdout" ||
	fail "emit-spec-stdout" "stdout differs from the file"
if (cd "$t/shop" && SOURCE_DATE_EPOCH=1767225600 "$DPC" build >"$t/out" 2>&1); then
	pass "roundtrip-build"
	py roundtrip "$t/shop" "$t/shop/data/dbt"
	(cd "$t/shop" && "$DPC" check >"$t/out" 2>&1) && pass "roundtrip-check" || fail "roundtrip-check" "$(head -5 "$t/out")"
else
	fail "roundtrip-build" "$(head -20 "$t/out")"
fi

# a second project, in a subfolder of its repository (tests/analyze/acme):
# dbt's old path names, folder and YAML materializations, an identifier, a
# freshness filter, model-level tests with where, quote: false, WARN
cp -R "$here/acme" "$t/acme"
if (cd "$t/acme" && "$DPC" analyze --emit-spec pipeline.yaml >/dev/null 2>"$t/err" &&
	SOURCE_DATE_EPOCH=1767225600 "$DPC" build >"$t/out" 2>&1); then
	pass "roundtrip2-build"
	out=$("$PY" "$here/check.py" roundtrip "$t/acme/transform" "$t/acme/data/dbt") || failed=1
	printf '%s\n' "$out" | sed 's/^\(PASS\|FAIL\) roundtrip-/\1 roundtrip2-/'
else
	fail "roundtrip2-build" "$(cat "$t/err" "$t/out" | head -20)"
fi

# 6. the whole repository's proposal compiles too (assets included)
cp -R "$here/repo" "$t/whole"
(cd "$t/whole" && "$DPC" analyze --emit-spec pipeline.yaml >/dev/null 2>&1 && "$DPC" check >"$t/out" 2>&1); rc=$?
# check: 1 means out of date (nothing built yet), 2 means the spec is wrong
[ $rc -ne 2 ] && grep -q 'orders_report' "$t/whole/pipeline.yaml" && pass "whole-repo-spec-compiles" ||
	fail "whole-repo-spec-compiles" "exit $rc: $(head -10 "$t/out")"

exit $failed
