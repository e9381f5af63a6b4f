#!/bin/sh
# The prompt templates: built in (stdlib/prompts, compiled into dpc), and
# overridden by the project's dpc/prompts/NAME.yaml (or the folder
# ai.prompts names). An override is what is sent; a broken one is a clear
# error naming the file, exit 2, before any request.
. "$(dirname "$0")/scenarios/lib.sh" "$@"

project shop
mkdir -p dpc/prompts

# an override of explain: its system text and user text are sent
cat >dpc/prompts/explain.yaml <<'EOF'
# our own wording
inputs:
  node: the node
  context: the slice
system: |
  CUSTOM-SYSTEM-MARK: explain tersely.
user: |
  CUSTOM-USER-MARK ${node}
  ${context}
schema:
  type: object
  required: [summary]
  properties:
    summary: {type: string}
EOF
start_fake openai explain.json
expect 0 "$DPC" ai explain fct_orders
reqbody 1 >"$t/req"
jsok "$t/req" 'd["messages"][0]["content"] == "CUSTOM-SYSTEM-MARK: explain tersely.\n"'
jsok "$t/req" 'd["messages"][1]["content"].startswith("CUSTOM-USER-MARK model.fct_orders\n") and "### model.fct_orders" in d["messages"][1]["content"]'
jsok "$t/req" 'd["response_format"].get("json_schema", {}).get("schema", {}).get("required", ["summary"]) == ["summary"]'

# broken overrides: each names the file and what is wrong
bad() { # bad TEXT MESSAGE...
	printf '%s\n' "$1" >dpc/prompts/explain.yaml
	shift
	expect 2 "$DPC" ai explain fct_orders
	has "$t/err" "dpc/prompts/explain.yaml" "$@"
	expect 2 "$DPC" ai explain fct_orders --format json
	jsok "$t/out" 'd["exit_code"] == 2 and "dpc/prompts/explain.yaml" in d["error"]'
}
bad 'inputs: {node: x}
system: s
user: "about ${nod}"
schema: {type: object}' 'placeholder ${nod} is not listed under inputs'
bad 'inputs: {node: x, weather: y}
system: s
user: "${node} ${weather}"
schema: {type: object}' "input 'weather' is not one dpc fills for the explain prompt" "it fills: project, node, kind, context"
bad 'inputs: {node: x}
system: s
user: "${node}"' "missing key 'schema'"
bad 'inputs: {node: x}
sytem: s
user: "${node}"
schema: {type: object}' "unknown key 'sytem'; did you mean 'system'?"
bad 'inputs: {node: x
user: [' "dpc/prompts/explain.yaml:"
bad '- a list' "a template is a mapping"
[ "$(requests)" = 1 ] || fail "a request was sent with a broken template"
rm dpc/prompts/explain.yaml

# a broken repair template stops generate before it asks
printf 'user: "${problems} ${oops}"\ninputs: {problems: p}\n' >dpc/prompts/repair.yaml
expect 2 "$DPC" ai generate --prompt "orders by country"
has "$t/err" "dpc/prompts/repair.yaml" 'placeholder ${oops}'
rm dpc/prompts/repair.yaml

# ai.prompts names another folder
mkdir -p prompts_elsewhere
printf 'inputs: {node: n, context: c}\nsystem: ELSEWHERE-MARK\nuser: "${node}"\nschema: {type: object}\n' \
	>prompts_elsewhere/explain.yaml
printf '\nai:\n  prompts: prompts_elsewhere\n' >>pipeline.yaml
start_fake openai explain.json
expect 0 "$DPC" ai explain fct_orders
reqbody 1 >"$t/req"
jsok "$t/req" 'd["messages"][0]["content"] == "ELSEWHERE-MARK"'
echo "$name: ok"
