#!/bin/sh
# run/datatests: every kind of data test dpc run runs (unique, not_null,
# accepted_values quoted and not, relationships to a seed and to a source
# table, model-level tests on an expression, where:, singular tests), with
# severity warn, the failing rows' sample and dbt's exit codes; a failing
# test skips what reads the node it tests; source freshness passes, warns
# and errors; dpc test runs tests alone. Every run_results.json written
# validates against specs/dbt/run_results.schema.json.
. "$(dirname "$0")/lib/common.sh"
P=$T/p
mkdir -p "$P/seeds"
cd "$P"
cat >pipeline.yaml <<'YAML'
version: 1
project: chk
sources:
  src:
    freshness: {field: loaded_at, warn_after: 1h, error_after: 1d}
    tables:
      fresh_t: {}
      warn_t: {}
      stale_t: {}
      epoch_t:
        freshness: {field: ts, warn_after: 1h}
      parents:
        freshness: null
        columns:
          id: {tests: [unique, not_null]}
seeds:
  s:
    csv: seeds/s.csv
    columns:
      id: {type: integer, tests: [unique, not_null]}
      kind: {tests: [{accepted_values: [a, b]}]}
      n: {tests: [{accepted_values: {values: [1, 2, 3], quote: false}}]}
      ref_id:
        tests:
          - relationships: p.id
          - relationships: {to: src.parents, field: id}
  p:
    csv: seeds/p.csv
models:
  m:
    materialized: table
    sql: "select * from {{ ref('s') }} union all select * from {{ ref('s') }} where id >= 100"
    columns:
      id:
        tests:
          - unique: {where: "id < 100"}
      kind:
        tests:
          - not_null: {severity: warn}
    tests:
      - unique: {column: "coalesce(kind, '') || n", where: "id < 100"}
tests:
  singular_pass:
    sql: "select * from {{ ref('m') }} where id < 0"
  singular_warn:
    severity: warn
    sql: "select id from {{ ref('m') }} where kind is null"
YAML
printf '%s\n' 'id,kind,n,ref_id' '1,a,1,10' '2,b,2,20' '3,,3,' '100,a,1,10' >seeds/s.csv
printf '%s\n' 'id' '10' '20' >seeds/p.csv
W=warehouse.db
sqlite3 $W "create table fresh_t(loaded_at); insert into fresh_t values (datetime('now', '-5 minutes'));
	create table warn_t(loaded_at); insert into warn_t values (datetime('now', '-2 hours'));
	create table stale_t(loaded_at); insert into stale_t values (datetime('now', '-3 days'));
	create table epoch_t(ts); insert into epoch_t values (strftime('%s', 'now') - 60);
	create table parents(id); insert into parents values (10), (20);"
validate() {
	"$PY" "$TOP/tests/tools/validate_schema.py" "$TOP/specs/dbt/run_results.schema.json" target/run_results.json \
		>"$T/v" 2>&1 || fail "$1: run_results.json: $(cat "$T/v")"
}
# statuses DOC: "name=status" for every test and freshness check, sorted
statuses() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s=%s" % (r["name"], r["status"]) for r in d["results"] if r["kind"] in ("test", "freshness"))))' "$1"
}

# 1. passing data; freshness passes, warns, and (excluded here) would error
run_json "$T/1.json" run --exclude source:src.stale_t
[ $rc -eq 0 ] || fail "passing data: exit $rc: $(cat "$T/1.json" "$T/1.json.err")"
validate "passing data"
expect "passing data" "$(statuses "$T/1.json")" "$(echo \
	accepted_values_s_kind=pass accepted_values_s_n=pass not_null_m_kind=warn not_null_s_id=pass \
	not_null_src_parents_id=pass relationships_s_ref_id=pass relationships_s_ref_id_2=pass singular_pass=pass \
	singular_warn=warn src.epoch_t=pass src.fresh_t=pass src.warn_t=warn unique_m_coalesce_kind_n=pass \
	unique_m_id=pass unique_s_id=pass unique_src_parents_id=pass | tr ' ' '\n' | sort | tr '\n' ' ' | sed 's/ $//')"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["results"]}
