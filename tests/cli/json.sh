#!/bin/sh
# --format json on every command: standard output is exactly one JSON
# document with "command", "ok" and "exit_code" (equal to the exit status),
# and "diagnostics" (file, line, column, severity, message) when the command
# compiles the spec; nothing else is on standard output. Good cases and bad
# ones: a spec with an error, a stale tree, drift, mistakes on the command
# line. Commands another part of the work has not built yet ("not built
# yet" on stderr) are skipped. docs/cli.md documents the shapes.
set -eu
DPC=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
fail() { echo "json: $*" >&2; exit 1; }
export SOURCE_DATE_EPOCH=1767225600

# doc.py COMMAND WANT STATUS [KEY...]: stdout ($t/out) is one JSON object
# whose command is COMMAND ("-": null), whose exit_code is STATUS (the real
# exit status) and WANT (a number, or "any"), with ok == (STATUS == 0) and
# every KEY present; "diagnostics" is checked field by field
cat >"$t/doc.py" <<'EOF'
import json, sys
cmd, want, status, keys = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
text = open(sys.argv[0].replace("doc.py", "out")).read()
def die(msg):
    sys.exit("%s\n--- stdout:\n%s" % (msg, text[:2000]))
try:
    doc, end = json.JSONDecoder().raw_decode(text.lstrip())
except ValueError as e:
    die("stdout is not JSON: %s" % e)
if text.lstrip()[end:].strip():
    die("something follows the JSON document on stdout")
if not isinstance(doc, dict):
    die("the document is not an object")
if doc.get("command") != (None if cmd == "-" else cmd) or "command" not in doc:
    die("command is %r, not %r" % (doc.get("command"), cmd))
if doc.get("exit_code") != status:
    die("exit_code %r but dpc exited %d" % (doc.get("exit_code"), status))
if want != "any" and status != int(want):
    die("exited %d, wanted %s" % (status, want))
if doc.get("ok") is not (status == 0):
    die("ok is %r with exit status %d" % (doc.get("ok"), status))
for k in keys:
    if k not in doc:
        die("no %r in the document" % k)
for d in doc.get("diagnostics", []):
    for f in ("severity", "message"):
        if f not in d:
            die("a diagnostic without %s: %r" % (f, d))
    if d["severity"] not in ("error", "warning", "note"):
        die("a diagnostic of severity %r" % d["severity"])
    if "line" in d and not ("file" in d and "column" in d and d["line"] >= 1 and d["column"] >= 1):
        die("a diagnostic with a line but no file or column: %r" % d)
if status == 2 and "diagnostics" in keys and not any(d["severity"] == "error" for d in doc["diagnostics"]):
    if "error" not in doc:
        die("exit 2 with no error diagnostic and no error")
if status != 0 and "diagnostics" not in keys and "error" in keys and not doc["error"]:
    die("an empty error")
EOF

# js COMMAND WANT [KEY...] -- DPC-ARGS...: run dpc --format json DPC-ARGS
js() {
	name=$1 want=$2
	shift 2
	keys=""
	while [ "$1" != -- ]; do keys="$keys $1"; shift; done
	shift
	set +e
	"$DPC" --format json "$@" >"$t/out" 2>"$t/err"
	got=$?
	set -e
	if grep -q 'not built yet' "$t/err"; then
		echo "json: skipped $* (not built yet)"
		return 0
	fi
	# shellcheck disable=SC2086 # keys are words
	python3 "$t/doc.py" "$name" "$want" "$got" $keys ||
		fail "dpc --format json $* (stderr: $(head -c 600 "$t/err"))"
}

# no project needed
js version 0 version -- version
js help 0 commands usage -- help
js help 0 commands -- --help
js version 0 version -- --version
js schema 0 schema -- schema
python3 -c "import json; d = json.load(open('$t/out')); assert d['schema']['properties']['models']" ||
	fail "schema: no schema in the document"

# init
js init 0 project files -- init shop
js init 2 error -- init shop
js init 2 error -- init 9lives
js init 2 error -- init bad --ci jenkins
cd shop

