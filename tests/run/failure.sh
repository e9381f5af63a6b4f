#!/bin/sh
# run/failure: a model that fails leaves its old relation and record in
# place, what reads it is skipped (and rebuilt by the next good run), and
# the rest of the run goes on; --fail-fast stops at the first failure; SQL
# that cannot be rendered, a second statement and a missing source table
# are errors that name the place.
. "$(dirname "$0")/lib/common.sh"
P=$T/p
mkdir -p "$P/seeds" "$P/sql"
cd "$P"
cat >pipeline.yaml <<'YAML'
version: 1
project: fail
sources:
  src:
    tables:
      present: {}
seeds:
  s: {csv: seeds/s.csv}
models:
  a: {sql: sql/a.sql, materialized: table}
  b: {materialized: table, sql: "select id, v * 2 as v from {{ ref('a') }}"}
  c: {sql: "select * from {{ ref('b') }}"}
  d: {sql: sql/d.sql, materialized: table}
  e: {materialized: table, sql: "select a.id from {{ ref('a') }} as a join {{ ref('d') }} as d on a.id = d.id"}
YAML
echo "select id, v from {{ ref('s') }}" >sql/a.sql
echo "select id from {{ ref('s') }}" >sql/d.sql
printf 'id,v\n1,10\n2,20\n' >seeds/s.csv
W=warehouse.db
sqlite3 $W "create table present(x)"
"$DPC" run >"$T/0.out" 2>&1 || fail "first run: $(cat "$T/0.out")"
expect "b" "$(q $W "select group_concat(v) from b")" "20,40"

# a breaks while its seed changes: a fails, b c e are skipped, d runs
echo "select id, v, no_such_column from {{ ref('s') }}" >sql/a.sql
printf 'id,v\n1,10\n2,20\n3,30\n' >seeds/s.csv
run_json "$T/1.json" run
[ $rc -eq 1 ] || fail "a failing model: exit $rc"
expect "ran" "$(executed "$T/1.json")" "a b c d e s"
for n in a:error b:skipped c:skipped d:success e:skipped s:success; do
	expect "status of ${n%%:*}" "$(status "$T/1.json" "${n%%:*}")" "${n#*:}"
done
"$PY" -c 'import json, sys
r = {x["name"]: x for x in json.load(open(sys.argv[1]))["results"]}
assert "no such column: no_such_column" in r["a"]["message"], r["a"]
assert r["b"]["message"] == "upstream model.fail.a failed", r["b"]
assert r["c"]["message"] == "upstream model.fail.b was skipped", r["c"]' "$T/1.json" || fail "messages"
expect "a is intact" "$(q $W "select count(*) from a")" "2"
expect "b is intact" "$(q $W "select group_concat(v) from b")" "20,40"
expect "d is new" "$(q $W "select count(*) from d")" "3"
expect "no leftovers" "$(q $W "select count(*) from sqlite_master where name like '%dpc_tmp%'")" "0"

# fixed: what failed and what was skipped run; d is up to date
echo "select id, v from {{ ref('s') }}" >sql/a.sql
run_json "$T/2.json" run
[ $rc -eq 0 ] || fail "after the fix: exit $rc"
expect "after the fix" "$(executed "$T/2.json")" "a b c e"
expect "b now" "$(q $W "select group_concat(v) from b")" "20,40,60"

# --fail-fast: the first failure stops the run; the rest is skipped
echo "select id, v, nope from {{ ref('s') }}" >sql/a.sql
echo "select id, nope from {{ ref('s') }}" >sql/d.sql
run_json "$T/3.json" run --fail-fast
[ $rc -eq 1 ] || fail "--fail-fast: exit $rc"
expect "--fail-fast" "$(status "$T/3.json" a) $(status "$T/3.json" d)" "error skipped"
"$PY" -c 'import json, sys
r = {x["name"]: x for x in json.load(open(sys.argv[1]))["results"]}
assert "--fail-fast" in r["d"]["message"], r["d"]' "$T/3.json" || fail "--fail-fast message"
echo "select id from {{ ref('s') }}" >sql/d.sql
echo "select id, v from {{ ref('s') }}" >sql/a.sql

# rendering errors name the file, line and column; the caret goes to stderr
printf 'select id,\n  {{ no_such_macro(1) }} as v\nfrom {{ ref("s") }}\n' >sql/a.sql
rc=0
"$DPC" run >"$T/4.out" 2>"$T/4.err" || rc=$?
[ $rc -eq 1 ] || fail "a rendering error: exit $rc"
grep -q '^ERROR model.fail.a: sql/a.sql:2:' "$T/4.out" || fail "rendering error: $(cat "$T/4.out")"
grep -q '^sql/a.sql:2:[0-9]*: error: a: ' "$T/4.err" || fail "rendering diagnostic: $(cat "$T/4.err")"
grep -q '\^' "$T/4.err" || fail "no caret: $(cat "$T/4.err")"
# two statements in one model
echo "select id, v from {{ ref('s') }}; drop table d" >sql/a.sql
run_json "$T/5.json" run
expect "two statements" "$(status "$T/5.json" a)" "error"
grep -q 'more than one statement' "$T/5.json" || fail "two statements: $(cat "$T/5.json")"
expect "d survives" "$(q $W "select count(*) from d")" "3"
# a source table the warehouse does not have
echo "select * from {{ source('src', 'present') }} join {{ source('src', 'absent') }}" >sql/a.sql
sed -i 's/      present: {}/      present: {}\n      absent: {}/' pipeline.yaml
run_json "$T/6.json" run
expect "missing source" "$(status "$T/6.json" a)" "error"
grep -q 'source src.absent: there is no table \\"absent\\" in warehouse.db' "$T/6.json" || fail "missing source: $(cat "$T/6.json")"
echo "run/$NAME: ok"
