#!/bin/sh
# run/rowcount: the row_count test. On a model and on a source table, with
# min, max, both, where: and severity warn: it passes, warns with the count
# as its sample, and fails (exit 1, what reads the model skipped) when the
# rows leave the bounds; run_results.json validates against its schema.
# Then the generic test the dbt back end writes (tests/generic/dpc_row_count.sql,
# made a macro as dbt makes one of a {% test %} block) is rendered by dpc's
# Jinja with the arguments _models.yml gives it, and must find exactly the
# rows dpc run's own query found: dbt and dpc run judge alike. dpc analyze
# reads the test back from the dbt project as row_count.
. "$(dirname "$0")/lib/common.sh"
P=$T/p
mkdir -p "$P/seeds"
cd "$P"
cat >pipeline.yaml <<'YAML'
version: 1
project: rc
sources:
  src:
    tables:
      events:
        tests:
          - row_count: {min: 2, max: 2}
seeds:
  s:
    csv: seeds/s.csv
models:
  m:
    materialized: table
    sql: "select * from {{ ref('s') }}"
    tests:
      - row_count: {min: 1, max: 3}
      - row_count: {min: 5, severity: warn}
      - row_count: {max: 2, where: "id > 1"}
  after_m:
    sql: "select count(*) as n from {{ ref('m') }}"
YAML
printf '%s\n' id 1 2 3 >seeds/s.csv
W=warehouse.db
sqlite3 $W "create table events(id); insert into events values (1), (2);"
validate() {
	"$PY" "$TOP/tests/tools/validate_schema.py" "$TOP/specs/dbt/run_results.schema.json" target/run_results.json \
		>"$T/v" 2>&1 || fail "$1: run_results.json: $(cat "$T/v")"
}
# results DOC: "name=status/failures" for every test, sorted
results() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted("%s=%s/%s" % (r["name"], r["status"], r.get("failures")) for r in d["results"] if r["kind"] == "test")))' "$1"
}

# 1. within the bounds: pass; below min with severity warn: a warning
run_json "$T/1.json" run
[ $rc -eq 0 ] || fail "within bounds: exit $rc: $(cat "$T/1.json" "$T/1.json.err")"
validate "within bounds"
expect "within bounds" "$(results "$T/1.json")" \
	"row_count_m=pass/0 row_count_m_2=warn/1 row_count_m_3=pass/0 row_count_src_events=pass/0"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
r = {x["name"]: x for x in d["results"]}
assert r["row_count_m_2"]["sample"]["rows"] == [["3"]], r["row_count_m_2"]
rr = {x["unique_id"]: x for x in json.load(open("target/run_results.json"))["results"]}
assert rr["test.rc.row_count_m"]["status"] == "pass", rr
assert rr["test.rc.row_count_m_2"]["status"] == "warn", rr
assert rr["test.rc.row_count_src_events"]["status"] == "pass", rr' "$T/1.json" || fail "the warning in the JSON document"

# 2. above max (and above max where id > 1): fail, exit 1, after_m skipped
printf '%s\n' id 1 2 3 4 5 >seeds/s.csv
"$DPC" run >"$T/2.out" 2>&1 && fail "above max: exit 0: $(cat "$T/2.out")"
grep -q '^FAIL  test.rc.row_count_m: Got 1 result, configured to fail if != 0' "$T/2.out" ||
	fail "above max: $(cat "$T/2.out")"
grep -q 'row_count_m_3 .*FAIL 1' "$T/2.out" || fail "where: $(cat "$T/2.out")"
grep -q 'SKIP .*after_m\|after_m .*SKIP' "$T/2.out" || fail "after_m not skipped: $(cat "$T/2.out")"
validate "above max"
run_json "$T/2.json" test
expect "dpc test, above max" "$(results "$T/2.json")" \
	"row_count_m=fail/1 row_count_m_2=pass/0 row_count_m_3=fail/1 row_count_src_events=pass/0"
# the source table's rows change: its test runs again
sqlite3 $W "insert into events values (3);"
run_json "$T/3.json" test --select source:src.events
expect "a grown source table" "$(results "$T/3.json")" "row_count_src_events=fail/1"

# 3. dbt's macro, rendered by dpc's Jinja, finds what dpc run found (m has 5 rows now)
G=data/dbt/tests/generic/dpc_row_count.sql
[ -f $G ] || fail "no $G"
mkdir -p macros
sed -e 's/{% test dpc_row_count(/{% macro test_dpc_row_count(/' -e 's/{% endtest %}/{% endmacro %}/' $G >macros/judge.sql
grep -q 'macro test_dpc_row_count' macros/judge.sql || fail "$G has no dpc_row_count test: $(cat $G)"
# each judge gets the arguments _models.yml gives its test
"$PY" - data/dbt/models/marts/_models.yml >>pipeline.yaml <<'PY' || fail "judges from _models.yml"
import sys
# _models.yml as dpc writes it (its test args one per line): no YAML library needed
args, cur = [], None
for line in open(sys.argv[1]):
    s = line.strip()
    if s == "- dpc_row_count:":
        cur = {}
        args.append(cur)
    elif cur is not None and s.split(":")[0] in ("min_count", "max_count", "where"):
        k, v = s.split(":", 1)
        cur[k] = v.strip()
    elif cur is not None and s.startswith("- "):
        cur = None
assert len(args) == 3, args
for i, a in enumerate(args):
    # the model as dbt passes it: get_where_subquery's subquery when there is a where
    rel = "'(select * from ' ~ ref('m') ~ ' where %s) as dbt_subquery'" % a["where"] if "where" in a else "ref('m')"
    kw = "".join(", %s=%s" % (k, a[k]) for k in ("min_count", "max_count") if k in a)
    print("  judge_%d:\n    materialized: table\n    sql: |\n      {{ test_dpc_row_count(%s%s) }}" % (i + 1, rel, kw))
PY
"$DPC" run -s "judge_1 judge_2 judge_3" >"$T/4.out" 2>&1 || fail "the judges: $(cat "$T/4.out")"
expect "judges (rows each finds)" \
	"$(q $W "select (select group_concat(row_count) from judge_1), (select group_concat(row_count) from judge_2), (select group_concat(row_count) from judge_3)")" \
	"5||4"

# 4. the round trip: dpc analyze reads dpc_row_count back as row_count, bounds and where kept
"$DPC" analyze data/dbt --emit-spec - >"$T/proposal.yaml" 2>"$T/analyze.err" || fail "analyze: $(cat "$T/analyze.err")"
"$PY" - "$T/proposal.yaml" <<'PY' || fail "the proposal: $(cat "$T/proposal.yaml")"
import re, sys
text = open(sys.argv[1]).read()
# the tests of src.events and m, in order, as flat "key: value" lines after each "- row_count:"
tests = [dict(re.findall(r"^\s+(min|max|severity|where): (.*)$", part, re.M))
         for part in text.split("- row_count:")[1:]]
want = [{"min": "2", "max": "2"}, {"min": "1", "max": "3"}, {"min": "5", "severity": "warn"},
        {"max": "2", "where": "id > 1"}]
assert tests == want, tests
PY
echo "run/$NAME: ok"