# build, no-op, check, plan, graph
js build 0 diagnostics plan summary downstream -- build
js build 0 diagnostics noop -- build
js check 0 diagnostics plan diffs summary -- check
js plan 0 diagnostics plan downstream summary -- plan
js graph 0 diagnostics nodes edges -- graph
js run 0 diagnostics results run_summary -- run
js test 0 diagnostics results run_summary -- test
js run 0 -- run -s stg_orders --full-refresh --explain
grep -q '^dpc' "$t/out" && fail "run: a progress line on stdout"
js test 0 -- test --explain
js build 0 -- build --explain --force

# analyze: the graph, and the proposed spec inside the document
js analyze 0 nodes edges warnings summary -- analyze sql
js analyze 0 spec -- analyze --emit-spec
python3 -c "import json; d = json.load(open('$t/out')); assert d['spec'].startswith('# yaml-language-server')" ||
	fail "analyze --emit-spec: the spec is not in the document"
js analyze 2 error -- analyze no/such/folder

# migrate: no DAG to move is a report; a tool dpc does not move from, an error
js migrate any build report -- migrate airflow
js migrate 2 error -- migrate luigi

# a stale tree: check says 1 with the files and their diffs, plan lists them
printf -- '-- a comment\n' >>sql/staging/stg_orders.sql
js check 1 diagnostics plan diffs -- check
python3 -c "
import json; d = json.load(open('$t/out'))
assert any(p['path'].endswith('stg_orders.sql') for p in d['plan']), d['plan']
assert d['diffs'] and all('diff' in x for x in d['diffs'])" || fail "check on a stale tree: no plan or diff"
js plan 0 plan downstream -- plan
js build 0 diagnostics plan -- build

# drift: a generated file edited by hand stops the build (1), --force goes on
printf -- '-- mine\n' >>data/dbt/models/staging/stg_orders.sql
js build 1 diagnostics plan summary -- build
python3 -c "
import json; d = json.load(open('$t/out'))
assert any(p['action'] == 'drift' for p in d['plan']), d['plan']" || fail "drift is not in the plan"
js check 1 plan -- check
js build 0 -- build --force

# a spec with an error: 2, and the error has its place
cp pipeline.yaml "$t/spec.saved"
sed 's/materialized: table/materialized: tabel/' "$t/spec.saved" >pipeline.yaml
for c in build check plan graph run test; do
	js "$c" 2 diagnostics -- "$c"
done
python3 -c "
import json; d = json.load(open('$t/out'))
e = [x for x in d['diagnostics'] if x['severity'] == 'error']
assert e and e[0]['file'] == 'pipeline.yaml' and e[0]['line'] > 1 and 'tabel' in e[0]['message'], e" ||
	fail "the error diagnostic does not say where"
cp "$t/spec.saved" pipeline.yaml

# the command line: one document with the error, exit 2
js build 2 error -- build --bogus
js - 2 error -- --bogus build
js - 2 error did_you_mean -- biuld
python3 -c "import json; assert json.load(open('$t/out'))['did_you_mean'] == 'build'" || fail "no did_you_mean"
js - 2 error --
js build 2 error -- build --spec
js build 2 error -- build --select stg_orders
js test 2 error -- test --full-refresh
js run 2 error -- run --vars '[1]'
js build 2 error -- build extra
js build 2 error -- -C "$t/nowhere" build
js check 2 diagnostics -- check --spec nosuch.yaml
# an unknown format cannot ask for JSON: said on stderr, nothing on stdout
set +e
"$DPC" build --format yaml >"$t/out" 2>"$t/err"
rc=$?
set -e
if [ "$rc" -ne 2 ] || [ -s "$t/out" ] || ! grep -q "unknown --format 'yaml'" "$t/err"; then
	fail "--format yaml: exit $rc, $(cat "$t/out" "$t/err")"
fi

# the commands that read their own options
js log any -- log
js new 2 error -- new model 9bad
js supabase 2 error -- supabase vectorize no_such_table --text body --dimensions 3
js ai 2 error -- ai no_such_subcommand

# a held lock: 1
exec 9>.dpc/lock
if command -v flock >/dev/null 2>&1; then
	flock -n 9
	js build 1 error -- build
	flock -u 9
fi
exec 9>&-
echo "json: ok"
