#!/bin/sh
# dpc new model|source|test|asset and dpc supabase vectorize on a project
# made by dpc init --supabase: each edit is written with its starter file,
# keeps the starter's comments, and the project then builds and checks
# clean; --dry-run and --format json; refusals (a name in use, a bad name,
# an unknown --from, an edit that would not compile, an existing file, a
# model to vectorize in a sqlite warehouse) exit 2 with their message and
# leave every file as it was. Then a model is vectorized in a postgres
# project (--key required), which builds and checks clean.
set -eu
DPC=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "new: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1767225600
py=/usr/bin/python3

cd "$t"
"$DPC" init shop --supabase >/dev/null
cd shop
cp pipeline.yaml "$t/starter.yaml"
# every file of the project and its hash, .dpc/ aside
snap() { find . -path ./.dpc -prune -o -type f -print | sort | xargs sha256sum; }
# refused CODE TEXT ARGS...: exits CODE, says TEXT, changes nothing
refused() {
	want=$1 text=$2
	shift 2
	snap >"$t/before"
	rc=0
	"$DPC" "$@" >"$t/out" 2>"$t/err" || rc=$?
	[ "$rc" -eq "$want" ] || fail "dpc $*: exit $rc, not $want: $(cat "$t/err")"
	grep -qF -- "$text" "$t/err" || fail "dpc $*: does not say '$text': $(cat "$t/err")"
	snap >"$t/after"
	cmp -s "$t/before" "$t/after" || fail "dpc $*: changed files: $(diff "$t/before" "$t/after")"
}

# --help tells, exit 0
"$DPC" new --help | grep -q "dpc new model NAME" || fail "new --help"
"$DPC" new model --help | grep -q -- "--materialized" || fail "new model --help"
"$DPC" supabase vectorize --help | grep -q -- "--dimensions" || fail "supabase vectorize --help"

# the refusals, each leaving the project as it was
refused 2 "'stg_orders' is already defined at pipeline.yaml:" new model stg_orders
refused 2 "'raw_orders' is already defined at pipeline.yaml:" new model raw_orders --from stg_orders
refused 2 "model name '1st' is not valid" new model 1st
refused 2 "did you mean 'stg_orders'?" new model fct_x --from stg_ordrs
refused 2 "did you mean 'view'?" new model fct_x --materialized veiw
refused 2 "did you mean 'not_null'?" new test stg_orders.order_id not_nul
refused 2 "stg_orders.order_id has a unique test already" new test stg_orders.order_id unique
refused 2 "accepted_values needs --values" new test stg_orders.status accepted_values
refused 2 "unknown option '--form'; did you mean '--from'?" new model fct_x --form stg_orders
refused 2 "unknown kind 'modle'; did you mean 'model'?" new modle fct_x
refused 2 "'stg_orders' is a model, and the warehouse is sqlite, so its rows are not in Supabase" \
	supabase vectorize stg_orders --text status --dimensions 3
refused 2 "no table of tables: is named 'reviews' (tables: product_reviews)" \
	supabase vectorize reviews --text body --dimensions 3
refused 2 "--dimensions takes a whole number from 1 to 16000" \
	supabase vectorize product_reviews --text body --dimensions 0
# compiled in memory first: an unknown target, a text column that is no text
refused 2 "relationships target 'stg_ordrs' is not a model" \
	new test stg_orders.order_id relationships --to stg_ordrs.order_id
grep -q "nothing was written" "$t/err" || fail "a refused edit does not say nothing was written"
grep -q "^pipeline.yaml:[0-9]*:[0-9]*: error" "$t/err" || fail "no file:line:col diagnostic: $(cat "$t/err")"
refused 2 "embedding text: column 'rating' is smallint, not text" \
	supabase vectorize product_reviews --text rating --dimensions 3
echo "select 1 as id" >sql/marts/fct_taken.sql
refused 2 "sql/marts/fct_taken.sql exists already; give --sql sql/marts/fct_taken.sql" new model fct_taken
rm sql/marts/fct_taken.sql
refused 2 "is inside a folder dpc generates" new asset a1 --python data/dbt/a1.py

