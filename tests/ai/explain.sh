#!/bin/sh
# dpc ai explain NODE, and the command line of dpc ai: the node's slice
# (its SQL, columns, tests, lineage) is what is sent, the answer is printed
# as text or one JSON document; an unknown node, a bad action or option, a
# spec with errors or no model named stop before any request, exit 2.
. "$(dirname "$0")/scenarios/lib.sh" "$@"

project shop

# the usage
expect 0 "$DPC" ai --help
has "$t/out" "usage: dpc ai ACTION" "generate --prompt TEXT" "explain NODE" "refactor [NODE]" "reset"
expect 0 "$DPC" ai generate --help
has "$t/out" "--apply" "--kind" "repair" "--allow-destructive"
expect 0 "$DPC" ai explain --help
has "$t/out" "usage: dpc ai explain NODE"
expect 0 "$DPC" ai refactor --help
has "$t/out" "--apply N"
expect 2 "$DPC" ai
has "$t/err" "usage: dpc ai ACTION"
expect 2 "$DPC" ai explian fct_orders
has "$t/err" "unknown action 'explian'; did you mean 'explain'?"
expect 2 "$DPC" ai generate
has "$t/err" "generate needs the request"
expect 2 "$DPC" ai generate --prompt x --kind pipeline
has "$t/err" "--kind takes model, asset, test or ci"
expect 2 "$DPC" ai explain fct_orders --apply
has "$t/err" "unknown option '--apply'"
expect 2 "$DPC" ai explain
has "$t/err" "explain needs a node"
expect 2 "$DPC" ai generate --format json --prompt x --bogus
jsok "$t/out" 'd["command"] == "ai" and d["action"] == "generate" and d["exit_code"] == 2 and "--bogus" in d["error"]'

# no provider reached for any of those, nor for these
start_fake openai explain.json
expect 2 "$DPC" ai explain fct_ordrs
has "$t/err" "there is no node 'fct_ordrs'" "did you mean 'fct_orders'?"
expect 2 env -u DPC_AI_MODEL "$DPC" ai explain fct_orders
has "$t/err" "no model named"
cp pipeline.yaml "$t/good.yaml"
printf 'models:\n  broken: {sql: "select 1", materialized: sometimes}\n' >>pipeline.yaml
expect 2 "$DPC" ai explain fct_orders
has "$t/err" "pipeline.yaml:" "error:" "before asking the LLM"
expect 2 "$DPC" ai generate --prompt "anything" --format json
jsok "$t/out" 'd["exit_code"] == 2 and len(d["diagnostics"]) > 0 and d["diagnostics"][0]["severity"] == "error"'
cp "$t/good.yaml" pipeline.yaml
[ "$(requests)" = 0 ] || fail "a request was sent for a command that should stop first"

# a model, by name: what is sent is its slice
expect 0 "$DPC" ai explain fct_orders
has "$t/out" "model.fct_orders (model, sql/marts/fct_orders.sql, defined at pipeline.yaml:" \
	"fct_orders holds one row per order" "How it works:" "  - Joins stg_orders to stg_customers" \
	"Caveats:" "  - customer_order_number has no test"
has "$t/err" "dpc: asking openai fake-model" "dpc: context:"
reqbody 1 >"$t/req"
jsok "$t/req" '"Explain the model model.fct_orders" in d["messages"][1]["content"]'
jsok "$t/req" 'all(s in d["messages"][1]["content"] for s in ["row_number()", "model.stg_orders", "read by: model.dim_customers", "unique(order_id)", "JSON Pointer /models/fct_orders", "seed.raw_orders"])'
jsok "$t/req" 'd["response_format"]["type"] in ("json_schema", "json_object")'

# a seed by id, Anthropic, one JSON document
start_fake anthropic explain.json
expect 0 "$DPC" ai explain seed.raw_orders --format json
jsok "$t/out" 'd["command"] == "ai" and d["action"] == "explain" and d["ok"] and d["node"] == "seed.raw_orders" and d["kind"] == "seed"'
jsok "$t/out" 'd["summary"].startswith("fct_orders holds") and len(d["details"]) == 3 and d["caveats"] and d["rounds"] == 1'
jsok "$t/out" 'd["context"]["closest"] == ["seed.raw_orders"] and "model.stg_orders" in d["context"]["nodes"]'
reqbody 1 >"$t/req"
jsok "$t/req" '"Explain the seed seed.raw_orders" in text(d["messages"][0]["content"]) and "amount_cents" in text(d["messages"][0]["content"])'

# a generic test is explained with what it tests
start_fake openai explain.json
expect 0 "$DPC" ai explain unique_stg_orders_order_id --format json
jsok "$t/out" 'd["node"] == "test.unique_stg_orders_order_id" and d["kind"] == "test" and d["context"]["closest"] == ["model.stg_orders"]'

# the audit log
expect 0 "$DPC" log --format json
jsok "$t/out" '[e["summary"] for e in d["entries"]] == ["explain test.unique_stg_orders_order_id", "explain seed.raw_orders", "explain model.fct_orders"]'
same_spec
echo "$name: ok"
