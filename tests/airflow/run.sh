#!/bin/sh
# tests/airflow/run.sh DPC_BINARY: the Airflow DAG reader (compiler/airflow.c)
# against the corpus in tests/airflow/corpus/: for each NAME.py,
# NAME.expected.json says what Airflow itself builds from the file (DAGs,
# tasks, edges, the lines it cannot read statically). score.py runs
# `dpc analyze --format json` on every file and compares.
#
# First the scorer checks itself: a stand-in that answers exactly what the
# expected files say must pass, and one that gets things wrong must fail.
# Then the real run, held to the whole corpus (precision and recall 1.0).
#
# Prints "PASS airflow-corpus: tasks P=… R=…, edges P=… R=…" or a FAIL line
# followed by the differences; exits 1 if anything failed, 2 on a usage error.
# VERBOSE=1 shows the scorer's full report on a pass too.
set -u

# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$(dirname "$0")/../lib.sh"
need_dpc "$@"

here=$(cd "$(dirname "$0")" && pwd)
failed=0

# the scorer itself: passes a perfect answer, fails a wrong one
if out=$("$py" "$here/score.py" --quiet "$here/fake_analyze.py" 2>&1); then
	[ -z "${VERBOSE:-}" ] || echo "ok   airflow-scorer: passes the expected answers"
else
	failed=1
	echo "FAIL airflow-scorer: rejects the expected answers"
	printf '%s\n' "$out" | tail -n 12 | sed 's/^/     /'
fi
if out=$(FAKE_BREAK=1 "$py" "$here/score.py" --quiet "$here/fake_analyze.py" 2>&1); then
	failed=1
	echo "FAIL airflow-scorer: accepts wrong answers"
	printf '%s\n' "$out" | tail -n 12 | sed 's/^/     /'
else
	[ -z "${VERBOSE:-}" ] || echo "ok   airflow-scorer: fails wrong answers"
fi

# the reader
out=$("$py" "$here/score.py" "$dpc" 2>&1)
rc=$?
status=$(printf '%s\n' "$out" | grep -E '^(PASS|FAIL) airflow-corpus' | tail -n 1)
[ -n "$status" ] || status="FAIL airflow-corpus: score.py exited $rc without a verdict"
[ "$rc" -eq 0 ] || case $status in PASS*) status="FAIL airflow-corpus: score.py exited $rc" ;; esac
echo "$status"
if [ "$rc" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then
	# the summary first, then each file's differences
	printf '%s\n' "$out" | sed -n '/^files: /,$p' | grep -Ev '^(PASS|FAIL) airflow-corpus' | sed 's/^/     /'
	printf '%s\n' "$out" | sed '/^$/,$d' | grep -Ev '(: ok \(|^(PASS|FAIL) airflow-corpus)' | sed 's/^/     /'
fi
[ "$rc" -eq 0 ] || failed=1
exit "$failed"