# --dry-run: the diff, nothing written
snap >"$t/before"
"$DPC" new model fct_daily --from stg_orders --dry-run >"$t/out" 2>"$t/err" || fail "dry run: $(cat "$t/err")"
grep -q "^+  fct_daily:" "$t/out" || fail "dry run shows no diff: $(cat "$t/out")"
grep -q "^+++ b/sql/marts/fct_daily.sql" "$t/out" || fail "dry run shows no new file"
snap >"$t/after"
cmp -s "$t/before" "$t/after" || fail "a dry run wrote something"

# the edits
"$DPC" new model fct_daily --from stg_orders --materialized table --description "Orders per day" >"$t/out" ||
	fail "new model: $(cat "$t/out")"
grep -q "create  sql/marts/fct_daily.sql" "$t/out" || fail "new model says: $(cat "$t/out")"
grep -q "^    customer_id,$" sql/marts/fct_daily.sql || fail "the starter SQL lists no columns"
grep -q "from {{ ref('stg_orders') }}" sql/marts/fct_daily.sql || fail "the starter SQL reads no ref"
# --sql naming a file that exists: the model's SQL, as it is
echo "select order_id from {{ ref('stg_orders') }}" >sql/marts/fct_mine.sql
cp sql/marts/fct_mine.sql "$t/mine.sql"
"$DPC" new model fct_mine --sql sql/marts/fct_mine.sql >"$t/out" || fail "new model --sql: $(cat "$t/out")"
grep -q "its SQL the file sql/marts/fct_mine.sql as it is" "$t/out" || fail "--sql says: $(cat "$t/out")"
cmp -s sql/marts/fct_mine.sql "$t/mine.sql" || fail "--sql overwrote the file"
"$DPC" new source shop --table orders --table customers --schema shop_raw >/dev/null || fail "new source"
"$DPC" new source shop --table refunds >/dev/null || fail "a table added to a source"
refused 2 "table 'refunds' is already in source 'shop'" new source shop --table refunds
"$DPC" new model stg_shop_orders --from shop.orders >/dev/null || fail "a model from a source"
grep -q "source('shop', 'orders')" sql/staging/stg_shop_orders.sql || fail "no source() in the starter"
"$DPC" new test fct_daily.order_id unique >/dev/null || fail "new test unique"
"$DPC" new test fct_daily.status accepted_values --values placed,shipped >/dev/null || fail "accepted_values"
"$DPC" new test fct_daily.customer_id relationships --to stg_customers.customer_id --severity warn >/dev/null ||
	fail "relationships"
"$DPC" new test fct_daily row_count --min 1 >/dev/null || fail "row_count"
"$DPC" new test shop.orders.id not_null >/dev/null || fail "a test on a source column"
"$DPC" new test raw_orders.order_id not_null >/dev/null || fail "a test on a seed column"
"$DPC" new asset weather --python pipelines/weather.py --deps fct_daily,shop.orders >/dev/null || fail "new asset"
grep -q "^def weather(context):" pipelines/weather.py || fail "no starter function"
"$DPC" supabase vectorize product_reviews --text body --dimensions 3 --name review_search --index ivfflat \
	--provider ollama >/dev/null || fail "vectorize"
"$DPC" --format json new model fct_weekly --from fct_daily >"$t/json" || fail "json: $(cat "$t/json")"
"$py" - "$t/json" <<'EOF' || fail "the JSON document: $(cat "$t/json")"
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "new" and d["kind"] == "model" and d["ok"] is True and d["exit_code"] == 0, d
assert d["written"] is True and d["dry_run"] is False and d["diagnostics"] == [], d
assert {"path": "pipeline.yaml", "action": "update"} in d["changes"], d
assert {"path": "sql/marts/fct_weekly.sql", "action": "create"} in d["changes"], d
assert "+  fct_weekly:" in d["diff"] and d["next"].startswith("edit sql/marts/fct_weekly.sql"), d
EOF
rc=0
"$DPC" --format json supabase vectorize stg_orders --text status --dimensions 3 >"$t/json" || rc=$?
[ "$rc" -eq 2 ] || fail "json refusal: exit $rc"
"$py" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["command"] == "supabase" and d["subcommand"] == "vectorize" and d["ok"] is False, d
assert d["exit_code"] == 2 and "is a model" in d["error"], d
' "$t/json" || fail "the JSON refusal: $(cat "$t/json")"

