#!/bin/sh
# bench/analyze.sh [DPC]: how fast `dpc analyze --format json` reads a
# repository, and whether its time grows linearly with the repository.
#
# A generator (python3) writes a repository of N dbt models (staging,
# intermediate and mart SQL with refs and sources, properties YAML with
# tests every 50 models, seeds) and M Airflow DAG files (10 to 30 tasks
# each, BashOperator and PythonOperator, a TaskGroup, >> chains and lists,
# default_args), at 1,000 + 200 and at 10,000 + 2,000. Each size is
# analyzed once to warm the page cache, then 5 times; the median counts.
#
# Prints both sizes' wall and CPU (user + system) times and their ratios:
# 10x the files at <= ~11x the CPU time is linear (wall time also counts
# whatever else the machine is doing). The target at 1,000 + 200 is 0.5 s
# wall on a 2-core machine.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
DPC=${1:-$top/build/dpc}
case $DPC in /*) ;; *) DPC=$(pwd)/$DPC ;; esac
PY=${PYTHON:-python3}
work=$(mktemp -d "${TMPDIR:-/tmp}/dpc-analyze-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM

gen() { # gen DIR MODELS DAGS
	"$PY" - "$1" "$2" "$3" <<'EOF'
import os, random, sys

root, nmodels, ndags = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(42)

def write(path, text):
    path = os.path.join(root, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

write("dbt/dbt_project.yml", "name: bench\nversion: '1.0.0'\nconfig-version: 2\nprofile: bench\n"
      "models:\n  bench:\n    marts:\n      +materialized: table\n")
tables = ["t%02d" % i for i in range(20)]
write("dbt/models/staging/_sources.yml", "version: 2\nsources:\n  - name: raw\n    loaded_at_field: _loaded_at\n"
      "    freshness: {warn_after: {count: 12, period: hour}}\n    tables:\n"
      + "".join("      - name: %s\n        columns:\n          - name: id\n            data_tests: [unique, not_null]\n" % t
                for t in tables))
write("dbt/seeds/codes.csv", "code,label\n" + "".join("c%d,label %d\n" % (i, i) for i in range(50)))
names = []
props = []
for i in range(nmodels):
    layer = "staging" if i < nmodels // 4 else "intermediate" if i < nmodels // 2 else "marts"
    prefix = {"staging": "stg", "intermediate": "int", "marts": "fct"}[layer]
    name = "%s_m%05d" % (prefix, i)
    if layer == "staging":
        body = ("with src as (\n    select * from {{ source('raw', '%s') }}\n)\n"
                "select\n    id,\n    cast(updated_at as date) as day,\n    amount / 100.0 as amount,\n"
                "    -- amounts are stored in cents\n    status\n"
                "from src\nwhere status <> 'deleted'\n") % rnd.choice(tables)
    else:
        ups = rnd.sample(names[: max(1, len(names))], min(len(names), rnd.randint(1, 3)))
        ctes = ",\n".join("u%d as (\n    select id, day, amount from {{ ref('%s') }}\n)" % (k, u)
                          for k, u in enumerate(ups))
        joins = "\n".join("left join u%d on u%d.id = u0.id" % (k, k) for k in range(1, len(ups)))
        body = ("{{ config(tags=['nightly']) }}\nwith %s\nselect u0.id, u0.day, sum(u0.amount) as amount\n"
                "from u0\n%s\n{%% if var('full', false) %%}where 1 = 1{%% endif %%}\ngroup by 1, 2\n") % (ctes, joins)
    write("dbt/models/%s/%s.sql" % (layer, name), body)
    names.append(name)
    props.append((layer, name))
    if len(props) == 50 or i == nmodels - 1:
        by = {}
        for l, n in props:
            by.setdefault(l, []).append(n)
        for l, ns in by.items():
            write("dbt/models/%s/_props_%05d.yml" % (l, i), "version: 2\nmodels:\n" + "".join(
                "  - name: %s\n    description: Model %s.\n    columns:\n      - name: id\n"
                "        data_tests: [unique, not_null]\n      - name: status\n        data_tests:\n"
                "          - accepted_values: {values: [new, paid, shipped]}\n" % (n, n) for n in ns))
        props = []

for d in range(ndags):
    ntasks = rnd.randint(10, 30)
    lines = ['"""generated DAG %d"""' % d,
             "from datetime import datetime, timedelta",
             "",
             "from airflow import DAG",
             "from airflow.operators.bash import BashOperator",
             "from airflow.operators.python import PythonOperator",
             "from airflow.utils.task_group import TaskGroup",
             "",
             "",
             "def load(table, **context):",
             "    print('loading', table)",
             "",
             "",
             'default_args = {"owner": "data", "retries": 2, "retry_delay": timedelta(minutes=5)}',
             "",
             "with DAG(",
             '    dag_id="dag_%05d",' % d,
             '    schedule="%d %d * * *",' % (d % 60, d % 24),
             "    start_date=datetime(2024, 1, 1),",
             "    catchup=False,",
             "    default_args=default_args,",
             "    tags=['generated'],",
             ") as dag:"]
    tasks = []
    ngroup = ntasks // 3
    for t in range(ntasks - ngroup):
        if t % 2:
            lines.append('    t%d = BashOperator(task_id="bash_%d", bash_command="echo %d && sleep 1")' % (t, t, t))
        else:
            lines.append('    t%d = PythonOperator(task_id="load_%d", python_callable=load, op_kwargs={"table": "t%d"})'
                         % (t, t, t))
        tasks.append("t%d" % t)
    lines.append('    with TaskGroup(group_id="transform") as transform:')
    for g in range(ngroup):
        lines.append('        g%d = BashOperator(task_id="step_%d", bash_command="dbt run -s m%d")' % (g, g, g))
    for g in range(1, ngroup):
        lines.append("        g%d >> g%d" % (g - 1, g))
    half = len(tasks) // 2
    lines.append("    " + " >> ".join(tasks[:half]) + " >> transform")
    lines.append("    transform >> [" + ", ".join(tasks[half:half + 3]) + "]")
    if len(tasks) > half + 3:
        lines.append("    [" + ", ".join(tasks[half:half + 3]) + "] >> " + " >> ".join(tasks[half + 3:]))
    write("dags/dag_%05d.py" % d, "\n".join(lines) + "\n")
EOF
}

# median of 5 timed runs: wall seconds, then CPU seconds (user + system)
timeit() {
	"$DPC" analyze --format json "$1" >"$work/out.json" 2>"$work/err" || {
		echo "bench: dpc analyze failed on $1:" >&2
		cat "$work/err" >&2
		exit 1
	}
	"$PY" - "$DPC" analyze --format json "$1" <<'EOF'
import resource, subprocess, sys, time
runs = []
for _ in range(5):
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    wall = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    runs.append((wall, r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime))
runs.sort()
print("%.4f %.4f" % runs[2])
EOF
}

gen "$work/small" 1000 200
gen "$work/large" 10000 2000
set -- $(timeit "$work/small")
small=$1 small_cpu=$2
nodes=$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["nodes"]), len(d["edges"]), len(d["dags"]), len(d["warnings"]))' "$work/out.json")
set -- $(timeit "$work/large")
large=$1 large_cpu=$2
nodes_l=$("$PY" -c 'import json, sys; d = json.load(open(sys.argv[1])); print(len(d["nodes"]), len(d["edges"]), len(d["dags"]), len(d["warnings"]))' "$work/out.json")
ratio() { "$PY" -c 'import sys; print("%.2f" % (float(sys.argv[2]) / float(sys.argv[1])))' "$1" "$2"; }
verdict() { if "$PY" -c 'import sys; sys.exit(0 if float(sys.argv[1]) <= float(sys.argv[2]) else 1)' "$1" "$2"; then echo ok; else echo FAIL; fi; }
load=$(cut -d' ' -f1 /proc/loadavg 2>/dev/null || echo "?")
echo "dpc analyze --format json, median of 5 (load average $load on $(nproc 2>/dev/null || echo '?') cores):"
printf '  %-32s %8s %8s   %s\n' "" "wall" "CPU" "nodes/edges/DAGs/warnings"
printf '  %-32s %7.3fs %7.3fs   %s   target 0.5 s wall: %s\n' "1,000 models + 200 DAG files" "$small" "$small_cpu" \
	"$(echo $nodes | tr ' ' '/')" "$(verdict "$small" 0.5)"
printf '  %-32s %7.3fs %7.3fs   %s\n' "10,000 models + 2,000 DAG files" "$large" "$large_cpu" "$(echo $nodes_l | tr ' ' '/')"
r=$(ratio "$small" "$large")
rc=$(ratio "$small_cpu" "$large_cpu")
# linear is judged on CPU time, which other load on the machine does not inflate
printf '  %-32s %7.2fx %7.2fx   linear (CPU <= 11x): %s\n' "ratio" "$r" "$rc" "$(verdict "$rc" 11)"
