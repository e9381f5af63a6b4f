#!/usr/bin/env python3
"""check.py: the assertions of tests/analyze/run.sh, one command each.

  check.py graph REPO.json          nodes, kinds, places and edges of the fixture repo
  check.py warnings REPO.json       the bad inputs each gave a warning naming the file
  check.py dags FILE.json PATH      the dags array of a one-file analysis
  check.py roundtrip ORIG BUILT     the dbt project dpc built from the proposed spec
                                    has the models, SQL, sources and tests of ORIG

Prints "PASS name" or "FAIL name: why" per check; exits 1 if any failed.
Python 3 standard library and PyYAML (python3-yaml) only."""
import glob
import json
import os
import re
import sys

failed = False


def check(name, ok, why=""):
    global failed
    if ok:
        print("PASS %s" % name)
    else:
        failed = True
        print("FAIL %s: %s" % (name, why))


def load(path):
    with open(path) as f:
        return json.load(f)


def graph(path):
    d = load(path)
    nodes = {n["id"]: n for n in d["nodes"]}
    edges = {(e["from"], e["to"], e["kind"]) for e in d["edges"]}

    def has(id_, kind, file=None, line=None):
        n = nodes.get(id_)
        if not n:
            return "no node %s" % id_
        if n["kind"] != kind:
            return "%s is a %s, not a %s" % (id_, n["kind"], kind)
        if file and n.get("file") != file:
            return "%s is in %s, not %s" % (id_, n.get("file"), file)
        if line and n.get("line") != line:
            return "%s is at line %s, not %s" % (id_, n.get("line"), line)
        return None

    def nodes_ok(name, want):
        probs = [p for p in (has(*w) for w in want) if p]
        check(name, not probs, "; ".join(probs))

    def edges_ok(name, want, absent=()):
        missing = [e for e in want if e not in edges]
        extra = [e for e in absent if any(x[0] == e[0] and x[1] == e[1] for x in edges)]
        check(name, not missing and not extra,
              "missing %s; unexpected %s" % (missing, extra))

    check("json-shape", all(k in d for k in ("nodes", "edges", "dags", "warnings", "summary")) and
          all({"id", "kind", "name"} <= set(n) for n in d["nodes"]) and
          all({"from", "to", "kind"} <= set(e) for e in d["edges"]),
          "top-level keys %s" % sorted(d))
    dangling = [e for e in d["edges"] if e["from"] not in nodes or e["to"] not in nodes]
    check("edges-resolve", not dangling, "edges to unknown nodes: %s" % dangling[:3])
    check("sorted", [n["id"] for n in d["nodes"]] == sorted(nodes), "nodes not sorted by id")

    shop = "shop/models/"
    nodes_ok("dbt-nodes", [
        ("dbt_model:stg_orders", "dbt_model", shop + "staging/stg_orders.sql", 1),
        ("dbt_model:revenue_daily", "dbt_model", shop + "marts/finance/revenue_daily.sql"),
        ("dbt_seed:country_codes", "dbt_seed", "shop/seeds/country_codes.csv"),
        ("dbt_source:raw.orders", "dbt_source", shop + "staging/_sources.yml", 12),
        ("dbt_source:raw.payments", "dbt_source", shop + "staging/_sources.yml", 19),
        ("dbt_test:unique_stg_orders_order_id", "dbt_test", shop + "staging/_staging.yml", 11),
        ("dbt_test:relationships_stg_payments_order_id", "dbt_test"),
        ("dbt_test:assert_positive_revenue", "dbt_test", "shop/tests/assert_positive_revenue.sql"),
    ])
    mat = {n["name"]: n.get("materialized") for n in d["nodes"] if n["kind"] == "dbt_model"}
    check("dbt-materialized", mat == {"stg_orders": "view", "stg_customers": "view", "stg_payments": "view",
                                      "dim_customers": "table", "fct_orders": "table",
                                      "revenue_daily": "incremental"}, str(mat))
    check("dbt-macros-not-models", "dbt_model:cents" not in nodes and
          not any(n["kind"] == "sql_script" and n["name"].startswith("shop/") for n in d["nodes"]),
          "a macro or dbt file became a model or script")
    edges_ok("dbt-edges", [
        ("dbt_source:raw.orders", "dbt_model:stg_orders", "source"),
        ("dbt_model:stg_orders", "dbt_model:fct_orders", "ref"),
        ("dbt_model:stg_payments", "dbt_model:fct_orders", "ref"),
        ("dbt_seed:country_codes", "dbt_model:dim_customers", "ref"),
        ("dbt_model:fct_orders", "dbt_model:revenue_daily", "ref"),
        ("dbt_model:revenue_daily", "dbt_test:assert_positive_revenue", "ref"),
        ("dbt_model:stg_orders", "dbt_test:unique_stg_orders_order_id", "test"),
        ("dbt_source:raw.orders", "dbt_test:relationships_stg_payments_order_id", "test"),
    ])

    nodes_ok("airflow-nodes", [
        ("airflow_dag:daily_etl", "airflow_dag", "dags/daily_etl.py", 11),
        ("airflow_task:daily_etl.extract", "airflow_task", "dags/daily_etl.py", 19),
        ("airflow_task:daily_etl.transform.clean", "airflow_task", "dags/daily_etl.py", 21),
    ])
    check("airflow-task-attrs", nodes.get("airflow_task:daily_etl.extract", {}).get("operator") == "BashOperator"
          and nodes.get("airflow_task:daily_etl.extract", {}).get("dag") == "daily_etl",
          str(nodes.get("airflow_task:daily_etl.extract")))
    edges_ok("airflow-edges", [
        ("airflow_task:daily_etl.start", "airflow_task:daily_etl.extract", "airflow"),
        ("airflow_task:daily_etl.extract", "airflow_task:daily_etl.transform.clean", "airflow"),
        ("airflow_task:daily_etl.transform.clean", "airflow_task:daily_etl.transform.marts", "airflow"),
        ("airflow_task:daily_etl.transform.marts", "airflow_task:daily_etl.done", "airflow"),
    ])

    a = "orchestration/assets.py"
    nodes_ok("dagster-nodes", [
        ("dagster_asset:raw_events", "dagster_asset", a, 7),
        ("dagster_asset:event_counts", "dagster_asset", a, 12),
        ("dagster_asset:event_summary", "dagster_asset", a, 17),
        ("dagster_asset:orders_report", "dagster_asset", a, 22),
        ("dagster_asset:left_half", "dagster_asset", a),
        ("dagster_asset:right_half", "dagster_asset", a),
    ])
    check("dagster-group", nodes.get("dagster_asset:raw_events", {}).get("group") == "ingest",
          str(nodes.get("dagster_asset:raw_events")))
    edges_ok("dagster-edges", [
        ("dagster_asset:raw_events", "dagster_asset:event_counts", "deps"),
        ("dbt_model:stg_orders", "dagster_asset:event_counts", "deps"),
        ("dagster_asset:raw_events", "dagster_asset:event_summary", "deps"),
        ("dagster_asset:event_counts", "dagster_asset:event_summary", "argument"),
        ("dagster_asset:event_summary", "dagster_asset:orders_report", "deps"),
        ("dbt_model:dim_customers", "dagster_asset:orders_report", "argument"),
        ("dagster_asset:raw_events", "dagster_asset:left_half", "deps"),
    ], absent=[("dagster_asset:context", "dagster_asset:event_summary")])

    p = "pipelines/github_pipeline.py"
    nodes_ok("dlt-nodes", [
        ("dlt_resource:issues", "dlt_resource", p, 7),
        ("dlt_resource:stargazers", "dlt_resource", p, 12),
        ("dlt_resource:issue_comments", "dlt_resource", p, 17),
        ("dlt_source:github", "dlt_source", p, 22),
        ("dlt_pipeline:github_to_duckdb", "dlt_pipeline", p, 27),
    ])
    check("dlt-destination", nodes.get("dlt_pipeline:github_to_duckdb", {}).get("destination") == "duckdb",
          str(nodes.get("dlt_pipeline:github_to_duckdb")))
    edges_ok("dlt-edges", [
        ("dlt_resource:issues", "dlt_source:github", "yields"),
        ("dlt_resource:stargazers", "dlt_source:github", "yields"),
        ("dlt_resource:issues", "dlt_resource:issue_comments", "data_from"),
        ("dlt_source:github", "dlt_pipeline:github_to_duckdb", "run"),
        ("dlt_resource:issue_comments", "dlt_pipeline:github_to_duckdb", "run"),
    ])

    s = "sql/load_orders.sql"
    nodes_ok("sql-nodes", [
        ("sql_script:" + s, "sql_script", s),
        ("sql_table:analytics.orders_clean", "sql_table", s, 3),
        ("sql_table:analytics.daily_revenue", "sql_table", s, 11),
        ("sql_table:raw.orders", "sql_table", s, 5),
        ("sql_table:raw.refunds", "sql_table", s, 14),
        ("sql_table:Raw.Customers", "sql_table", "sql/reports/top_customers.sql"),
        ("sql_table:reports.top_customers", "sql_table", "sql/reports/top_customers.sql", 1),
    ])
    edges_ok("sql-edges", [
        ("sql_script:" + s, "sql_table:analytics.orders_clean", "writes"),
        ("sql_script:" + s, "sql_table:analytics.daily_revenue", "writes"),
        ("sql_table:raw.orders", "sql_script:" + s, "reads"),
        ("sql_table:raw.customers", "sql_script:" + s, "reads"),
        ("sql_table:raw.refunds", "sql_script:" + s, "reads"),
        ("sql_table:analytics.daily_revenue", "sql_script:sql/reports/top_customers.sql", "reads"),
    ], absent=[("sql_table:analytics.orders_clean", "sql_script:" + s)])
    fake = [i for i in nodes if re.search(r"not_a_table|fake_table|scratch|per_day|o\.created_at", i)]
    check("sql-no-false-tables", not fake, "tables from comments, strings, CTEs or temp tables: %s" % fake)

    m = "supabase/migrations/"
    nodes_ok("supabase-nodes", [
        ("supabase_table:public.profiles", "supabase_table", m + "20240101000000_init.sql", 1),
        ("supabase_table:public.posts", "supabase_table", m + "20240101000000_init.sql", 7),
        ("supabase_table:public.comments", "supabase_table", m + "20240201000000_comments.sql", 1),
    ])
    edges_ok("supabase-edges", [
        ("supabase_table:public.profiles", "supabase_table:public.posts", "foreign_key"),
        ("supabase_table:public.posts", "supabase_table:public.comments", "foreign_key"),
        ("external:auth.users", "supabase_table:public.profiles", "foreign_key"),
    ])
    cols = nodes.get("supabase_table:public.posts", {}).get("columns")
    check("supabase-columns", cols == [{"name": "id", "type": "bigint"}, {"name": "author_id", "type": "uuid"},
                                       {"name": "body", "type": "text"}], str(cols))
    cols = nodes.get("dbt_model:stg_orders", {}).get("columns")
    check("dbt-columns", cols == [{"name": "order_id", "type": "integer"}, {"name": "status"},
                                  {"name": "customer_id"}], str(cols))
    check("migrations-not-scripts", not any(i.startswith("sql_script:supabase/") for i in nodes),
          "a migration was read as a plain script")
    check("skipped-folders", not any(n.get("file", "").startswith(("data/", ".venv/", "node_modules/", "target/"))
                                     for n in d["nodes"]), "a skipped folder was analyzed")

    dags = d["dags"]
    check("dags-array", len(dags) == 1 and dags[0]["dag_id"] == "daily_etl" and
          dags[0]["file"] == "dags/daily_etl.py" and dags[0]["schedule"] == "0 3 * * *" and
          {"id": "extract", "operator": "BashOperator", "line": 19}.items() <= next(
              (t for t in dags[0]["tasks"] if t["id"] == "extract"), {}).items() and
          ["transform.marts", "done"] in dags[0]["edges"],
          json.dumps(dags)[:400])


