# tests/run/lib/common.sh: sourced by every tests/run/*.sh script. The dpc
# under test is the first argument; each script gets a scratch folder $T,
# removed on exit, and these helpers. A script prints "run/<name>: ok" and
# exits 0, or says what failed and exits 1 (tests/run.sh counts it once).
set -eu
[ $# -ge 1 ] || { echo "usage: $0 DPC" >&2; exit 2; }
case $1 in /*) DPC=$1 ;; *) DPC=$(pwd)/$1 ;; esac
[ -x "$DPC" ] || { echo "$0: $DPC is not an executable" >&2; exit 2; }
NAME=$(basename "$0" .sh)
TOP=$(cd "$(dirname "$0")/../.." && pwd)
PY=/usr/bin/python3
T=$(mktemp -d "${TMPDIR:-/tmp}/dpc-run-$NAME.XXXXXX")
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
export NO_COLOR=1 DPC_NO_SYNC=1
unset DPC_RUN_TRACE

fail() { echo "run/$NAME: $*" >&2; exit 1; }
# q DB SQL: the rows of a query, fields separated by |
q() { sqlite3 -batch "$1" "$2"; }
# expect WHAT GOT WANT
expect() { [ "$2" = "$3" ] || fail "$1: got '$2', want '$3'"; }
# run_json OUT ARGS...: dpc run ARGS --format json into OUT; its exit code in $rc
run_json() {
	out=$1
	shift
	rc=0
	"$DPC" "$@" --format json >"$out" 2>"$out.err" || rc=$?
}
# executed DOC: the nodes a JSON run document says executed, by name, sorted
executed() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(sorted(r["name"] for r in d.get("results", []) if r["executed"] and r["kind"] != "test")))' "$1"
}
# status DOC NAME: the status of a node in a JSON run document
status() {
	"$PY" -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(r["status"] for r in d.get("results", []) if r["name"] == sys.argv[2]))' "$1" "$2"
}
