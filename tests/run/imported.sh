#!/bin/sh
# run/imported: a dbt project dpc did not write (tests/run/imported/beanery:
# seeds, staging views over ref() to them, a macro, marts with a
# {% set %}/{% for %} pivot, tests in the older tests: form, a singular
# test) is imported with dpc analyze --emit-spec and runs with dpc run:
# exit 0, every test ran and passed (target/run_results.json, which
# validates against its schema). Then its marts are computed again from the
# seed CSVs with Python's csv module, apart from dpc and SQL, and compared
# with the SQLite tables.
. "$(dirname "$0")/lib/common.sh"
cp -R "$TOP/tests/run/imported/beanery" "$T/b"
cd "$T/b"

# 1. the proposal: written, no warnings
"$DPC" analyze --format json --emit-spec pipeline.yaml >"$T/analyze.json" 2>"$T/analyze.err" ||
	fail "dpc analyze: exit $?: $(cat "$T/analyze.json" "$T/analyze.err")"
"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
assert d["ok"] and d.get("spec_written") == "pipeline.yaml", d.get("error")
assert not d["warnings"], d["warnings"]
s = d["summary"]
assert (s.get("dbt_model"), s.get("dbt_seed"), s.get("dbt_test")) == (5, 3, 22), s' "$T/analyze.json" ||
	fail "the analysis: $(cat "$T/analyze.json")"
[ -s pipeline.yaml ] || fail "no pipeline.yaml"

# 2. dpc run builds it and every test passes
"$DPC" run >"$T/run.out" 2>&1 || fail "dpc run: exit $?: $(cat "$T/run.out")"
grep -q '^Done. PASS=30 WARN=0 ERROR=0 SKIP=0 ' "$T/run.out" || fail "not everything passed: $(cat "$T/run.out")"
"$PY" "$TOP/tests/tools/validate_schema.py" "$TOP/specs/dbt/run_results.schema.json" target/run_results.json \
	>"$T/v" 2>&1 || fail "run_results.json: $(cat "$T/v")"
"$PY" - <<'PY' || fail "run_results.json does not say every test passed"
import collections, json
r = json.load(open("target/run_results.json"))["results"]
kinds = collections.Counter((x["unique_id"].split(".")[0], x["status"]) for x in r)
want = {("seed", "success"): 3, ("model", "success"): 5, ("test", "pass"): 22}
assert kinds == want, kinds
ids = {x["unique_id"] for x in r}
for t in ("test.beanery.assert_order_total_not_negative", "test.beanery.relationships_orders_customer_id",
          "test.beanery.accepted_values_stg_orders_status"):
    assert t in ids, (t, sorted(ids))
PY

# 3. the marts, from the CSVs
"$PY" - warehouse.db <<'PY' || fail "the marts do not match the seeds"
import csv, sqlite3, sys

def rows(name):
    with open("seeds/%s.csv" % name, newline="") as f:
        return list(csv.DictReader(f))

customers = rows("raw_customers")
orders = rows("raw_orders")
payments = rows("raw_payments")
methods = ["credit_card", "bank_transfer", "voucher", "gift_card"]
units = lambda cents: round(int(cents) / 100.0, 2)  # the cents_to_units macro
db = sqlite3.connect(sys.argv[1])
bad = []
close = lambda a, b: abs(a - b) < 0.005

paid = {}  # order id -> method -> amount
for p in payments:
    m = paid.setdefault(p["order_id"], dict.fromkeys(methods, 0.0))
    m[p["payment_method"]] += units(p["amount"])
got = {str(r[0]): r[1:] for r in db.execute(
    "select order_id, customer_id, order_date, status, credit_card_amount, bank_transfer_amount,"
    " voucher_amount, gift_card_amount, amount from orders")}
if set(got) != {o["id"] for o in orders}:
    bad.append("orders: ids %s" % sorted(set(got) ^ {o["id"] for o in orders}))
for o in orders:
    m = paid.get(o["id"], dict.fromkeys(methods, 0.0))
    want = (int(o["user_id"]), o["order_date"], o["status"]) + tuple(m[k] for k in methods) + (sum(m.values()),)
    g = got.get(o["id"])
    if g is None or g[:3] != want[:3] or not all(close(a, b) for a, b in zip(g[3:], want[3:])):
        bad.append("orders %s: got %s, want %s" % (o["id"], g, want))

got = {str(r[0]): r[1:] for r in db.execute(
    "select customer_id, first_name, last_name, first_order, most_recent_order, number_of_orders,"
    " customer_lifetime_value from customers")}
if set(got) != {c["id"] for c in customers}:
    bad.append("customers: ids %s" % sorted(set(got) ^ {c["id"] for c in customers}))
for c in customers:
    mine = [o for o in orders if o["user_id"] == c["id"]]
    dates = [o["order_date"] for o in mine]
    value = sum(units(p["amount"]) for p in payments if any(p["order_id"] == o["id"] for o in mine))
    want = (c["first_name"], c["last_name"], min(dates) if dates else None, max(dates) if dates else None,
            len(mine), value)
    g = got.get(c["id"])
    if g is None or g[:5] != want[:5] or not close(g[5], want[5]):
        bad.append("customers %s: got %s, want %s" % (c["id"], g, want))

# the data has what makes the marts worth checking: a customer without
# orders, orders without payments, orders paid by several methods
assert any(not [o for o in orders if o["user_id"] == c["id"]] for c in customers)
assert any(o["id"] not in paid for o in orders)
assert any(sum(v > 0 for v in m.values()) > 1 for m in paid.values())
if bad:
    print("\n".join(bad[:20]))
    sys.exit(1)
PY

# 4. a second run has nothing to do
"$DPC" run >"$T/run2.out" 2>&1 || fail "second dpc run: exit $?: $(cat "$T/run2.out")"
grep -q 'nothing to run' "$T/run2.out" || fail "second run: $(cat "$T/run2.out")"
echo "run/$NAME: ok"
