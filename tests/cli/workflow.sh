#!/bin/sh
# The user's path through dpc: init, build, no-op, edit, check, plan, graph,
# JSON output, drift and --force, stale files, a deleted .dpc, a clean clone.
set -eu
DPC=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
fail() { echo "workflow: $*" >&2; exit 1; }
expect() { # expect CODE CMD...: run, require the exit code
	want=$1; shift
	set +e; "$@" >"$t/out" 2>"$t/err"; got=$?; set -e
	[ "$got" -eq "$want" ] || { cat "$t/out" "$t/err" >&2; fail "'$*' exited $got, wanted $want"; }
}
age() { touch -d '-10 seconds' "$@"; } # step out of the racily-clean window

expect 0 "$DPC" init shop
expect 2 "$DPC" init shop             # never over an existing folder
grep -q 'already' "$t/err" || fail "init over a folder: no clear error"
expect 2 "$DPC" init 9lives
cd shop
[ -f pipeline.yaml ] && [ -f .gitignore ] && [ -d sql ] && [ -d seeds ] || fail "init: starter files missing"
grep -q 'project: shop' pipeline.yaml || fail "init: project name not set"

expect 0 "$DPC" build
[ -f data/dbt/dbt_project.yml ] && [ -f data/assets/registry.json ] || fail "build wrote no dbt project"
n=$(find data -type f | wc -l)
find . -path ./.dpc -prune -o -type f -exec touch -d '-10 seconds' {} +
expect 0 "$DPC" build
grep -q 'nothing' "$t/out" || fail "second build did something: $(cat "$t/out")"
find data -type f -newer pipeline.yaml >"$t/newer" || true
expect 0 "$DPC" build
grep -q 'nothing to do' "$t/out" || fail "third build is not a no-op: $(cat "$t/out")"

# an edit rewrites only what it changes: the model's file and the registry
before=$(ls -l --time-style=+%s.%N -R data | md5sum)
sleep 0.01
printf -- '-- a comment\n' >>sql/staging/stg_orders.sql
expect 0 "$DPC" build --explain
grep -q 'update  data/dbt/models/staging/stg_orders.sql' "$t/out" || fail "edit: model not rewritten: $(cat "$t/out")"
w=$(grep -c '^  update\|^  add' "$t/out")
[ "$w" -eq 2 ] || fail "edit rewrote $w files, wanted 2 (the model and the registry): $(cat "$t/out")"
age -R . 2>/dev/null || find . -type f -exec touch -d '-10 seconds' {} +
expect 0 "$DPC" check
grep -q 'up to date' "$t/out" || fail "check after build: $(cat "$t/out")"

# drift: a hand edit stops the build and is named; --force overwrites
printf 'select 42\n' >>data/dbt/models/staging/stg_orders.sql
expect 1 "$DPC" check
grep -q '+++ b/data/dbt/models/staging/stg_orders.sql' "$t/out" || fail "check: no unified diff"
printf -- '-- another\n' >>sql/staging/stg_orders.sql
expect 1 "$DPC" build
grep -q 'stg_orders.sql: edited by hand' "$t/err" || fail "drift not named: $(cat "$t/err")"
grep -q 'select 42' data/dbt/models/staging/stg_orders.sql || fail "drift: the hand edit was lost"
expect 0 "$DPC" build --force
grep -q 'select 42' data/dbt/models/staging/stg_orders.sql && fail "--force did not overwrite"
expect 0 "$DPC" check

# a model removed from the spec: its file goes, nothing else of the user's
cp pipeline.yaml "$t/spec.bak"
/usr/bin/python3 - <<'PY'
lines = open('pipeline.yaml').read().split('\n')
out, skip = [], False
for l in lines:
    if l == '  dim_customers:':
        skip = True
        continue
    if skip and (l.startswith('  ') and not l.startswith('   ') or (l and not l.startswith(' '))):
        skip = False
    if not skip:
        out.append(l)