def warnings(path, root_user):
    d = load(path)
    w = d["warnings"]

    def warned(name, file, pattern, line=None):
        hits = [x for x in w if x.get("file") == file and re.search(pattern, x["message"]) and
                (line is None or x.get("line") == line)]
        check(name, hits and all(x["severity"] == "warning" for x in hits),
              "no warning for %s matching %r; got %s" % (file, pattern, [x for x in w if x.get("file") == file]))

    warned("warn-unparsable-py", "bad/broken_assets.py", "syntax error", 9)
    warned("warn-binary", "bad/binary.py", "binary")
    warned("warn-huge", "bad/huge.sql", "larger than")
    warned("warn-symlink-loop", "bad/loop/again", "loop")
    warned("warn-symlink-out", "bad/outside", "out of the analyzed folder")
    warned("warn-dbt-test", "shop/models/marts/_marts.yml", "dbt_utils.accepted_range", 16)
    if root_user:
        print("PASS warn-unreadable (skipped: root reads every file)")
    else:
        warned("warn-unreadable", "bad/secret.sql", "cannot read")
    # the rest went on: a fine asset in the unparsable file is still found
    check("bad-input-rest-goes-on", any(n["id"] == "dagster_asset:fine_asset" for n in d["nodes"]) and
          d["exit_code"] == 0, "the analysis stopped at a bad file")


