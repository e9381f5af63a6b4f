#!/bin/sh
# run/noop: with nothing changed since a complete run, dpc run answers
# without compiling the spec: from the state DB's stamps and the record the
# warehouse keeps of that run. Whatever could change the outcome defeats
# it, and the run that follows rebuilds exactly what it must: a source
# table's rows, a macro file (edited or added), --vars, a relation dropped
# behind dpc's back.
. "$(dirname "$0")/lib/common.sh"
P=$T/p
mkdir -p "$P/seeds" "$P/macros"
cd "$P"
cat >pipeline.yaml <<'YAML'
version: 1
project: noop
vars:
  factor: 100
sources:
  src:
    tables:
      events: {}
seeds:
  s: {csv: seeds/s.csv}
models:
  m:
    materialized: table
    sql: "select id, {{ cents('amount') }} as cents from {{ source('src', 'events') }}"
  n:
    sql: "select id, id * {{ var('factor') }} as x from {{ ref('s') }}"
YAML
printf '{%% macro cents(col) %%}{{ col }} * 100{%% endmacro %%}\n' >macros/cents.sql
printf 'id\n1\n2\n' >seeds/s.csv
W=warehouse.db
sqlite3 $W "create table events(id, amount); insert into events values (1, 2.5)"
FAST='no input, var or source table changed'
# settle: let every stamp age past the 2 s in which dpc does not trust it
settle() {
	sleep 2.2
	"$DPC" run >"$T/settle.out" 2>&1 || fail "settling run: $(cat "$T/settle.out")"
}
"$DPC" run >"$T/0.out" 2>&1 || fail "first run: $(cat "$T/0.out")"
settle
t0=$(date +%s%N)
"$DPC" run >"$T/1.out" 2>&1 || fail "no-op run: $(cat "$T/1.out")"
t1=$(date +%s%N)
grep -q "$FAST" "$T/1.out" || fail "not the no-op path: $(cat "$T/1.out")"
ms=$(((t1 - t0) / 1000000))
# what the no-op path leaves: a run_results.json with nothing executed
"$PY" "$TOP/tests/tools/validate_schema.py" "$TOP/specs/dbt/run_results.schema.json" target/run_results.json >/dev/null ||
	fail "the no-op run_results.json"
run_json "$T/1.json" run
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["run_noop"] and d["noop"] and d["results"] == [] and d["exit_code"] == 0, d' "$T/1.json" ||
	fail "the JSON document of a no-op: $(cat "$T/1.json")"

# new rows in a source table
sqlite3 $W "insert into events values (2, 4)"
run_json "$T/2.json" run
expect "a source table changed" "$(executed "$T/2.json")" "m"
expect "m" "$(q $W "select sum(cents) from m")" "650.0"
settle
"$DPC" run >"$T/3.out" 2>&1
grep -q "$FAST" "$T/3.out" || fail "not a no-op again: $(cat "$T/3.out")"

# a macro edited, then a macro file added
printf '{%% macro cents(col) %%}{{ col }} * 1000{%% endmacro %%}\n' >macros/cents.sql
run_json "$T/4.json" run
expect "a macro changed" "$(executed "$T/4.json")" "m"
expect "m with the new macro" "$(q $W "select sum(cents) from m")" "6500.0"
settle
printf '{%% macro unused() %%}1{%% endmacro %%}\n' >macros/other.sql
"$DPC" run >"$T/5.out" 2>&1 || fail "after a new macro file: $(cat "$T/5.out")"
grep -q "$FAST" "$T/5.out" && fail "a new macro file went unnoticed"
grep -q 'nothing to run' "$T/5.out" || fail "a new macro that nothing uses rebuilt something: $(cat "$T/5.out")"

# --vars
settle
run_json "$T/6.json" run --vars '{"factor": 7}'
expect "--vars" "$(executed "$T/6.json")" "n"
expect "n with --vars" "$(q $W "select sum(x) from n")" "21"

# a relation dropped behind dpc's back
run_json "$T/7.json" run
settle
q $W "drop view n"
run_json "$T/8.json" run
expect "a dropped view" "$(executed "$T/8.json")" "n"
echo "run/$NAME: ok (a no-op run took $ms ms)"
