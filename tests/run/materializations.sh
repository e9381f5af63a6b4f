#!/bin/sh
# run/materializations: dpc run builds every materialization (view, table,
# incremental with merge, delete+insert and append, ephemeral as a CTE),
# loads seeds from CSV (quoted fields, embedded newlines, empty values as
# NULL, column types from the spec or inferred), and is a build system: a
# second run is a no-op, one changed seed rebuilds exactly what is
# downstream of it, --full-refresh rebuilds everything, and --explain says
# why each node runs.
. "$(dirname "$0")/lib/common.sh"
P=$T/p
mkdir -p "$P/seeds"
cd "$P"
cat >pipeline.yaml <<'YAML'
version: 1
project: mat
vars:
  threshold: 2
seeds:
  people:
    csv: seeds/people.csv
    columns:
      id: integer
      score: real
  events:
    csv: seeds/events.csv
models:
  stg_people:
    sql: "select id, name, score, note from {{ ref('people') }}"
  people_tbl:
    materialized: table
    sql: "select id, upper(name) as name, score from {{ ref('stg_people') }} where score >= {{ var('threshold') }}"
  eph_events:
    materialized: ephemeral
    sql: "select person_id, kind, amount from {{ ref('events') }}"
  eph_big:
    materialized: ephemeral
    sql: "select * from {{ ref('eph_events') }} where amount > 1"
  totals:
    materialized: table
    sql: |
      with e as (select * from {{ ref('eph_big') }})
      select person_id, count(*) as n, sum(amount) as total from e group by person_id
  inc_merge:
    materialized: incremental
    unique_key: person_id
    sql: |
      select person_id, max(day) as last_day, count(*) as n
      from {{ ref('events') }}
      {% if is_incremental() %}
      where day >= (select max(last_day) from {{ this }})
      {% endif %}
      group by person_id
  inc_di:
    materialized: incremental
    unique_key: [person_id, kind]
    incremental_strategy: delete+insert
    sql: |
      select person_id, kind, sum(amount) as total, max(day) as last_day
      from {{ ref('events') }}
      {% if is_incremental() %}
      where day >= (select max(last_day) from {{ this }})
      {% endif %}
      group by person_id, kind
  inc_append:
    materialized: incremental
    incremental_strategy: append
    sql: |
      select id, day, amount from {{ ref('events') }}
      {% if is_incremental() %}
      where day > (select max(day) from {{ this }})
      {% endif %}
YAML
printf '%s\n' 'id,name,score,note' '1,"Smith, Ann",3.5,"line one' 'line two"' '2,Bob,,' \
	'3,"Say ""hi""",2,""' >seeds/people.csv
printf '%s\n' 'id,person_id,kind,amount,day,code' '1,1,a,1,2024-01-01,007' '2,1,b,2,2024-01-02,008' \
	'3,2,a,5,2024-01-02,009' >seeds/events.csv
W=warehouse.db

# 1. the first run builds everything
run_json "$T/1.json" run
[ $rc -eq 0 ] || fail "first run: exit $rc: $(cat "$T/1.json.err")"
expect "first run" "$(executed "$T/1.json")" "events inc_append inc_di inc_merge people people_tbl stg_people totals"
expect "relation kinds" "$(q $W "select name || ':' || type from sqlite_master where name not like '\_dpc%' escape '\' and type in ('table','view') order by name" | tr '\n' ' ')" \
	"events:table inc_append:table inc_di:table inc_merge:table people:table people_tbl:table stg_people:view totals:table "
expect "seed: quoted comma" "$(q $W "select name from people where id = 1")" "Smith, Ann"
expect "seed: embedded newline" "$(q $W "select replace(note, char(10), '/') from people where id = 1")" "line one/line two"
expect "seed: empty is NULL" "$(q $W "select quote(score) || ' ' || quote(note) from people where id = 2")" "NULL NULL"
expect "seed: \"\" is empty, quotes" "$(q $W "select quote(note) || ' ' || name from people where id = 3")" "'' Say \"hi\""
expect "seed: spec type real" "$(q $W "select typeof(score) from people where id = 3")" "real"
expect "seed: inferred types" "$(q $W "select typeof(amount) || ' ' || typeof(code) || ' ' || code from events where id = 1")" "integer text 007"
expect "view reads the seed" "$(q $W "select count(*) from stg_people")" "3"
expect "table with a var" "$(q $W "select group_concat(id) from (select id from people_tbl order by id)")" "1,3"
expect "ephemerals inlined" "$(q $W "select person_id || ':' || n || ':' || total from totals order by 1" | tr '\n' ' ')" "1:1:2 2:1:5 "
expect "no ephemeral relation" "$(q $W "select count(*) from sqlite_master where name like 'eph%' or name like '%dpc_tmp%'")" "0"
grep -q '__dbt__cte__eph_events' target/run_results.json || fail "the ephemeral CTE is not in the compiled code"