def dags(path, given):
    d = load(path)
    ok = len(d["dags"]) == 1
    g = d["dags"][0] if ok else {}
    tasks = {t["id"]: t for t in g.get("tasks", [])}
    check("one-file-dags", ok and g["dag_id"] == "daily_etl" and g["file"] == given and
          set(tasks) == {"start", "extract", "transform.clean", "transform.marts", "done"} and
          all({"id", "operator", "line"} <= set(t) for t in tasks.values()) and
          all(isinstance(e, list) and len(e) >= 2 and e[0] in tasks and e[1] in tasks for e in g["edges"]),
          json.dumps(d["dags"])[:400])


# ---- the dbt round trip ----

def load_yamls(pattern):
    import yaml
    docs = []
    for f in sorted(glob.glob(pattern, recursive=True)):
        with open(f) as fh:
            doc = yaml.safe_load(fh) or {}
        docs.append((f, doc))
    return docs


KNOWN = {"unique", "not_null", "accepted_values", "relationships"}


def norm_rel(to):
    m = re.match(r"""^\s*ref\(\s*['"]([^'"]+)['"]\s*\)\s*$""", to)
    if m:
        return "ref:" + m.group(1)
    m = re.match(r"""^\s*source\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$""", to)
    if m:
        return "source:%s.%s" % m.groups()
    return to


