#!/bin/sh
# tests/airflow_migrate/run.sh DPC_BINARY: dpc migrate airflow, end to end.
#
# project/ is a small dpc project with two Airflow DAG files: daily_etl (a
# PythonOperator whose callable comes from a module, a task group, bash, a
# PostgresOperator dpc has no translation for, retries and retry_delay, a
# cron) and hourly_report (@dag, a preset schedule, a TaskFlow task, an
# EmptyOperator, a Slack operator). In a copy of it:
#
# 1. migrate adds both DAGs to pipeline.yaml (comments kept), builds, and
#    its JSON report holds the counts, what needs a person, and a passing UAT;
#    dpc check passes; the files of stage observe are there and pass the
#    judges (defs.yaml against specs/dagster/airlift.schema.json and
#    defs.schema.json, proxied_state against proxied_state.schema.json);
# 2. the stage edited in the spec changes the files: proxy for some tasks,
#    proxy for a whole DAG (proxied_state, by_key mappings, assets.py, pyflakes);
# 3. migrate refuses a spec that would not compile and writes nothing; then
#    --stage migrated gives one module per DAG with RetryPolicy and a
#    ScheduleDefinition, which runs (runtime.py: the callables, the commands,
#    the untranslated task failing loudly);
# 4. drift: a hand edit makes check fail; an edit to a DAG file rebuilds;
#    dpc graph shows the Airflow nodes; bad --dag paths are refused;
# 5. examples/airflow_migration builds, passes the judges, and its UAT passes.
#
# Prints failures as they happen, then "airflow_migrate: N passed, M failed";
# exits 1 if anything failed, 2 on a usage error. VERBOSE=1 lists passes.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_dpc "$@"
here=$top/tests/airflow_migrate
scratch airflow

# fails NAME CODE CMD...: passes when CMD exits with CODE
fails() {
	name=$1 want=$2
	shift 2
	out=$("$@" 2>&1)
	got=$?
	if [ "$got" -eq "$want" ]; then ok "$name"; else bad "$name (exit $got, not $want)" "$out"; fi
}
# contains FILE TEXT: TEXT (a fixed string, maybe of several lines) is in FILE
contains() {
	"$py" -c 'import sys; sys.exit(0 if sys.argv[2] in open(sys.argv[1]).read() else 1)' "$1" "$2" 2>/dev/null
}
# has FILE TEXT...: each TEXT is in FILE
has() {
	f=$1
	shift
	for text in "$@"; do
		if contains "$f" "$text"; then ok "${f#"$p"/}: has $text"; else
			bad "${f#"$p"/}: lacks $text" "$(head -60 "$f" 2>&1)"
		fi
	done
}
lacks() {
	f=$1
	shift
	for text in "$@"; do
		if contains "$f" "$text"; then bad "${f#"$p"/}: has $text"; else
			ok "${f#"$p"/}: lacks $text"
		fi
	done
}
# pyjson FILE EXPR NAME: a Python assertion over the JSON document in FILE (d)
pyjson() {
	run "$3" "$py" -c "
import json, sys
d = json.load(open(sys.argv[1]))
r = {x['dag_id']: x for x in d['report']['dags']}
assert $2, json.dumps(d, indent=1)[:3000]
" "$1"
}
# judge the dg project: defs.yaml, proxied state, Python
judges() {
	label=$1
	if [ -e "$y" ]; then
		run "$label: defs.yaml (defs.schema.json)" "$py" "$top/tests/judges/validate_defs.py" "$y"
		run "$label: defs.yaml (airlift.schema.json)" "$py" "$top/tests/judges/validate_defs.py" \
			--schema "$top/specs/dagster/airlift.schema.json" "$y"
	fi
	for st in "$d"/proxied_state/*.yaml; do
		[ -e "$st" ] || continue
		run "$label: ${st##*/} (proxied_state.schema.json)" "$py" -c '
import json, sys, jsonschema, yaml
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator(schema).validate(yaml.safe_load(open(sys.argv[2])))
' "$top/specs/dagster/proxied_state.schema.json" "$st"
	done
	find "$d" -name '*.py' | sort >"$tmp/py"
	# shellcheck disable=SC2046
	run "$label: Python (pycheck)" sh "$top/tests/judges/pycheck.sh" $(cat "$tmp/py")
	run "$label: dpc check" sh -c "cd '$p' && '$dpc' check"
}

p=$tmp/p
cp -R "$here/project" "$p"
rm -rf "$p/data" "$p/.dpc"
cp "$p/pipeline.yaml" "$tmp/spec.before"
d=$p/data/dagster
pkg=$d/src/legacy_etl/defs
y=$pkg/airflow/defs.yaml

