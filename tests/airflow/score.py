#!/usr/bin/env python3
"""score.py: hold `dpc analyze` to the Airflow corpus.

For every tests/airflow/corpus/NAME.py, runs `DPC analyze --format json
NAME.py` and compares what it reports with NAME.expected.json, which says
what Airflow itself builds from the file:

  {"dags": [{"dag_id": ..., "schedule": "as written" | null,
             "tasks": [{"id": ..., "operator": ..., "line": N,
                        "group": "innermost.group", "mapped": true,
                        "setup": true, "teardown": true}, ...],
             "edges": [[up, down], ...],
             "labels": [[up, down, "text"], ...]}],
   (labels: Label(...) on an edge; dpc may give them as a third element of
   an edge, an edge object's "label", or a DAG's own "labels" list)
   "warnings": [line, ...]}

A task counts as found when its DAG, its full id and its operator match; an
edge when its DAG and both ends match. Prints each file's differences, then
precision and recall of tasks and of edges over the whole corpus.

Exit status 1 (0 when all is well) when:
  - precision or recall of tasks or edges is below its threshold (1.0
    unless told otherwise),
  - a DAG is missing or extra,
  - a found task's line, group or mapped flag differs (--no-attrs to skip),
  - an expected warning (by line) is not reported (--no-warnings to skip),
  - dpc crashes, a sanitizer complains, or the output is not JSON,
  - `dpc analyze` does not exist yet.
Report only, never failing: extra warnings, schedules, labels, setup and
teardown flags (the last three only when dpc reports them at all).

Usage: score.py [options] [DPC]     (DPC: argument, else $DPC, else build/dpc)
  --corpus DIR            the corpus (default: tests/airflow/corpus)
  --min X                 every threshold at once
  --tasks-precision X, --tasks-recall X, --edges-precision X, --edges-recall X
  --no-attrs, --no-warnings, --quiet (summary only), --timeout SECONDS
  --only NAME             score one corpus file (repeatable)
Python 3 standard library only.
"""
import argparse
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SANITIZER = re.compile(r"ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:|SUMMARY: \w+Sanitizer")


def norm_sched(s):
    """a schedule as written, compared without layout, outer parentheses or a
    final comma; None and "None" are the same"""
    if s is None:
        return None
    s = str(s).strip()
    if s in ("None", "null", ""):
        return None
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r",\s*([)\]])", r"\1", s)
    s = re.sub(r"([(\[])\s+", r"\1", s)
    s = re.sub(r"\s+([)\]])", r"\1", s)
    while s.startswith("(") and s.endswith(")") and balanced(s[1:-1]):
        s = s[1:-1].strip()
    if len(s) >= 2 and s[0] == s[-1] and s[0] in "'\"":
        s = s[1:-1]
    return s


def balanced(s):
    depth = 0
    for c in s:
        depth += c in "([{"
        depth -= c in ")]}"
        if depth < 0:
            return False
    return depth == 0


def edge_of(e):
    """(up, down, label or None) from the shapes an edge may take"""
    if isinstance(e, (list, tuple)) and len(e) >= 2:
        return str(e[0]), str(e[1]), (e[2] if len(e) > 2 else None)
    if isinstance(e, dict):
        up = e.get("from", e.get("up", e.get("upstream")))
        down = e.get("to", e.get("down", e.get("downstream")))
        if up is not None and down is not None:
            return str(up), str(down), e.get("label")
    return None


def found_warning_lines(doc, path):
    """lines of the diagnostics dpc reported for this file"""
    lines = set()
    base = os.path.basename(path)
    for key in ("diagnostics", "warnings"):
        for g in doc.get(key) or []:
            if isinstance(g, int):
                lines.add(g)
                continue
            if not isinstance(g, dict) or not isinstance(g.get("line"), int):
                continue
            f = g.get("file")
            if f and os.path.basename(str(f)) != base:
                continue
            if g.get("severity", "warning") in ("warning", "error", "note"):
                lines.add(g["line"])
    for d in doc.get("dags") or []:
        for g in d.get("warnings") or []:
            if isinstance(g, int):
                lines.add(g)
            elif isinstance(g, dict) and isinstance(g.get("line"), int):
                lines.add(g["line"])
    return lines


