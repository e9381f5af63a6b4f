#!/usr/bin/python3
"""bench/run_gen.py N ROWS DIR: a project for the dpc run benchmark.

N models over four seeds holding ROWS rows between them (orders 60%,
customers 20%, products 15%, regions 5%), SQL that SQLite runs: staging
views over the seeds (the first 10% of the models), then views, tables,
incremental models (merge on a unique key) and ephemeral models that join
and aggregate earlier ones, each with the same three columns (id, k, v) so
that any model can read any other. A view or an ephemeral model reads only
staging models and tables, so no query stacks more than two views. One
model in five has unique and not_null tests on its id. Deterministic: the
same arguments give the same bytes.

Standard library only.
"""

import os
import random
import sys

SEED = 20260301


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def seeds(rng, rows, root):
    n_orders = rows * 60 // 100
    n_customers = rows * 20 // 100
    n_products = rows * 15 // 100
    n_regions = rows - n_orders - n_customers - n_products
    out = {}
    lines = ["id,customer_id,product_id,amount,day"]
    for i in range(1, n_orders + 1):
        lines.append("%d,%d,%d,%.2f,2024-%02d-%02d" % (
            i, rng.randint(1, n_customers), rng.randint(1, n_products),
            rng.randint(100, 99999) / 100, rng.randint(1, 12), rng.randint(1, 28)))
    out["orders"] = lines
    lines = ["id,region_id,name,signup_day"]
    for i in range(1, n_customers + 1):
        lines.append('%d,%d,"Customer %d, %s",2023-%02d-%02d' % (
            i, rng.randint(1, n_regions), i, rng.choice("ABCDEFGH"), rng.randint(1, 12), rng.randint(1, 28)))
    out["customers"] = lines
    lines = ["id,category,price"]
    for i in range(1, n_products + 1):
        lines.append("%d,cat_%d,%.2f" % (i, rng.randint(1, 40), rng.randint(100, 50000) / 100))
    out["products"] = lines
    lines = ["id,name,country"]
    for i in range(1, n_regions + 1):
        lines.append("%d,Region %d,%s" % (i, i, rng.choice(["DE", "FR", "PT", "NL", "PL"])))
    out["regions"] = lines
    for name, ls in out.items():
        write(os.path.join(root, "seeds", name + ".csv"), "\n".join(ls) + "\n")


# the staging models: one seed each, its rows in the (id, k, v) shape
STAGING = {
    "orders": "select id, customer_id %% 100 as k, amount as v from {{ ref('orders') }} where id %% %d = %d",
    "customers": "select id, region_id %% 50 as k, region_id as v from {{ ref('customers') }} where id %% %d = %d",
    "products": "select id, price as k, price * 2 as v from {{ ref('products') }} where id %% %d = %d",
    "regions": "select id, id %% 7 as k, length(name) as v from {{ ref('regions') }} where id %% %d = %d",
}


def main():
    if len(sys.argv) != 4:
        sys.stderr.write("usage: run_gen.py N ROWS DIR\n")
        return 2
    n, rows, root = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    if n < 10 or rows < 100:
        sys.stderr.write("run_gen.py: N must be at least 10 and ROWS at least 100\n")
        return 2
    rng = random.Random(SEED)
    seeds(rng, rows, root)
    width = len(str(n - 1))
    nstg = max(4, n // 10)
    names, mats = [], []
    models = []
    for i in range(n):
        name = "m_%0*d" % (width, i)
        if i < nstg:
            seed = list(STAGING)[i % 4]
            mat = "view"
            sql = STAGING[seed] % (max(1, nstg // 4), (i // 4) % max(1, nstg // 4))
        else:
            r = rng.random()
            mat = "view" if r < 0.40 else "table" if r < 0.75 else "incremental" if r < 0.90 else "ephemeral"
            # what it may read: models of its own lane (the seed its
            # staging models read), the regions lane being a dimension every
            # lane may join; staging models and tables, and for a table also
            # views and ephemerals (never two views deep)
            lane = i % 4
            pool = [j for j in range(i) if j % 4 == lane and (j < nstg or mats[j] in ("table", "incremental")
                                                               or mat in ("table", "incremental"))]
            dims = [j for j in range(i) if j % 4 == 3 and (j < nstg or mats[j] in ("table", "incremental"))]
            recent = pool[-20:]
            a = rng.choice(recent if rng.random() < 0.7 else pool)
            b = rng.choice(dims if rng.random() < 0.2 and dims else pool)
            shape = rng.random()
            if shape < 0.45 or a == b:
                sql = ("select id, k, v * 1.01 + %d as v\nfrom {{ ref('%s') }}\nwhere v > {{ var('min_v') }}"
                       % (i % 10, names[a]))
            elif shape < 0.8:
                sql = ("select a.id, a.k, a.v + coalesce(b.v, 0) as v\nfrom {{ ref('%s') }} as a\n"
                       "left join {{ ref('%s') }} as b on b.id = a.id" % (names[a], names[b]))
            else:
                sql = ("select k as id, k %% 10 as k, sum(v) as v\nfrom {{ ref('%s') }}\ngroup by k"
                       % names[a])
            if mat == "incremental":
                sql = ("select * from (\n%s\n) as t\n{%% if is_incremental() %%}\n"
                       "where t.id > (select coalesce(max(id), 0) - 100 from {{ this }})\n{%% endif %%}" % sql)
        names.append(name)
        mats.append(mat)
        path = "sql/%s.sql" % name
        write(os.path.join(root, path), sql + "\n")
        m = ["  %s:" % name, "    sql: %s" % path]
        if mat != "view":
            m.append("    materialized: %s" % mat)
        if mat == "incremental":
            m.append("    unique_key: id")
        if mat not in ("ephemeral",) and i % 5 == 0 and i >= nstg:
            m.append("    columns:")
            m.append("      id: {tests: [not_null%s]}" % (", unique" if mat != "view" else ""))
        models.append("\n".join(m))
    spec = ["# generated by bench/run_gen.py: %d models over %d seed rows" % (n, rows),
            "version: 1", "project: runbench", "vars:", "  min_v: 0", "seeds:"]
    for s in ("orders", "customers", "products", "regions"):
        spec.append("  %s: {csv: seeds/%s.csv}" % (s, s))
    spec.append("models:")
    spec.extend(models)
    write(os.path.join(root, "pipeline.yaml"), "\n".join(spec) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