# 1. migrate both DAGs: observe
if (cd "$p" && "$dpc" migrate airflow --format json --dag dags/daily_etl.py dags/hourly_report.py) >"$tmp/m1.json" 2>"$tmp/m1.err"; then
	ok "migrate: exit 0"
else
	bad "migrate: exit $?" "$(cat "$tmp/m1.err" "$tmp/m1.json")"
fi
pyjson "$tmp/m1.json" "d['ok'] and d['spec']['added'] == ['daily_etl', 'hourly_report'] and d['spec']['written']" \
	"migrate: the spec gained both DAGs"
pyjson "$tmp/m1.json" "d['report']['uat_pass'] and all(x['uat']['status'] == 'pass' for x in r.values())" \
	"migrate: UAT passes"
pyjson "$tmp/m1.json" "r['daily_etl']['tasks'] == {'total': 5, 'translated': 4} and r['daily_etl']['edges'] == {'total': 4, 'translated': 4}" \
	"report: daily_etl's tasks and edges"
pyjson "$tmp/m1.json" "r['hourly_report']['tasks'] == {'total': 4, 'translated': 3} and r['hourly_report']['edges'] == {'total': 3, 'translated': 3}" \
	"report: hourly_report's tasks and edges"
pyjson "$tmp/m1.json" "r['daily_etl']['uat']['airflow_edges'] == 4 and r['daily_etl']['uat']['dagster_edges'] == 4 and not r['daily_etl']['uat']['missing']" \
	"report: daily_etl's graph edge for edge"
pyjson "$tmp/m1.json" "any(n['task'] == 'load' and 'PostgresOperator' in n['what'] for n in r['daily_etl']['needs_person'])" \
	"report: the PostgresOperator needs a person"
pyjson "$tmp/m1.json" "any(n['task'] == 'alert' and 'SlackWebhookOperator' in n['what'] for n in r['hourly_report']['needs_person'])" \
	"report: the Slack operator needs a person"
pyjson "$tmp/m1.json" "any(n['task'] == 'build_report' and 'DAG file' in n['what'] for n in r['hourly_report']['needs_person'])" \
	"report: a TaskFlow function in the DAG file needs a person"
pyjson "$tmp/m1.json" "{t['id']: t.get('retries') for t in r['daily_etl']['task_list']} == {'extract': 2, 'transform.clean': 4, 'transform.dedupe': 2, 'load': None, 'notify': None}" \
	"report: retries from default_args and the tasks"
pyjson "$tmp/m1.json" "r['daily_etl']['schedule'] == {'airflow': '0 3 * * *', 'dagster': '0 3 * * *', 'from': 'spec'} and r['hourly_report']['schedule']['dagster'] == '@hourly'" \
	"report: the schedules"
s=$p/pipeline.yaml
has "$s" "# section below this comment; the comment and the rest stay as they are." \
	"  customers: {csv: seeds/customers.csv}   # kept as written by migrate" \
	"airflow:" "    daily_etl:" "      file: dags/daily_etl.py" '      schedule: "0 3 * * *"' \
	"      stage: observe" "    hourly_report:" '      schedule: "@hourly"'
# the spec's own lines are all still there, in order
run "spec: the user's lines kept" sh -c "head -n $(wc -l <"$tmp/spec.before") '$s' | cmp - '$tmp/spec.before'"
has "$y" "type: dagster_airlift.core.components.AirflowInstanceComponent" \
	"webserver_url: '{{ env.AIRFLOW_URL }}'" "password: '{{ env.AIRFLOW_PASSWORD }}'" \
	"- dag_id: daily_etl" "- task_id: transform.clean" "key: airflow/daily_etl/transform__clean" \
	"- airflow/daily_etl/extract" "kinds: [airflow]"
lacks "$y" "by_key"
has "$d/proxied_state/daily_etl.yaml" "- id: extract" "- id: transform.dedupe"
lacks "$d/proxied_state/daily_etl.yaml" "proxied: true"
has "$d/pyproject.toml" '"dagster-airlift[core]>=0.28.3,<1"'
judges observe
if [ -e "$pkg/airflow_migrated" ] || [ -e "$pkg/airflow/daily_etl" ]; then bad "observe: wrote asset modules"; else
	ok "observe: no asset modules"
fi

# 2. the stage, edited in the spec: some tasks of daily_etl, all of hourly_report
"$py" - "$s" <<'EOF'
import sys
p = sys.argv[1]
t = open(p).read()
head, tail = t.split("    hourly_report:")
head = head.replace("      stage: observe", "      stage: proxy\n      proxied: [extract, transform.clean]")
tail = tail.replace("stage: observe", "stage: proxy")
open(p, "w").write(head + "    hourly_report:" + tail)
EOF
run "proxy: dpc build" sh -c "cd '$p' && '$dpc' build"
has "$d/proxied_state/daily_etl.yaml" "- id: extract
  proxied: true" "- id: transform.clean
  proxied: true" "- id: load
  proxied: false"