def norm_test(t, column=None):
    """a test in any of dbt's forms → a comparable tuple, or None if the spec cannot hold it"""
    if isinstance(t, str):
        return (t, column, None, None, None) if t in KNOWN else None
    (name, v), = t.items()
    if name not in KNOWN:
        return None
    v = v or {}
    args = dict(v.get("arguments") or {})
    for k in ("values", "quote", "to", "field", "column_name"):
        if k in v:
            args.setdefault(k, v[k])
    cfg = dict(v.get("config") or {})
    for k in ("severity", "where"):
        if k in v:
            cfg.setdefault(k, v[k])
    col = args.get("column_name", column)
    extra = None
    if name == "accepted_values":
        extra = (tuple(str(x) for x in args["values"]), args.get("quote"))
    if name == "relationships":
        extra = (norm_rel(args["to"]), args["field"])
    sev = str(cfg["severity"]).lower() if cfg.get("severity") else None
    return (name, col, extra, sev, cfg.get("where"))


def tests_of(entry):
    out = []
    for t in (entry.get("data_tests") or []) + (entry.get("tests") or []):
        n = norm_test(t)
        if n:
            out.append(n)
    for c in entry.get("columns") or []:
        for t in (c.get("data_tests") or []) + (c.get("tests") or []):
            n = norm_test(t, c["name"])
            if n:
                out.append(n)
    return sorted(out, key=repr)


def freshness(src, tab):
    """the effective freshness of a source table, in dbt's rules"""
    def own(e, key):
        c = e.get("config") or {}
        if key in c:
            return True, c[key]
        if key in e:
            return True, e[key]
        return False, None
    st, sf = own(src, "freshness")
    tt, tf = own(tab, "freshness")
    f = tf if tt else (sf if st else None)
    _, sfield = own(src, "loaded_at_field")
    tset, tfield = own(tab, "loaded_at_field")
    field = tfield if tset else sfield
    if not f:
        return None
    dur = lambda d: (d["count"], d["period"]) if d else None
    return (field, dur(f.get("warn_after")), dur(f.get("error_after")), f.get("filter"))


