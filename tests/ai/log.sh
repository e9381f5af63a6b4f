#!/bin/sh
# tests/ai/log.sh DPC: dpc log, the audit log of AI requests (.dpc/ai.db).
# An empty project (no .dpc: an empty log, exit 0, nothing created), the
# options and their mistakes, then a log of 25 requests written the way
# compiler/state_ai.c lays it out (with Python's sqlite3): newest first,
# --limit, --all, the JSON document, and an ai.db of a newer dpc.
set -eu
. "$(dirname "$0")/../lib.sh"
need_dpc "$@"
scratch log

p=$tmp/proj
mkdir "$p"
printf 'version: 1\nproject: p\n' >"$p/pipeline.yaml"

# an empty project
out=$("$dpc" -C "$p" log 2>&1) && rc=0 || rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | grep -q "audit log is empty"; then ok empty; else bad "empty (exit $rc)" "$out"; fi
[ ! -e "$p/.dpc" ] && ok "nothing created" || bad "dpc log created .dpc" "$(ls -la "$p/.dpc")"
out=$("$dpc" -C "$p" log --format json 2>&1) && rc=0 || rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
assert d == {"command": "log", "total": 0, "entries": [], "ok": True, "exit_code": 0}, d
'; then ok "empty json"; else bad "empty json (exit $rc)" "$out"; fi

# options
out=$("$dpc" -C "$p" log --help) && printf '%s' "$out" | grep -q "usage: dpc log" && ok help || bad help "$out"
for args in "--limit" "--limit 0" "--limit x" "--bogus" "extra"; do
	# shellcheck disable=SC2086 # the options are meant to split
	out=$("$dpc" -C "$p" log $args 2>&1) && rc=0 || rc=$?
	[ $rc -eq 2 ] && ok "log $args: exit 2" || bad "log $args: exit $rc, not 2" "$out"
done
# shellcheck disable=SC2086
out=$("$dpc" -C "$p" log --limit=0 --format json 2>/dev/null) && rc=0 || rc=$?
if [ $rc -eq 2 ] && printf '%s' "$out" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is False and d["exit_code"] == 2 and "--limit" in d["error"], d
'; then ok "json error"; else bad "json error (exit $rc)" "$out"; fi
out=$("$dpc" -C "$tmp/none" log 2>&1) && rc=0 || rc=$?
[ $rc -eq 2 ] && ok "no such folder: exit 2" || bad "no such folder: exit $rc" "$out"

# a log of 25 requests, as state_ai.c writes it
mkdir "$p/.dpc"
"$py" - "$p/.dpc/ai.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript("""
CREATE TABLE requests(id INTEGER PRIMARY KEY, time INTEGER, actor TEXT, command TEXT,
  provider TEXT, model TEXT, prompt_hash TEXT, response_hash TEXT, tokens_in INTEGER,
  tokens_out INTEGER, status TEXT, applied INTEGER, summary TEXT);