has "$d/proxied_state/hourly_report.yaml" "proxied: true"
lacks "$d/proxied_state/hourly_report.yaml" "tasks:"
has "$y" "- by_key: airflow/daily_etl/extract" "- by_key: airflow/daily_etl/transform__clean" \
	"key: airflow/daily_etl/transform__dedupe" "- dag_id: hourly_report
    assets:
    - by_key: airflow/hourly_report/start"
a=$pkg/airflow/daily_etl/assets.py
has "$a" 'key=dg.AssetKey(["airflow", "daily_etl", "extract"]),' \
	'key=dg.AssetKey(["airflow", "daily_etl", "transform__clean"]),' \
	'retry_policy=dg.RetryPolicy(max_retries=4, delay=300),' 'from etl.transform import clean_orders'
lacks "$a" '"transform__dedupe"]),
    description' 'ScheduleDefinition'
has "$pkg/airflow/hourly_report/assets.py" '_from_dag_file("build_report")()' \
	'tags={"dpc/untranslated": "SlackWebhookOperator"},'
judges proxy
(cd "$p" && "$dpc" migrate airflow --format json) >"$tmp/m2.json" 2>&1
pyjson "$tmp/m2.json" "d['report']['uat_pass'] and r['daily_etl']['proxied'] == 'tasks' and r['hourly_report']['proxied'] == 'dag'" \
	"proxy: report and UAT"
pyjson "$tmp/m2.json" "any('proxying_to_dagster' in n['what'] for n in r['daily_etl']['needs_person'])" \
	"proxy: the DAG file's edit needs a person"
pyjson "$tmp/m2.json" "[t['runs_in'] for t in r['daily_etl']['task_list']] == ['dagster', 'dagster', 'airflow', 'airflow', 'airflow']" \
	"proxy: what runs where"

# 3. a stage that does not compile with proxied: refused, nothing written
cp "$s" "$tmp/spec.proxy"
fails "migrate: refuses an edit that does not compile" 2 sh -c "cd '$p' && '$dpc' migrate airflow --stage migrated --dag dags/daily_etl.py"
run "migrate: nothing written on refusal" cmp "$s" "$tmp/spec.proxy"
grep -v "proxied: \[extract" "$s" >"$tmp/spec.noproxied" && cp "$tmp/spec.noproxied" "$s"
if (cd "$p" && "$dpc" migrate airflow --stage migrated --dag dags/daily_etl.py dags/hourly_report.py) >"$tmp/m3.txt" 2>&1; then
	ok "migrated: migrate --stage migrated"
else
	bad "migrated: migrate --stage migrated" "$(cat "$tmp/m3.txt")"
fi
has "$tmp/m3.txt" "DAG daily_etl (dags/daily_etl.py), stage migrated" "UAT: pass: 4 of 4 Airflow edges" \
	"load: not translated: dpc has no translation for PostgresOperator" \
	"pause DAG daily_etl in Airflow, then start schedule airflow_daily_etl"
has "$s" "      stage: migrated"
lacks "$s" "stage: proxy" "stage: observe"
m=$pkg/airflow_migrated/daily_etl.py
has "$m" 'retry_policy=dg.RetryPolicy(max_retries=2, delay=30),' 'subprocess.run(["bash", "-c", "echo dedupe' \
	'extract_orders(**{"table": "orders", "limit": 100})' 'name="airflow_daily_etl",' \
	'cron_schedule="0 3 * * *",' 'default_status=dg.DefaultScheduleStatus.STOPPED,' \
	'raise NotImplementedError('
has "$pkg/airflow_migrated/hourly_report.py" 'cron_schedule="0 * * * *",  # @hourly'
for f in "$y" "$d/proxied_state/daily_etl.yaml" "$pkg/airflow/daily_etl/assets.py"; do
	if [ -e "$f" ]; then bad "migrated: ${f#"$p"/} is still there"; else ok "migrated: ${f#"$p"/} deleted"; fi
done
lacks "$d/pyproject.toml" "dagster-airlift"
judges migrated
: >"$tmp/log"
"$py" "$here/runtime.py" "$m" "$p" "$tmp/log" >"$tmp/run.txt" 2>&1
cat >"$tmp/run.want" <<'EOF'
airflow/daily_etl/extract [] retries=2 delay=300: ok
airflow/daily_etl/transform__clean [airflow/daily_etl/extract] retries=4 delay=300: ok
airflow/daily_etl/transform__dedupe [airflow/daily_etl/transform__clean] retries=2 delay=30: ok
airflow/daily_etl/load [airflow/daily_etl/transform__dedupe] no retries: NotImplementedError: Airflow task load of DAG daily_etl (dags/daily_etl.py:36) was not translated: dpc has no translation for PostgresOperator. Write this asset by hand.
airflow/daily_etl/notify [airflow/daily_etl/load] no retries: ok
schedule airflow_daily_etl 0 3 * * * STOPPED [airflow/daily_etl/extract,airflow/daily_etl/transform__clean,airflow/daily_etl/transform__dedupe,airflow/daily_etl/load,airflow/daily_etl/notify]
EOF
run "migrated: the assets run (runtime.py)" diff "$tmp/run.want" "$tmp/run.txt"
printf 'extract orders 100\nclean\ndedupe\nnotify\n' >"$tmp/log.want"
run "migrated: what the tasks did" diff "$tmp/log.want" "$tmp/log"