# 2. nothing changed: a no-op, without compiling
"$DPC" run >"$T/2.out" 2>&1 || fail "second run: $(cat "$T/2.out")"
grep -q 'nothing to run' "$T/2.out" || fail "second run was not a no-op: $(cat "$T/2.out")"
# and a planned run agrees: everything up to date, with the reason
"$DPC" run --select 'stg_people+ events+' --explain >"$T/3.out" 2>&1 || fail "explain: $(cat "$T/3.out")"
grep -q 'runs' "$T/3.out" && fail "a node runs with nothing changed: $(cat "$T/3.out")"
grep -q 'table people_tbl *up to date' "$T/3.out" || fail "explain: $(cat "$T/3.out")"

# 3. one seed changed: exactly what is downstream of it runs
printf '%s\n' '4,2,b,3,2024-01-03,010' '5,3,a,4,2024-01-03,011' >>seeds/events.csv
run_json "$T/4.json" run --explain
[ $rc -eq 0 ] || fail "run after a seed change: exit $rc"
expect "downstream of events" "$(executed "$T/4.json")" "events inc_append inc_di inc_merge totals"
expect "merge on unique_key" "$(q $W "select person_id || ':' || last_day || ':' || n from inc_merge order by 1" | tr '\n' ' ')" \
	"1:2024-01-02:1 2:2024-01-03:2 3:2024-01-03:1 "
expect "delete+insert on two keys" "$(q $W "select person_id || kind || ':' || total from inc_di order by 1" | tr '\n' ' ')" \
	"1a:1 1b:2 2a:5 2b:3 3a:4 "
expect "append" "$(q $W "select group_concat(id) from (select id from inc_append order by id)")" "1,2,3,4,5"
expect "totals rebuilt" "$(q $W "select person_id || ':' || total from totals order by 1" | tr '\n' ' ')" "1:2 2:8 3:4 "
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["results"]}
assert r["events"]["reason"] == "its CSV changed", r["events"]
assert r["totals"]["reason"].startswith("upstream model.mat.eph_big changed") or "changed" in r["totals"]["reason"], r["totals"]
assert r["people_tbl"]["status"] == "up to date", r["people_tbl"]
assert r["inc_merge"]["rows"] == 3, r["inc_merge"]' "$T/4.json" || fail "reasons in the JSON document"

# 4. --full-refresh rebuilds everything; incremental models from scratch
run_json "$T/5.json" run --full-refresh
expect "full refresh" "$(executed "$T/5.json")" "events inc_append inc_di inc_merge people people_tbl stg_people totals"
expect "merge rebuilt whole" "$(q $W "select person_id || ':' || n from inc_merge order by 1" | tr '\n' ' ')" "1:2 2:2 3:1 "

# 5. a relation dropped behind dpc's back is rebuilt, and nothing downstream
q $W "drop table people_tbl"
run_json "$T/6.json" run
expect "missing relation" "$(executed "$T/6.json")" "people_tbl"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["results"]}
assert r["people_tbl"]["reason"] == "its relation is missing from the warehouse", r["people_tbl"]' "$T/6.json" ||
	fail "reason for a missing relation"

# 6. --vars changes the SQL of what reads the var
run_json "$T/7.json" run --vars '{"threshold": 3}'
expect "--vars" "$(executed "$T/7.json")" "people_tbl"
expect "--vars value" "$(q $W "select group_concat(id) from people_tbl")" "1"
run_json "$T/8.json" run
expect "back to the spec's var" "$(executed "$T/8.json")" "people_tbl"

# 7. a materialization change: the view becomes a table, in place
sed -i 's/^  stg_people:$/  stg_people:\n    materialized: table/' pipeline.yaml
run_json "$T/9.json" run
expect "view to table" "$(executed "$T/9.json")" "stg_people"
expect "now a table" "$(q $W "select type from sqlite_master where name = 'stg_people'")" "table"

# 8. on_schema_change: append_new_columns adds the new column; fail refuses
cat >>pipeline.yaml <<'YAML'
  inc_schema:
    materialized: incremental
    on_schema_change: append_new_columns
    unique_key: id
    sql: "select id, amount from {{ ref('events') }}"
  inc_strict:
    materialized: incremental
    on_schema_change: fail
    unique_key: id
    sql: "select id, amount from {{ ref('events') }}"
YAML
"$DPC" run >"$T/10.out" 2>&1 || fail "adding incremental models: $(cat "$T/10.out")"
sed -i 's/select id, amount from/select id, amount, day from/' pipeline.yaml
run_json "$T/11.json" run
[ $rc -eq 1 ] || fail "on_schema_change: fail should fail the run (exit $rc)"
expect "append_new_columns" "$(status "$T/11.json" inc_schema)" "success"
expect "new column" "$(q $W "select count(*) from pragma_table_info('inc_schema') where name = 'day'")" "1"
expect "fail" "$(status "$T/11.json" inc_strict)" "error"
expect "the failed table is intact" "$(q $W "select count(*) from pragma_table_info('inc_strict')")" "2"
echo "run/$NAME: ok"
