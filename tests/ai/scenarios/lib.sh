# shellcheck shell=sh
# tests/ai/scenarios/lib.sh: what the dpc ai tests (tests/ai/*.sh) share.
# Each test sources it with the dpc binary as its argument:
#
#   . "$(dirname "$0")/scenarios/lib.sh" "$@"
#
#   t                 a scratch folder, removed on exit (a signal included)
#   start_fake P S    start tests/ai/fakellm.py on 127.0.0.1 replaying S (a
#                     file of this folder, or JSON text starting with '['),
#                     and point dpc at it for provider P (openai, anthropic);
#                     the server stops on exit, or at the next start_fake
#   requests          how many requests the fake server has had
#   reqbody N         the JSON body of request N (1 is the first)
#   project NAME      dpc init NAME in $t, cd into it, dpc build, and keep a
#                     copy of pipeline.yaml (same_spec compares with it)
#   expect CODE CMD   run CMD (stdout in $t/out, stderr in $t/err) and
#                     require the exit code
#   has FILE TEXT...  every TEXT is in FILE; hasnt: none is
#   jsok FILE EXPR    the Python expression EXPR on the JSON document d of
#                     FILE is true (the document must be the only output);
#                     text(content) joins a message's content blocks
#   same_spec         pipeline.yaml has the bytes it had after project
#   fail MSG          stop the test
set -eu
[ $# -eq 1 ] || { echo "usage: $0 DPC_BINARY" >&2; exit 2; }
case $1 in
/*) DPC=$1 ;;
*) DPC=$(pwd)/$1 ;;
esac
top=$(cd "$(dirname "$0")/../.." && pwd)
name=ai/$(basename "$0" .sh)
t=$(mktemp -d "${TMPDIR:-/tmp}/dpc-ai.XXXXXX")
fake=
stop_fake() {
	if [ -n "$fake" ]; then
		kill "$fake" 2>/dev/null || true
		wait "$fake" 2>/dev/null || true
		fake=
	fi
}
trap 'stop_fake; rm -rf "$t"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# keys are markers: no output may ever contain them
export OPENAI_API_KEY="sk-test-openai-marker-$$" ANTHROPIC_API_KEY="sk-ant-test-marker-$$"
export FAKELLM_EXPECT_KEY=
export DPC_ACTOR=ai-tests DPC_AI_BACKOFF_MS=20 DPC_AI_MAX_RETRIES=2 DPC_AI_TIMEOUT_MS=20000
export SOURCE_DATE_EPOCH=1767225600
unset DPC_AI_PROVIDER DPC_AI_MODEL DPC_AI_BASE_URL NO_COLOR 2>/dev/null || true

fail() {
	echo "$name: $*" >&2
	exit 1
}

start_fake() {
	stop_fake
	case $2 in
	'['*) printf '%s\n' "$2" >"$t/script.json" && script=$t/script.json ;;
	*) script=$top/tests/ai/scenarios/$2 ;;
	esac
	rm -f "$t/port" "$t/log"
	# its stderr (a client hanging up on a hung answer is a traceback there) is kept aside
	python3 "$top/tests/ai/fakellm.py" --script "$script" --port-file "$t/port" --log "$t/log" --idle 60 \
		2>>"$t/fake.err" &
	fake=$!
	i=0
	while [ ! -s "$t/port" ]; do
		i=$((i + 1))
		[ $i -lt 200 ] || { cat "$t/fake.err" >&2; fail "the fake LLM server did not start"; }
		sleep 0.05
	done
	export DPC_AI_PROVIDER="$1" DPC_AI_MODEL=fake-model DPC_AI_BASE_URL="http://127.0.0.1:$(cat "$t/port")/v1"
	case $1 in
	openai) FAKELLM_EXPECT_KEY=$OPENAI_API_KEY ;;
	*) FAKELLM_EXPECT_KEY=$ANTHROPIC_API_KEY ;;
	esac
}

requests() {
	if [ -f "$t/log" ]; then wc -l <"$t/log" | tr -d ' '; else echo 0; fi
}

reqbody() {
	python3 -c 'import json,sys; print(json.dumps(json.loads(open(sys.argv[1]).readlines()[int(sys.argv[2]) - 1])["body"]))' \
		"$t/log" "$1"
}

expect() {
	want=$1
	shift
	set +e
	"$@" >"$t/out" 2>"$t/err"
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		sed 's/^/  out: /' "$t/out" | head -40 >&2
		sed 's/^/  err: /' "$t/err" | head -40 >&2
		fail "'$*' exited $got, wanted $want"
	fi
	# a key never shows, whatever happened
	for k in "$OPENAI_API_KEY" "$ANTHROPIC_API_KEY"; do
		if grep -qF -- "$k" "$t/out" "$t/err"; then fail "'$*' printed an API key"; fi
	done
}

has() {
	f=$1
	shift
	for s in "$@"; do
		grep -qF -- "$s" "$f" || { sed 's/^/  /' "$f" | head -40 >&2; fail "$f has no '$s'"; }
	done
}

hasnt() {
	f=$1
	shift
	for s in "$@"; do
		if grep -qF -- "$s" "$f"; then sed 's/^/  /' "$f" | head -40 >&2; fail "$f has '$s'"; fi
	done
}

jsok() {
	python3 - "$1" "$2" <<'EOF' || fail "$1: $2 does not hold"
import json, sys
text = open(sys.argv[1]).read()
try:
    d = json.loads(text)
except ValueError as e:
    sys.exit("not one JSON document (%s): %.300s" % (e, text))
# text(c): a message's content as one string (Anthropic may send blocks)
def text(c):
    return c if isinstance(c, str) else "".join(b.get("text", "") for b in c)
ok = eval(sys.argv[2], {"d": d, "json": json, "text": text})
if not ok:
    sys.exit("%s is false for %.2000s" % (sys.argv[2], json.dumps(d, indent=1)))
EOF
}

project() {
	cd "$t"
	expect 0 "$DPC" init "$1"
	cd "$t/$1"
	expect 0 "$DPC" build
	cp pipeline.yaml "$t/$1.orig"
	spec_copy=$t/$1.orig
}

same_spec() {
	cmp -s pipeline.yaml "$spec_copy" || { diff "$spec_copy" pipeline.yaml >&2 || true; fail "pipeline.yaml changed"; }
}
