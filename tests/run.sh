#!/bin/sh
# tests/run.sh: the whole suite. Every case counts once; the last line is
# "N passed, M failed". The CLI cases run the AddressSanitizer/UBSan build
# (build/dpc-asan), so every case is also a memory-error and leak check.
#
#   UPDATE_GOLDEN=1 sh tests/run.sh   rewrite expected outputs after a
#                                     deliberate change (then review the diff)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
DPC=${DPC:-$top/build/dpc-asan}
PY=/usr/bin/python3
export NO_COLOR=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export DPC_NO_SYNC=1
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT INT TERM
pass=0 fail=0

ok() { pass=$((pass + 1)); [ -z "${VERBOSE:-}" ] || echo "ok   $1"; }
bad() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | head -60 | sed 's/^/     /'
}
# run a case: name, then the command; its output is shown only on failure
case_() {
	name=$1
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

CFLAGS_T="-std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -g -O1 -fsanitize=address,undefined -fno-omit-frame-pointer -Icompiler -Iruntime -Ibuild `pkg-config --cflags yaml-0.1 libcjson libxxhash sqlite3 tree-sitter libcurl`"
LIBS_T="`pkg-config --libs yaml-0.1 libcjson libxxhash sqlite3 tree-sitter` -ldl -pthread"
# the sanitizer build's objects of every compiler source but main.c and the
# commands, and the grammar's, as the Makefile lists them (built if missing)
CORE=$(make -s print-core | tail -1)

# 1. unit tests, one program per phase
for t in tests/unit/test_*.c; do
	n=$(basename "$t" .c)
	if ${CC:-cc} $CFLAGS_T -o "$scratch/$n" "$t" $CORE $LIBS_T 2>"$scratch/$n.cc"; then
		case_ "unit/$n" "$scratch/$n"
	else
		bad "unit/$n (does not compile)" "$(cat "$scratch/$n.cc")"
	fi
done

# 2. diagnostics: each folder is a project; expected holds stderr and the exit code
for d in tests/diag/*/; do
	n=$(basename "$d")
	rm -rf "$scratch/diag" && cp -R "$d" "$scratch/diag"
	got=$(cd "$scratch/diag" && "$DPC" check 2>&1 >/dev/null; echo "exit $?")
	if [ -n "${UPDATE_GOLDEN:-}" ]; then printf '%s\n' "$got" >"$d/expected"; fi
	if [ "$got" = "$(cat "$d/expected")" ]; then ok "diag/$n"; else
		bad "diag/$n" "$(printf '%s\n' "$got" | diff -u "$d/expected" - || true)"
	fi
done

# 3. the spec corpus: the JSON Schema and the compiler agree on every file
for f in tests/spec/valid/*.yaml; do
	n=$(basename "$f")
	s=$("$PY" tests/tools/validate_schema.py specs/pipeline.schema.json "$f" 2>&1) || { bad "spec/valid/$n (schema)" "$s"; continue; }
	rm -rf "$scratch/v" && cp -R tests/spec/valid "$scratch/v"
	(cd "$scratch/v" && "$DPC" check --spec "$n" >/dev/null 2>"$scratch/err"); rc=$?
	if [ $rc -eq 2 ]; then
		bad "spec/valid/$n (dpc rejects it)" "$(cat "$scratch/err")"
	else ok "spec/valid/$n"; fi
done
for f in tests/spec/invalid/*.yaml; do
	n=$(basename "$f")
	s=$("$PY" tests/tools/validate_schema.py --expect-invalid specs/pipeline.schema.json "$f" 2>&1) || { bad "spec/invalid/$n (schema accepts it)" "$s"; continue; }
	rm -rf "$scratch/v" && cp -R tests/spec/invalid "$scratch/v"
	(cd "$scratch/v" && "$DPC" check --spec "$n" >/dev/null 2>"$scratch/err"); rc=$?
	if [ $rc -eq 2 ]; then ok "spec/invalid/$n"; else bad "spec/invalid/$n (dpc accepts it: exit $rc)" "$(head -1 "$f")"; fi
done

# 4. golden trees: each example's generated files are committed with it
# (data/, supabase/, the CI workflows, AGENTS.md: what a user commits); a build from
# scratch must reproduce them byte for byte. Migrations are named after the
# time they were made: SOURCE_DATE_EPOCH pins it to the committed one's
GOLDEN_EPOCH=1767225600 # 2026-01-01 00:00:00 UTC
for ex in bikeshare; do
	gen="data supabase .github .gitlab-ci.yml AGENTS.md"
	rm -rf "$scratch/g" && cp -R "examples/$ex" "$scratch/g"
	(cd "$scratch/g" && rm -rf .dpc $gen)
	(cd "$scratch/g" && SOURCE_DATE_EPOCH=$GOLDEN_EPOCH "$DPC" build >/dev/null 2>"$scratch/err") ||
		{ bad "golden/$ex (build)" "$(cat "$scratch/err")"; continue; }
	if [ -n "${UPDATE_GOLDEN:-}" ]; then
		for f in $gen; do
			rm -rf "examples/$ex/$f"
			[ ! -e "$scratch/g/$f" ] || cp -R "$scratch/g/$f" "examples/$ex/$f"
		done
	fi
	d=""
	for f in $gen; do
		if [ -e "examples/$ex/$f" ] || [ -e "$scratch/g/$f" ]; then
			d="$d$(diff -r "examples/$ex/$f" "$scratch/g/$f" 2>&1)"
		fi
	done
	if [ -z "$d" ]; then ok "golden/$ex"; else bad "golden/$ex" "$d"; fi
done

# 5. the command line, end to end; then the real judges
for t in tests/cli/*.sh; do
	case_ "cli/$(basename "$t" .sh)" sh "$t" "$DPC"
done
# dpc run and dpc test on the SQLite warehouse (tests/run/lib/ holds their helpers)
for t in tests/run/*.sh; do
	case_ "run/$(basename "$t" .sh)" sh "$t" "$DPC"
done
# the AI layer against tests/ai/fakellm.py, a fake LLM server on 127.0.0.1
for t in tests/ai/*.sh; do
	[ -f "$t" ] || continue
	case_ "ai/$(basename "$t" .sh)" sh "$t" "$DPC"
done
# dpc analyze: its fixture repository, bad inputs, the dbt round trip
case_ "analyze" sh tests/analyze/run.sh "$DPC"
[ -f tests/dbt/validate.sh ] && case_ "dbt/schemas" sh tests/dbt/validate.sh "$DPC"
case_ "dagster/judges" sh tests/dagster/validate.sh "$DPC"
case_ "airflow/migrate" sh tests/airflow_migrate/run.sh "$DPC"
case_ "ci/judges" sh tests/ci/validate.sh "$DPC"
# the Airflow DAG reader against its corpus (what Airflow itself builds)
case_ "airflow/corpus" sh tests/airflow/run.sh "$DPC"
# the reference example's committed workflow and migrations, to the real judges
case_ "judges/bikeshare-workflow" node tests/judges/actionlint/actionlint.mjs --require-sha-pins \
	examples/bikeshare/.github/workflows/dpc.yml
case_ "judges/bikeshare-migrations" node tests/supabase/pglite.mjs --quiet examples/bikeshare/supabase/migrations
# the judges themselves: each passes what it should and fails what it should
case_ "judges/selftest" sh tests/judges/selftest.sh
case_ "supabase/selftest" sh tests/supabase/selftest.sh
case_ "supabase/backend" sh tests/supabase/backend.sh "$DPC"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