# 4. drift, inputs, graph, refusals
printf '# my change\n' >>"$m"
fails "drift: check fails after a hand edit" 1 sh -c "cd '$p' && '$dpc' check"
fails "drift: build stops" 1 sh -c "cd '$p' && '$dpc' build"
run "drift: build --force" sh -c "cd '$p' && '$dpc' build --force"
run "drift: check passes again" sh -c "cd '$p' && '$dpc' check"
printf '    archive = BashOperator(task_id="archive", bash_command="echo archive")\n    notify >> archive\n' \
	>>"$p/dags/daily_etl.py"
run "input: build after the DAG file changed" sh -c "cd '$p' && '$dpc' build"
has "$m" 'key=dg.AssetKey(["airflow", "daily_etl", "archive"]),' \
	'        dg.AssetKey(["airflow", "daily_etl", "notify"]),'
run "graph: the Airflow nodes and edges" sh -c "cd '$p' && '$dpc' graph --format json | '$py' -c '
import json, sys
d = json.load(sys.stdin)
kinds = {n[\"id\"]: n[\"kind\"] for n in d[\"nodes\"]}
assert kinds[\"airflow_dag.daily_etl\"] == \"airflow_dag\", kinds
assert kinds[\"airflow_task.daily_etl/transform.clean\"] == \"airflow_task\", kinds
assert [\"airflow_task.daily_etl/extract\", \"airflow_task.daily_etl/transform.clean\"] in d[\"edges\"], d[\"edges\"]
assert [\"airflow_task.daily_etl/notify\", \"airflow_task.daily_etl/archive\"] in d[\"edges\"], d[\"edges\"]
'"
has "$p/data/assets/registry.json" '"id":"airflow_task.daily_etl/archive","kind":"airflow_task"'
cp "$s" "$tmp/spec.last"
fails "refuse: --dag out of the project" 2 sh -c "cd '$p' && '$dpc' migrate airflow --dag ../x.py"
fails "refuse: a file with no DAG" 2 sh -c "cd '$p' && '$dpc' migrate airflow --dag dags/etl/extract.py"
fails "refuse: an unknown stage" 2 sh -c "cd '$p' && '$dpc' migrate airflow --stage migrating --dag dags/daily_etl.py"
fails "refuse: migrate from something else" 2 sh -c "cd '$p' && '$dpc' migrate luigi --dag dags/daily_etl.py"
run "refuse: the spec untouched" cmp "$s" "$tmp/spec.last"
# the dag_id must be in its file, with a did-you-mean
sed 's/^    daily_etl:/    daily_etI:/' "$tmp/spec.last" >"$s"
fails "spec: a DAG its file does not define" 2 sh -c "cd '$p' && '$dpc' check"
(cd "$p" && "$dpc" check) 2>"$tmp/check.err" >/dev/null
has "$tmp/check.err" "error: dags/daily_etl.py defines no DAG 'daily_etI'" "did you mean 'daily_etl'?"
# proxied tasks must be tasks of the DAG, with a did-you-mean
"$py" - "$tmp/spec.last" "$s" <<'PY'
import sys
t = open(sys.argv[1]).read().replace("      stage: migrated", "      stage: proxy\n      proxied: [extrac]", 1)
open(sys.argv[2], "w").write(t)
PY
(cd "$p" && "$dpc" check) 2>"$tmp/check.err" >/dev/null
has "$tmp/check.err" "error: proxied: DAG 'daily_etl' in dags/daily_etl.py has no task 'extrac'" "did you mean 'extract'?"
cp "$tmp/spec.last" "$s"

# 5. the example: builds, and its report's UAT passes
p=$tmp/example
cp -R "$top/examples/airflow_migration" "$p"
rm -rf "$p/data" "$p/.dpc"
(cd "$p" && "$dpc" migrate airflow --format json) >"$tmp/ex.json" 2>&1
pyjson "$tmp/ex.json" "d['ok'] and d['report']['uat_pass'] and sorted(r) == ['marketing_weekly', 'orders_daily']" \
	"example: builds, UAT passes"
d=$p/data/dagster
y=$d/src/shop/defs/airflow/defs.yaml
judges example

summary airflow_migrate