# the starter's comments are all still there, in order
"$py" - "$t/starter.yaml" pipeline.yaml <<'EOF' || fail "comments of the starter were lost"
import sys
old = [l for l in open(sys.argv[1]) if l.lstrip().startswith("#")]
new = [l for l in open(sys.argv[2]) if l.lstrip().startswith("#")]
it = iter(new)
missing = [l for l in old if not any(l == n for n in it)]
assert not missing, missing
EOF

# and the project builds and checks clean
"$DPC" build >"$t/out" 2>&1 || fail "build after the edits: $(cat "$t/out")"
"$DPC" check >"$t/out" 2>&1 || fail "check after the edits: $(cat "$t/out")"
grep -rq "fct_daily" data/dbt/models || fail "fct_daily is not in the dbt project"
grep -q "review_search" supabase/migrations/*.sql || fail "no migration for the embedding"
grep -q "asset_weather" data/dagster/src/*/defs/assets.py || fail "no Dagster asset for weather"

# a model is vectorized when dbt builds into the Supabase database (warehouse
# type postgres): --key is required; the vector table references nothing and
# its Dagster asset runs after the model
cd "$t"
"$DPC" init pgshop --supabase >/dev/null
cd pgshop
"$py" - <<'EOF' || fail "could not make the warehouse postgres"
s = open("pipeline.yaml").read()
old = "warehouse:\n  type: sqlite\n  path: warehouse.db\n"
assert old in s
open("pipeline.yaml", "w").write(s.replace(old, "warehouse:\n  type: postgres\n"))
EOF
refused 2 "dpc supabase vectorize stg_orders needs --key COLUMN: a model has no primary key dpc knows" \
	supabase vectorize stg_orders --text status --dimensions 3
refused 2 "no table of tables: or model is named 'stg_ordres'" \
	supabase vectorize stg_ordres --text status --key order_id --dimensions 3
refused 2 "'raw_orders' is a seed" supabase vectorize raw_orders --text status --key order_id --dimensions 3
"$DPC" supabase vectorize stg_orders --text status --key order_id --dimensions 3 >"$t/out" 2>&1 ||
	fail "vectorize a model: $(cat "$t/out")"
grep -q "added embedding stg_orders_embeddings of stg_orders.status" "$t/out" || fail "vectorize says: $(cat "$t/out")"
"$py" - pipeline.yaml <<'EOF' || fail "the embedding of the model in the spec: $(cat pipeline.yaml)"
import sys
lines = open(sys.argv[1]).read().split("\n")
i = lines.index("  stg_orders_embeddings:")
want = ["    from: stg_orders", "    text: status", "    key: order_id", "    dimensions: 3"]
assert lines[i + 1:i + 5] == want, lines[i:i + 5]
EOF
"$DPC" build >"$t/out" 2>&1 || fail "build with the embedding of a model: $(cat "$t/out")"
"$DPC" check >"$t/out" 2>&1 || fail "check with the embedding of a model: $(cat "$t/out")"
m=$(grep -l "stg_orders_embeddings" supabase/migrations/*.sql) || fail "no migration for the model's embedding"
grep -q "^  order_id integer primary key,$" "$m" || fail "the key's type is not the model's column type"
! grep -q "references public.stg_orders" "$m" || fail "the vector table references the model"
grep -q "returns table(order_id integer, similarity double precision)" "$m" ||
	fail "match_stg_orders_embeddings returns more than the key and the similarity"
grep -qF 'deps=[dg.AssetKey(["stg_orders"])]' data/dagster/src/*/defs/embeddings.py ||
	fail "the embedding asset does not depend on the model"
"$DPC" graph >"$t/out" 2>&1 || fail "dpc graph: $(cat "$t/out")"
grep -q "embedding.stg_orders_embeddings <- model.stg_orders" "$t/out" || fail "dpc graph lacks the edge: $(cat "$t/out")"
echo "new: ok"