def run_dpc(dpc, path, timeout):
    try:
        p = subprocess.run([dpc, "analyze", "--format", "json", path], capture_output=True,
                           timeout=timeout, cwd=TOP)
    except FileNotFoundError:
        return None, "%s: not found" % dpc, -1
    except subprocess.TimeoutExpired:
        return None, "timed out after %d s" % timeout, -1
    return p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"), p.returncode


def parse(out):
    try:
        doc = json.loads(out)
    except (ValueError, TypeError):
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("dags"), list):
        return None
    return doc


class Tally:
    def __init__(self):
        self.exp_tasks = self.got_tasks = self.ok_tasks = 0
        self.exp_edges = self.got_edges = self.ok_edges = 0
        self.exp_warn = self.ok_warn = self.extra_warn = 0
        self.attr_bad = self.dag_bad = self.file_bad = 0
        self.sched_n = self.sched_ok = 0
        self.label_n = self.label_ok = 0
        self.soft_n = self.soft_ok = 0
        self.saw_labels = self.saw_setup = False
        self.files = 0


def pr(ok, got, exp):
    p = ok / got if got else None
    r = ok / exp if exp else 1.0
    return p, r


def fmt(x):
    return "n/a" if x is None else "%.3f" % x


def score_file(name, path, exp, doc, t, opts, say):
    """compare one file; returns its list of problems (strings)"""
    probs = []
    soft = []
    exp_dags = {d["dag_id"]: d for d in exp["dags"]}
    got_dags = {}
    for d in doc.get("dags") or []:
        if isinstance(d, dict) and "dag_id" in d:
            got_dags.setdefault(str(d["dag_id"]), d)
    for k in exp_dags:
        if k not in got_dags:
            probs.append("missing DAG %s" % k)
            t.dag_bad += 1
    for k in got_dags:
        if k not in exp_dags:
            probs.append("extra DAG %s" % k)
            t.dag_bad += 1

    exp_edges_all, got_edges_all = set(), set()
    for dag_id in sorted(set(exp_dags) | set(got_dags)):
        e = exp_dags.get(dag_id, {"tasks": [], "edges": []})
        g = got_dags.get(dag_id, {"tasks": [], "edges": []})
        et = {x["id"]: x for x in e["tasks"]}
        gt = {}
        for x in g.get("tasks") or []:
            if isinstance(x, dict) and "id" in x:
                gt.setdefault(str(x["id"]), x)
        t.exp_tasks += len(et)
        t.got_tasks += len(gt)
        for tid, x in et.items():
            y = gt.get(tid)
            if y is None:
                probs.append("missing task %s:%s (%s, line %s)" % (dag_id, tid, x["operator"], x["line"]))
                continue
            if str(y.get("operator")) != x["operator"]:
                probs.append("operator %s:%s: expected %s, got %s" % (dag_id, tid, x["operator"], y.get("operator")))
            else:
                t.ok_tasks += 1
            if opts.attrs:
                for a, dflt in (("line", None), ("group", None), ("mapped", False)):
                    want, have = x.get(a, dflt), y.get(a, dflt)
                    if a == "group" and have == "":
                        have = None
                    if want != have:
                        t.attr_bad += 1
                        probs.append("%s %s:%s: expected %s, got %s" % (a, dag_id, tid, json.dumps(want), json.dumps(have)))
            for a in ("setup", "teardown") if t.saw_setup else ():
                if a in y or x.get(a):
                    t.soft_n += 1
                    if bool(x.get(a, False)) == bool(y.get(a, False)):
                        t.soft_ok += 1
                    else:
                        soft.append("%s %s:%s: expected %s, got %s" % (a, dag_id, tid, bool(x.get(a)), bool(y.get(a))))
        for tid, y in gt.items():
            if tid not in et:
                probs.append("extra task %s:%s (%s, line %s)" % (dag_id, tid, y.get("operator"), y.get("line")))

        ee = {(u, d) for u, d in e["edges"]}
        ge, glabels = set(), {}
        for x in g.get("edges") or []:
            ed = edge_of(x)
            if ed is None:
                probs.append("unreadable edge %s in %s" % (json.dumps(x), dag_id))
                continue
            ge.add(ed[:2])
            if ed[2] is not None:
                glabels[ed[:2]] = ed[2]
        for x in g.get("labels") or []:  # [up, down, text] beside the edges
            ed = edge_of(x)
            if ed is not None and ed[2] is not None:
                glabels[ed[:2]] = ed[2]
        t.exp_edges += len(ee)
        t.got_edges += len(ge)
        t.ok_edges += len(ee & ge)
        for u, d in sorted(ee - ge):
            probs.append("missing edge %s: %s -> %s" % (dag_id, u, d))
        for u, d in sorted(ge - ee):
            probs.append("extra edge %s: %s -> %s" % (dag_id, u, d))
        exp_edges_all |= ee
        got_edges_all |= ge
        if t.saw_labels:
            for u, d, text in e.get("labels", []):
                t.label_n += 1
                if glabels.get((u, d)) == text:
                    t.label_ok += 1
                else:
                    soft.append("label %s: %s -> %s: expected %s, got %s" % (dag_id, u, d, json.dumps(text), json.dumps(glabels.get((u, d)))))

        if dag_id in exp_dags and dag_id in got_dags:
            t.sched_n += 1
            want, have = norm_sched(e.get("schedule")), norm_sched(g.get("schedule"))
            if want == have:
                t.sched_ok += 1
            else:
                soft.append("schedule %s: expected %s, got %s" % (dag_id, json.dumps(want), json.dumps(g.get("schedule"))))

    want_w = set(exp.get("warnings", []))
    have_w = found_warning_lines(doc, path)
    t.exp_warn += len(want_w)
    t.ok_warn += len(want_w & have_w)
    t.extra_warn += len(have_w - want_w)
    if opts.warnings:
        for ln in sorted(want_w - have_w):
            probs.append("missing warning at line %d" % ln)
    else:
        for ln in sorted(want_w - have_w):
            soft.append("missing warning at line %d" % ln)
    for ln in sorted(have_w - want_w):
        soft.append("extra warning at line %d (not counted)" % ln)

    if not opts.quiet:
        ntasks = sum(len(d["tasks"]) for d in exp["dags"])
        head = "%s: %s (%d DAGs, %d tasks, %d edges)" % (
            name, "ok" if not probs else "%d problems" % len(probs), len(exp["dags"]), ntasks, len(exp_edges_all))
        say(head)
        for p in probs:
            say("  " + p)
        for p in soft:
            say("  (info) " + p)
    return probs