def project(root):
    """models (name → SQL), sources (table → facts), tests per node, seeds, of a dbt project"""
    import yaml
    with open(os.path.join(root, "dbt_project.yml")) as f:
        proj = yaml.safe_load(f)
    mp = (proj.get("model-paths") or proj.get("source-paths") or ["models"])[0]
    sp = (proj.get("seed-paths") or proj.get("data-paths") or ["seeds"])[0]
    tp = (proj.get("test-paths") or ["tests"])[0]
    out = {"models": {}, "sources": {}, "tests": {}, "seeds": set(), "singular": {}}
    for f in glob.glob(os.path.join(root, mp, "**", "*.sql"), recursive=True):
        with open(f) as fh:
            out["models"][os.path.basename(f)[:-4]] = fh.read()
    for f in glob.glob(os.path.join(root, sp, "**", "*.csv"), recursive=True):
        out["seeds"].add(os.path.basename(f)[:-4])
    for f in glob.glob(os.path.join(root, tp, "**", "*.sql"), recursive=True):
        with open(f) as fh:
            out["singular"][os.path.basename(f)[:-4]] = fh.read()
    for f, doc in load_yamls(os.path.join(root, "**", "*.yml")):
        if os.path.basename(f) in ("dbt_project.yml", "profiles.yml", "selectors.yml", "packages.yml"):
            continue
        for m in doc.get("models") or []:
            out["tests"]["model:" + m["name"]] = tests_of(m)
        for s in doc.get("seeds") or []:
            out["tests"]["seed:" + s["name"]] = tests_of(s)
        for src in doc.get("sources") or []:
            for t in src.get("tables") or []:
                key = "%s.%s" % (src["name"], t["name"])
                # dbt's default schema is the source's name
                out["sources"][key] = (src.get("schema") or src["name"], t.get("identifier"), freshness(src, t))
                out["tests"]["source:" + key] = tests_of(t)
    out["tests"] = {k: v for k, v in out["tests"].items() if v}
    return out


HEADER = re.compile(r"\A-- generated by dpc from [^\n]*\n(\{\{ config\([^\n]*\) \}\}\n\n)?")


def roundtrip(orig, built):
    a, b = project(orig), project(built)
    check("roundtrip-models", sorted(a["models"]) == sorted(b["models"]),
          "models %s vs %s" % (sorted(a["models"]), sorted(b["models"])))
    diff = []
    for name, sql in a["models"].items():
        got = HEADER.sub("", b["models"].get(name, ""), count=1)
        if got.rstrip("\n") != sql.rstrip("\n"):
            diff.append(name)
    check("roundtrip-sql", not diff, "SQL differs for %s" % diff)
    sdiff = [n for n, sql in a["singular"].items()
             if HEADER.sub("", b["singular"].get(n, ""), count=1).rstrip("\n") != sql.rstrip("\n")]
    check("roundtrip-singular-tests", sorted(a["singular"]) == sorted(b["singular"]) and not sdiff,
          "singular tests %s vs %s, differing %s" % (sorted(a["singular"]), sorted(b["singular"]), sdiff))
    check("roundtrip-seeds", a["seeds"] == b["seeds"], "%s vs %s" % (a["seeds"], b["seeds"]))
    check("roundtrip-sources", a["sources"] == b["sources"],
          "\n  original %s\n  emitted  %s" % (a["sources"], b["sources"]))
    bad = {k: (a["tests"].get(k), b["tests"].get(k)) for k in set(a["tests"]) | set(b["tests"])
           if a["tests"].get(k) != b["tests"].get(k)}
    check("roundtrip-tests", not bad, "; ".join("%s: %s vs %s" % (k, x, y) for k, (x, y) in sorted(bad.items())))


def main():
    cmd = sys.argv[1]
    if cmd == "graph":
        graph(sys.argv[2])
    elif cmd == "warnings":
        warnings(sys.argv[2], sys.argv[3] == "root")
    elif cmd == "dags":
        dags(sys.argv[2], sys.argv[3])
    elif cmd == "roundtrip":
        roundtrip(sys.argv[2], sys.argv[3])
    else:
        sys.exit("check.py: unknown command %s" % cmd)
    sys.exit(1 if failed else 0)


main()
