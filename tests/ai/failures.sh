#!/bin/sh
# dpc ai when the provider misbehaves (tests/ai/fakellm.py): 429 with
# Retry-After is waited out and then succeeds; 5xx until the retries run
# out, a hung connection (the timeout) and an oversized answer are clear
# errors with exit 1; after enough failed calls the circuit breaker stops
# dpc from calling at all until dpc ai reset. The spec never changes, the
# keys never show, and every request is in the audit log with its status.
. "$(dirname "$0")/scenarios/lib.sh" "$@"

project shop
ask="Summarize orders by country"

# 429 with Retry-After: 1, then the answer
start_fake openai ratelimit.json
s0=$(date +%s%N)
expect 0 "$DPC" ai generate --prompt "$ask"
s1=$(date +%s%N)
[ $(((s1 - s0) / 1000000)) -ge 1000 ] || fail "the 429's Retry-After: 1 was not waited out"
[ "$(requests)" = 2 ] || fail "$(requests) requests after a 429, wanted 2"
has "$t/out" "fct_orders_by_country" "nothing was written"
same_spec

# 5xx until the retries (DPC_AI_MAX_RETRIES=2) run out
start_fake anthropic servererror.json
expect 1 "$DPC" ai generate --prompt "$ask" --apply
has "$t/err" "503"
[ "$(requests)" = 3 ] || fail "$(requests) attempts, wanted 3"
same_spec
start_fake openai servererror.json
expect 1 "$DPC" ai generate --prompt "$ask" --format json
jsok "$t/out" 'd["exit_code"] == 1 and d["provider_error"] == "http" and "503" in d["error"] and d["applied"] is False'

# a hung connection: the timeout, quickly
start_fake openai hung.json
s0=$(date +%s%N)
expect 1 env DPC_AI_TIMEOUT_MS=300 DPC_AI_MAX_RETRIES=0 "$DPC" ai generate --prompt "$ask"
s1=$(date +%s%N)
[ $(((s1 - s0) / 1000000)) -lt 3500 ] || fail "a hung server held dpc for $(((s1 - s0) / 1000000)) ms"
has "$t/err" "time"
same_spec

# an oversized answer (5 MB against the 4096 KiB default)
start_fake openai oversized.json
expect 1 "$DPC" ai generate --prompt "$ask" --format json
jsok "$t/out" 'd["exit_code"] == 1 and d["provider_error"] == "too_large"'
same_spec

# the audit log: one row per call, with its status
expect 0 "$DPC" log --all --format json
jsok "$t/out" '[e["status"] for e in d["entries"]] == ["too_large", "timeout", "http", "http", "ok"]'

# the circuit breaker: 5 failed calls open it, then no request is sent
start_fake openai '[]'
for i in 1 2 3 4; do
	expect 1 env DPC_AI_MAX_RETRIES=0 "$DPC" ai explain fct_orders
done
n=$(requests)
expect 1 env DPC_AI_MAX_RETRIES=0 "$DPC" ai explain fct_orders
expect 1 env DPC_AI_MAX_RETRIES=0 "$DPC" ai explain fct_orders
has "$t/err" "dpc ai reset"
[ "$(requests)" -le $((n + 1)) ] || fail "an open breaker let a request through"
n=$(requests)
expect 1 env DPC_AI_MAX_RETRIES=0 "$DPC" ai explain fct_orders --format json
jsok "$t/out" 'd["provider_error"] == "breaker"'
[ "$(requests)" = "$n" ] || fail "an open breaker let a request through"
expect 0 "$DPC" ai reset
has "$t/out" "closed 1 open circuit breaker"
expect 1 env DPC_AI_MAX_RETRIES=0 "$DPC" ai explain fct_orders
[ "$(requests)" = $((n + 1)) ] || fail "after dpc ai reset no request was sent"
expect 0 "$DPC" ai reset --format json
jsok "$t/out" 'd["command"] == "ai" and d["action"] == "reset" and d["ok"] and d["closed"] in (0, 1)'
same_spec
echo "$name: ok"