def main():
    ap = argparse.ArgumentParser(description="score dpc analyze against the Airflow corpus")
    ap.add_argument("dpc", nargs="?", default=os.environ.get("DPC") or os.path.join(TOP, "build", "dpc"))
    ap.add_argument("--corpus", default=os.path.join(HERE, "corpus"))
    ap.add_argument("--min", type=float)
    ap.add_argument("--tasks-precision", type=float, default=1.0)
    ap.add_argument("--tasks-recall", type=float, default=1.0)
    ap.add_argument("--edges-precision", type=float, default=1.0)
    ap.add_argument("--edges-recall", type=float, default=1.0)
    ap.add_argument("--no-attrs", dest="attrs", action="store_false")
    ap.add_argument("--no-warnings", dest="warnings", action="store_false")
    ap.add_argument("--quiet", action="store_true")
    ap.add_argument("--timeout", type=int, default=60)
    ap.add_argument("--only", action="append", default=[])
    opts = ap.parse_args()
    if opts.min is not None:
        opts.tasks_precision = opts.tasks_recall = opts.edges_precision = opts.edges_recall = opts.min
    dpc = opts.dpc
    if os.sep in dpc and not os.path.isabs(dpc):
        dpc = os.path.abspath(dpc)

    names = sorted(f[:-3] for f in os.listdir(opts.corpus)
                   if f.endswith(".py") and os.path.exists(os.path.join(opts.corpus, f[:-3] + ".expected.json")))
    if opts.only:
        names = [n for n in names if n in {o[:-3] if o.endswith(".py") else o for o in opts.only}]
    if not names:
        print("FAIL airflow-corpus: no corpus files in %s" % opts.corpus)
        return 1

    say = print
    t = Tally()
    runs = []
    for i, name in enumerate(names):
        path = os.path.join(opts.corpus, name + ".py")
        with open(os.path.join(opts.corpus, name + ".expected.json")) as f:
            exp = json.load(f)
        out, err, rc = run_dpc(dpc, path, opts.timeout)
        doc = parse(out) if out is not None else None
        if i == 0 and doc is None:
            why = (err or "").strip().splitlines()
            print("FAIL airflow-corpus: dpc analyze not available (%s: %s)" % (
                dpc, why[0] if why else "exit %d, no JSON on stdout" % rc))
            return 1
        runs.append((name, path, exp, doc, err, rc))
    # labels and setup/teardown flags are checked only when dpc reports them
    for _, _, _, doc, _, _ in runs:
        for d in (doc or {}).get("dags") or []:
            for x in d.get("edges") or [] if isinstance(d, dict) else []:
                ed = edge_of(x)
                t.saw_labels = t.saw_labels or (ed is not None and ed[2] is not None)
            t.saw_labels = t.saw_labels or (isinstance(d, dict) and isinstance(d.get("labels"), list))
            for x in d.get("tasks") or [] if isinstance(d, dict) else []:
                t.saw_setup = t.saw_setup or (isinstance(x, dict) and ("setup" in x or "teardown" in x))
    for name, path, exp, doc, err, rc in runs:
        t.files += 1
        if SANITIZER.search(err or "") or rc < 0 or rc > 1 or doc is None:
            t.file_bad += 1
            lines = [l for l in (err or "").splitlines() if l.strip()][:12]
            say("%s: dpc failed (exit %d%s)" % (name, rc, "" if doc is not None else ", no JSON"))
            for l in lines:
                say("  | " + l)
            if doc is None:
                doc = {"dags": []}
        score_file(name, path, exp, doc, t, opts, say)

    tp, trr = pr(t.ok_tasks, t.got_tasks, t.exp_tasks)
    ep, er = pr(t.ok_edges, t.got_edges, t.exp_edges)
    print()
    print("files: %d, DAG mismatches: %d, dpc failures: %d" % (t.files, t.dag_bad, t.file_bad))
    print("tasks: %d expected, %d reported, %d right: P=%s R=%s" % (t.exp_tasks, t.got_tasks, t.ok_tasks, fmt(tp), fmt(trr)))
    print("edges: %d expected, %d reported, %d right: P=%s R=%s" % (t.exp_edges, t.got_edges, t.ok_edges, fmt(ep), fmt(er)))
    print("warnings: %d expected, %d found, %d more reported (not counted)" % (t.exp_warn, t.ok_warn, t.extra_warn))
    print("attributes (line, group, mapped): %s" % ("%d mismatches" % t.attr_bad if opts.attrs else "not checked"))
    print("schedules as written: %d of %d" % (t.sched_ok, t.sched_n))
    print("labels: %s" % ("%d of %d" % (t.label_ok, t.label_n) if t.saw_labels else "not reported"))
    print("setup/teardown flags: %s" % ("%d of %d" % (t.soft_ok, t.soft_n) if t.saw_setup else "not reported"))

    why = []
    for what, val, lim in (("tasks P", tp, opts.tasks_precision), ("tasks R", trr, opts.tasks_recall),
                           ("edges P", ep, opts.edges_precision), ("edges R", er, opts.edges_recall)):
        if val is not None and val < lim:
            why.append("%s %.3f < %.3f" % (what, val, lim))
    if t.dag_bad:
        why.append("%d DAG mismatches" % t.dag_bad)
    if t.file_bad:
        why.append("%d dpc failures" % t.file_bad)
    if opts.attrs and t.attr_bad:
        why.append("%d attribute mismatches" % t.attr_bad)
    if opts.warnings and t.ok_warn < t.exp_warn:
        why.append("%d expected warnings missing" % (t.exp_warn - t.ok_warn))
    line = "airflow-corpus: tasks P=%s R=%s, edges P=%s R=%s" % (fmt(tp), fmt(trr), fmt(ep), fmt(er))
    if why:
        print("FAIL %s (%s)" % (line, "; ".join(why)))
        return 1
    print("PASS %s" % line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