assert r["not_null_m_kind"]["failures"] == 1, r["not_null_m_kind"]
assert r["not_null_m_kind"]["sample"]["rows"][0][0] == "3", r["not_null_m_kind"]
assert "2.0 hours old" in r["src.warn_t"]["message"], r["src.warn_t"]' "$T/1.json" || fail "warnings in the JSON document"
# the stale source is an error (exit 1), freshness is never "up to date"
run_json "$T/2.json" run --select source:src.stale_t
[ $rc -eq 1 ] || fail "a stale source: exit $rc"
expect "stale source" "$(status "$T/2.json" src.stale_t)" "error"
validate "stale source"
run_json "$T/2b.json" run --select source:src.fresh_t
expect "freshness runs every time" "$(status "$T/2b.json" src.fresh_t)" "pass"

# 2. passing tests whose inputs did not change are up to date; dpc test runs them all
run_json "$T/3.json" run --exclude source:src.stale_t
expect "tests up to date" "$(status "$T/3.json" unique_s_id)" "up to date"
run_json "$T/4.json" test --select s
[ $rc -eq 0 ] || fail "dpc test: exit $rc"
expect "dpc test" "$(statuses "$T/4.json")" "$(echo accepted_values_s_kind=pass accepted_values_s_n=pass not_null_s_id=pass \
	relationships_s_ref_id=pass relationships_s_ref_id_2=pass unique_s_id=pass)"
expect "dpc test builds nothing" "$(executed "$T/4.json")" ""
validate "dpc test"

# 3. failing data: each test kind fails with its rows; what reads s is skipped
m_before=$(q $W "select count(*) from m")
printf '%s\n' 'id,kind,n,ref_id' '1,a,1,10' '1,c,7,30' >seeds/s.csv
run_json "$T/5.json" run --exclude source:src.stale_t
[ $rc -eq 1 ] || fail "failing tests: exit $rc"
validate "failing tests"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["results"]}
want = {"unique_s_id": "fail", "not_null_s_id": "pass", "accepted_values_s_kind": "fail",
        "accepted_values_s_n": "fail", "relationships_s_ref_id": "fail", "relationships_s_ref_id_2": "fail",
        "m": "skipped", "unique_m_id": "skipped", "singular_pass": "skipped",
        "unique_src_parents_id": "up to date"}
for k, v in want.items():
    assert r[k]["status"] == v, (k, r[k])
assert r["unique_s_id"]["failures"] == 1 and r["unique_s_id"]["sample"]["rows"] == [["1", "2"]], r["unique_s_id"]
assert r["accepted_values_s_kind"]["sample"]["rows"][0][0] == "c", r["accepted_values_s_kind"]
assert r["accepted_values_s_n"]["sample"]["rows"][0][0] == "7", r["accepted_values_s_n"]
assert r["relationships_s_ref_id"]["sample"]["rows"] == [["30"]], r["relationships_s_ref_id"]
assert "a test of upstream seed.chk.s failed" in r["m"]["message"], r["m"]' "$T/5.json" || fail "failing tests in the JSON document"
# failed tests run again (a failure is never up to date), and say so in text
"$DPC" run --exclude source:src.stale_t >"$T/5.out" 2>&1 && fail "failing tests: exit 0"
grep -q '^FAIL  test.chk.accepted_values_s_kind: Got 1 result, configured to fail if != 0' "$T/5.out" ||
	fail "the summary: $(cat "$T/5.out")"
grep -q 'value_field | n_records' "$T/5.out" || fail "no sample of failing rows: $(cat "$T/5.out")"
expect "m is as it was" "$(q $W "select count(*) from m")" "$m_before"
echo "run/$NAME: ok"