open('pipeline.yaml', 'w').write('\n'.join(out))
PY
grep -q dim_customers pipeline.yaml && fail "could not remove dim_customers"
echo 'keep me' >data/dbt/models/USER_NOTES.md
expect 0 "$DPC" build
grep -q 'delete  data/dbt/models/marts/dim_customers.sql' "$t/out" || fail "stale model file not deleted: $(cat "$t/out")"
[ ! -f data/dbt/models/marts/dim_customers.sql ] || fail "dim_customers.sql still there"
[ -f data/dbt/models/USER_NOTES.md ] || fail "build deleted a user's file"

# deleting .dpc changes no output; check works with no state at all
cp -R data "$t/data.before"
rm -rf .dpc
expect 0 "$DPC" build
diff -r "$t/data.before" data >/dev/null || fail "outputs changed after deleting .dpc"
rm -rf .dpc
expect 0 "$DPC" check
[ ! -d .dpc ] || fail "check created .dpc"

# plan: says what would change and what lies downstream
printf -- '-- plan me\n' >>sql/staging/stg_orders.sql
expect 0 "$DPC" plan
grep -q 'update  data/dbt/models/staging/stg_orders.sql' "$t/out" || fail "plan: $(cat "$t/out")"
grep -q 'model.fct_orders' "$t/out" || fail "plan: downstream fct_orders missing: $(cat "$t/out")"
grep -q 'model.stg_customers' "$t/out" && fail "plan: stg_customers is not downstream of stg_orders: $(cat "$t/out")"
cmp -s "$t/data.before/dbt/models/staging/stg_orders.sql" data/dbt/models/staging/stg_orders.sql || fail "plan wrote a file"

# JSON: one document, with the plan and the diagnostics
expect 0 "$DPC" build --format json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["command"]=="build" and d["ok"] and isinstance(d["diagnostics"],list) and any(p["action"]=="update" for p in d["plan"]), d' "$t/out" || fail "build --format json"
echo 'models: {broken: {sqll: x}}' >>pipeline.yaml
expect 2 "$DPC" build --format json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=d["diagnostics"]; assert not d["ok"] and d["exit_code"]==2 and g and g[0]["file"]=="pipeline.yaml" and g[0]["line"]>0 and g[0]["column"]>0, d' "$t/out" || fail "errors as JSON: $(cat "$t/out")"
cp "$t/spec.bak" pipeline.yaml

# graph in three formats
expect 0 "$DPC" graph --format mermaid
grep -q '^flowchart LR' "$t/out" && grep -q 'model_stg_orders --> model_fct_orders' "$t/out" || fail "mermaid: $(cat "$t/out")"
expect 0 "$DPC" graph --format dot
grep -q 'digraph' "$t/out" || fail "dot"
expect 0 "$DPC" graph --format json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert ["model.stg_orders","model.fct_orders"] in d["edges"]' "$t/out" || fail "graph json"
expect 2 "$DPC" graph --format svg
expect 2 "$DPC" biuld
grep -q "did you mean 'build'" "$t/err" || fail "no did-you-mean for a mistyped command"

# the lock: a second build fails clearly while one holds it
expect 0 "$DPC" build
( flock -x 9; sleep 5 ) 9>.dpc/lock &
sleep 0.3
expect 1 "$DPC" build
grep -q 'another dpc build is running' "$t/err" || fail "lock: $(cat "$t/err")"
wait

# a 50 MB spec: refused with a diagnostic, nothing touched
cp -R data "$t/data.2"
{ printf 'version: 1\nproject: shop\nvars:\n'; i=0; while [ $i -lt 2000 ]; do printf '  v%d: "%s"\n' $i "$(head -c 25000 /dev/zero | tr '\0' x)"; i=$((i+1)); done; } >pipeline.yaml
[ "$(wc -c <pipeline.yaml)" -gt 50000000 ] || fail "the big spec is too small"
expect 2 "$DPC" build
grep -q 'larger than' "$t/err" || fail "50 MB spec: $(cat "$t/err")"
diff -r "$t/data.2" data >/dev/null || fail "a failed build touched the outputs"
echo "workflow: ok"