CREATE TABLE breakers(endpoint TEXT PRIMARY KEY, failures INTEGER, opened_at INTEGER) WITHOUT ROWID;
PRAGMA user_version=1;
""")
for i in range(1, 26):
    ok = i % 5 != 3
    db.execute("INSERT INTO requests VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)", (
        i, 1767225600 + 60 * i, "alice" if i % 2 else "bot-7", ["generate", "explain", "refactor"][i % 3],
        "openai", "gpt-4o-mini", "%032x" % (0xabc000 + i), ("%032x" % (0xdef000 + i)) if ok else "",
        100 * i, 10 * i if ok else 0, "ok" if ok else "timeout", 1 if i == 24 else 0, "request number %d" % i))
db.commit()
EOF

out=$("$dpc" -C "$p" log 2>&1) && rc=0 || rc=$?
if [ $rc -eq 0 ] && [ "$(printf '%s\n' "$out" | grep -c '^2026-')" -eq 20 ] &&
	printf '%s\n' "$out" | sed -n 1p | grep -q '^TIME  *ACTOR  *COMMAND  *MODEL  *TOKENS  *PROMPT  *RESPONSE  *STATUS  *APPLIED  *SUMMARY$' &&
	printf '%s\n' "$out" | sed -n 2p | grep -q '^2026-01-01T00:25:00Z  *alice  *explain  *openai/gpt-4o-mini  *2500/250  *00000000  *00000000  *ok  *no  *request number 25$' &&
	printf '%s\n' "$out" | sed -n 3p | grep -q 'bot-7  *generate .* 2400/240 .* yes  *request number 24$' &&
	printf '%s\n' "$out" | grep -q ' 2300/0  *00000000  *-  *timeout  *no  *request number 23$' &&
	printf '%s\n' "$out" | tail -1 | grep -q 'the newest 20 of 25 requests; --all'; then
	ok "text: 20 newest first"
else bad "text (exit $rc)" "$out"; fi
out=$("$dpc" -C "$p" log --limit 3 2>&1)
[ "$(printf '%s\n' "$out" | grep -c '^2026-')" -eq 3 ] && ok "--limit 3" || bad "--limit 3" "$out"
out=$("$dpc" -C "$p" log --all 2>&1)
if [ "$(printf '%s\n' "$out" | grep -c '^2026-')" -eq 25 ] && ! printf '%s' "$out" | grep -q 'the newest'; then
	ok "--all"
else bad "--all" "$out"; fi
out=$("$dpc" -C "$p" --format json log --limit 2 2>&1) && rc=0 || rc=$?
if [ $rc -eq 0 ] && printf '%s' "$out" | "$py" -c '
import json, sys
d = json.load(sys.stdin)
assert d["ok"] is True and d["exit_code"] == 0 and d["total"] == 25, d
e = d["entries"]
assert [x["id"] for x in e] == [25, 24], e
assert e[0] == {"id": 25, "time": "2026-01-01T00:25:00Z", "actor": "alice", "command": "explain",
    "provider": "openai", "model": "gpt-4o-mini", "tokens_in": 2500, "tokens_out": 250,
    "prompt_hash": "%032x" % (0xabc000 + 25), "response_hash": "%032x" % (0xdef000 + 25),
    "status": "ok", "applied": False, "summary": "request number 25"}, e[0]
assert e[1]["applied"] is True and e[1]["actor"] == "bot-7", e[1]
'; then ok "json entries"; else bad "json entries (exit $rc)" "$out"; fi
out=$("$dpc" -C "$p" log --format json --all 2>&1)
printf '%s' "$out" | "$py" -c '
import json, sys
e = json.load(sys.stdin)["entries"]
assert len(e) == 25 and e[2]["id"] == 23 and e[2]["response_hash"] is None and e[2]["status"] == "timeout", e[2]
' && ok "json --all: no answer, null hash" || bad "json --all" "$out"
[ ! -e "$p/.dpc/state.db" ] && ok "state.db untouched" || bad "dpc log made state.db"

# the log is a memory, not a cache: a state DB of another format is thrown
# away by the next build, the log stays
if "$dpc" -C "$p" build >/dev/null 2>&1 && [ -f "$p/.dpc/state.db" ]; then
	"$py" -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA user_version=99"); db.commit()' "$p/.dpc/state.db"
	out=$("$dpc" -C "$p" build --explain 2>&1) || true
	n=$("$dpc" -C "$p" log --all | grep -c '^2026-' || true)
	[ "$n" -eq 25 ] && ok "kept across a discarded state DB" || bad "the log after a discarded state DB: $n rows" "$out"
else
	bad "build in the log's project" "$("$dpc" -C "$p" build 2>&1)"
fi

# an ai.db of a newer dpc: an error, and the file left alone
"$py" -c 'import sqlite3, sys; db = sqlite3.connect(sys.argv[1]); db.execute("PRAGMA user_version=7"); db.commit()' "$p/.dpc/ai.db"
out=$("$dpc" -C "$p" log 2>&1) && rc=0 || rc=$?
if [ $rc -eq 1 ] && printf '%s' "$out" | grep -q "newer dpc"; then ok "newer format"; else bad "newer format (exit $rc)" "$out"; fi
n=$("$py" -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from requests").fetchone()[0])' "$p/.dpc/ai.db")
[ "$n" = 25 ] && ok "kept" || bad "the newer log lost rows: $n"

summary ai/log
