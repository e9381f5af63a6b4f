#!/bin/sh
# dpc ai refactor [NODE]: each suggestion's patch is applied in memory and
# compiled; one that does not compile, or would write outside the project,
# is shown as rejected with the reason. --apply N writes suggestion N from
# the kept answer (no new request) while the project is as it was; a
# rejected one is refused. The applied change builds and checks.
. "$(dirname "$0")/scenarios/lib.sh" "$@"

project shop

start_fake openai refactor.json
expect 0 "$DPC" ai refactor
has "$t/out" "3 suggestions for the whole pipeline (1 compiles, 2 rejected)" \
	"1. [missing_test] Test the customer key of fct_orders" "change (compiles):" "+      customer_id:" \
	"2. [incremental] Make fct_orders incremental" "rejected: the pipeline with this change does not compile" \
	"upsert_everything" \
	"3. [duplicate_logic] Move the order logic" "rejected: the answer wants to write '../shared.sql'" \
	"--apply N writes suggestion N"
same_spec
reqbody 1 >"$t/req"
# every model is described, with its SQL
jsok "$t/req" 'all(s in d["messages"][1]["content"] for s in ["### model.stg_orders", "### model.dim_customers", "lifetime_value", "Suggest refactorings of the whole pipeline"])'

# suggestion 2 was rejected: refused, from the kept answer
expect 1 "$DPC" ai refactor --apply 2
has "$t/out" "as kept from the last dpc ai refactor"
has "$t/err" "suggestion 2 was rejected"
expect 2 "$DPC" ai refactor --apply 9
has "$t/err" "there is no suggestion 9"
expect 2 "$DPC" ai refactor --apply
has "$t/err" "refactor --apply takes the number of a suggestion"
[ "$(requests)" = 1 ] || fail "--apply asked again while the project was unchanged"
same_spec

# suggestion 1, as JSON, written
expect 0 "$DPC" ai refactor --apply 1 --format json
jsok "$t/out" 'd["action"] == "refactor" and d["ok"] and d["reused"] is True and d["rounds"] == 0 and d["node"] is None'
jsok "$t/out" '[s["valid"] for s in d["suggestions"]] == [True, False, False] and d["suggestions"][1]["diagnostics"] and "../shared.sql" in d["suggestions"][2]["rejected"]'
jsok "$t/out" 'd["applied"]["n"] == 1 and d["applied"]["applied"] is True and d["applied"]["changed"] and d["applied"]["changes"] == [{"action": "update", "path": "pipeline.yaml"}]'
[ "$(requests)" = 1 ] || fail "--apply asked again while the project was unchanged"
diff "$spec_copy" pipeline.yaml >"$t/diff" && fail "--apply 1 left the spec as it was"
if grep -q '^<' "$t/diff"; then cat "$t/diff" >&2; fail "--apply 1 changed lines it should not touch"; fi
has "$t/diff" "customer_id:" "not_null"
expect 0 "$DPC" build
expect 0 "$DPC" check
expect 0 "$DPC" log --format json
jsok "$t/out" 'd["entries"][0]["command"] == "refactor" and d["entries"][0]["applied"] is True and len(d["entries"]) == 1'

# the project changed: the kept answer is stale, so it asks again (and
# the server has nothing more to say: a clear error)
cp pipeline.yaml "$spec_copy"
expect 1 env DPC_AI_MAX_RETRIES=0 "$DPC" ai refactor --apply 1
[ "$(requests)" = 2 ] || fail "a stale kept answer was used"
same_spec

# one node and its neighbours, Anthropic
start_fake anthropic refactor.json
expect 0 "$DPC" ai refactor stg_orders --format json
jsok "$t/out" 'd["node"] == "model.stg_orders" and d["context"]["closest"] == ["model.stg_orders"] and len(d["suggestions"]) == 3'
reqbody 1 >"$t/req"
jsok "$t/req" '"Suggest refactorings of model.stg_orders" in text(d["messages"][0]["content"])'
same_spec
echo "$name: ok"
