#!/usr/bin/env python3
"""fake_analyze.py: stands in for `dpc analyze --format json FILE` in the
scorer's self-check (run.sh). It answers with what NAME.expected.json says,
so score.py must pass it; with FAKE_BREAK=1 it drops a task and an edge,
moves a line and invents an edge and a warning in every DAG, so score.py
must fail it. Not a reader: it never looks at the Python file."""
import json
import os
import sys

if len(sys.argv) != 5 or sys.argv[1:4] != ["analyze", "--format", "json"]:
    print("usage: fake_analyze.py analyze --format json FILE", file=sys.stderr)
    sys.exit(2)
path = sys.argv[4]
with open(path[:-3] + ".expected.json") as f:
    exp = json.load(f)
broken = os.environ.get("FAKE_BREAK") == "1"
dags = []
for d in exp["dags"]:
    tasks = [dict(t) for t in d["tasks"]]
    labels = {(u, v): text for u, v, text in d.get("labels", [])}
    edges = [[u, v, labels[(u, v)]] if (u, v) in labels else [u, v] for u, v in d["edges"]]
    if broken and tasks:
        tasks[0]["line"] += 1
        edges.append([tasks[0]["id"], tasks[-1]["id"] + "_invented"])
        if len(tasks) > 1:
            tasks.pop()
        edges = edges[1:]
    dags.append({"dag_id": d["dag_id"], "file": path, "schedule": d["schedule"],
                 "tasks": tasks, "edges": edges})
diags = [{"file": path, "line": n, "column": 1, "severity": "warning", "message": "cannot be read statically"}
         for n in exp["warnings"]]
if broken:
    diags = diags[1:] + [{"file": path, "line": 1, "column": 1, "severity": "warning", "message": "invented"}]
print(json.dumps({"dags": dags, "diagnostics": diags}, indent=1))
