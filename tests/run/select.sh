#!/bin/sh
# run/select: --select and --exclude in dbt's selection syntax: names,
# +name, name+, N+name, name+N, tag:, source:, path: (a folder of SQL files,
# a spec fragment), test names, unions (spaces), intersections (commas);
# tests come with the nodes they test; mistakes are errors (exit 2).
. "$(dirname "$0")/lib/common.sh"
P=$T/p
mkdir -p "$P/seeds" "$P/sql/staging" "$P/sql/int" "$P/specs"
cd "$P"
cat >pipeline.yaml <<'YAML'
version: 1
project: sel
include: [specs/*.yaml]
sources:
  src:
    tables:
      raw: {}
seeds:
  a: {csv: seeds/a.csv, tags: [t1]}
  b: {csv: seeds/b.csv}
models:
  s0:
    sql: "select * from {{ source('src', 'raw') }}"
  s1: {sql: sql/staging/s1.sql, tags: [staging]}
  s2: {sql: sql/staging/s2.sql, tags: [staging]}
  i1: {sql: sql/int/i1.sql, materialized: table, tags: [daily]}
YAML
cat >specs/marts.yaml <<'YAML'
models:
  f1:
    materialized: table
    tags: [daily, mart]
    sql: "select * from {{ ref('i1') }}"
    columns:
      id: {tests: [not_null]}
  f2:
    materialized: table
    tags: [mart]
    sql: "select * from {{ ref('s2') }}"
tests:
  t_f2:
    sql: "select * from {{ ref('f2') }} where id < 0"
YAML
echo "select id from {{ ref('a') }}" >sql/staging/s1.sql
echo "select id from {{ ref('b') }}" >sql/staging/s2.sql
echo "select s1.id from {{ ref('s1') }} as s1 join {{ ref('s2') }} as s2 on s1.id = s2.id" >sql/int/i1.sql
printf 'id\n1\n2\n' >seeds/a.csv
printf 'id\n1\n3\n' >seeds/b.csv
sqlite3 warehouse.db "create table raw(id); insert into raw values (1)"
"$DPC" run >"$T/0.out" 2>&1 || fail "the first run: $(cat "$T/0.out")"

# pick SELECTION... WANT: with --full-refresh every selected node runs
n=0
pick() {
	want=$1
	shift
	n=$((n + 1))
	run_json "$T/$n.json" run --full-refresh "$@"
	[ $rc -eq 0 ] || fail "$*: exit $rc: $(cat "$T/$n.json" "$T/$n.json.err")"
	expect "$*" "$(executed "$T/$n.json")" "$want"
}
pick "s1" --select s1
pick "a b i1 s1 s2" --select +i1
pick "f1 i1" --select i1+
pick "a b f1 i1 s1 s2" --select +i1+
pick "i1 s1 s2" --select 1+i1
pick "f2 i1 s2" --select s2+1
pick "f1 i1" --select tag:daily
pick "f1" --select tag:mart,tag:daily
pick "f1 f2 i1 s1 s2" --select 'tag:staging s2+'
pick "s0" --select source:src+
pick "s1 s2" --select path:sql/staging
# both ways from the part's own nodes: no sibling of i1 (f2) by way of s2
pick "a b f1 i1 s1 s2" --select +path:sql/int/i1.sql+
pick "s1 s2" --select path:sql/staging/
pick "f1 f2" --select path:specs/marts.yaml
pick "s1" --select path:sql/staging,+i1,tag:staging,1+i1 --exclude s2
pick "b f1 i1 s1 s2" --select +f1 --exclude a
pick "a b i1 s0 s1 s2" --exclude tag:mart
# tests come with what they test; dpc test takes a test's name too
run_json "$T/t1.json" test --select f1
expect "dpc test --select f1" "$("$PY" -c 'import json, sys
print(" ".join(sorted(r["name"] for r in json.load(open(sys.argv[1]))["results"])))' "$T/t1.json")" "not_null_f1_id"
run_json "$T/t2.json" test --select t_f2
expect "dpc test --select t_f2" "$("$PY" -c 'import json, sys
print(" ".join(sorted(r["name"] for r in json.load(open(sys.argv[1]))["results"])))' "$T/t2.json")" "t_f2"
run_json "$T/t3.json" run --full-refresh --select f2 --exclude t_f2
expect "a test excluded by name" "$("$PY" -c 'import json, sys
print(" ".join(sorted(r["name"] for r in json.load(open(sys.argv[1]))["results"])))' "$T/t3.json")" "f2"

# mistakes: exit 2, nothing runs
bad() {
	want=$1
	shift
	rc=0
	"$DPC" "$@" >"$T/bad.out" 2>&1 || rc=$?
	[ $rc -eq 2 ] || fail "$*: exit $rc, want 2: $(cat "$T/bad.out")"
	grep -q "$want" "$T/bad.out" || fail "$*: $(cat "$T/bad.out")"
}
bad "no model, seed, table, embedding or asset is named 'i2'" run --select i2
bad "did you mean 'daily'" run --select +tag:dayly
bad "no model, seed, test or source is defined in 'sql/marts'" run --select path:sql/marts
bad "an empty part between commas" run --select 'i1,,s1'
bad "no model, seed, source or asset has tag 'nightly'" run --exclude tag:nightly
bad "go with run and test" build --select i1
echo "run/$NAME: ok"
