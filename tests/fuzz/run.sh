#!/bin/sh
# run.sh SECONDS: build the libFuzzer targets with clang into build/fuzz/
# and run each for SECONDS on a copy of its seed corpus (tests/fuzz/corpus/
# NAME/), so the inputs a run discovers do not flood the repository. Prints
# per target the number of executions and whether it crashed; a crash keeps
# its input in build/fuzz/crash-NAME-* and makes the script exit 1.
#
#   CLANG=clang-17 sh tests/fuzz/run.sh 300
set -eu

secs=${1:-60}
case $secs in
'' | *[!0-9]*)
	echo "usage: $0 SECONDS" >&2
	exit 2
	;;
esac

cd "$(dirname "$0")/../.."
top=$(pwd)
CLANG=${CLANG:-clang}
PKG_CONFIG=${PKG_CONFIG:-pkg-config}
out=build/fuzz
mkdir -p "$out"

deps=$($PKG_CONFIG --cflags --libs yaml-0.1 libcjson libxxhash)
flags="-std=c11 -D_XOPEN_SOURCE=700 -D_DEFAULT_SOURCE -g -O1 -fsanitize=fuzzer,address,undefined -Icompiler -Wall -Wextra -Wpedantic"

echo "building fuzz targets in $out/"
# shellcheck disable=SC2086 # flags and deps are word lists
$CLANG $flags -o "$out/fuzz_sqlscan" tests/fuzz/fuzz_sqlscan.c compiler/sqlscan.c compiler/util.c $deps
# shellcheck disable=SC2086
$CLANG $flags -o "$out/fuzz_spec" tests/fuzz/fuzz_spec.c compiler/util.c compiler/diag.c \
	compiler/yamldoc.c compiler/spec.c compiler/spec_app.c compiler/cron.c compiler/sqlscan.c \
	compiler/select.c compiler/ir.c $deps

scratch=$(mktemp -d "${TMPDIR:-/tmp}/dpc-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
trap 'exit 130' INT TERM

# the words of the spec language and of YAML, to reach past the key checks
cat >"$scratch/spec.dict" <<'EOF'
"version: 1\x0a"
"project: "
"include: "
"warehouse:"
"layout:"
"vars:"
"packages:"
"sources:"
"models:"
"seeds:"
"tests:"
"type"
"postgres"
"sqlite"
"duckdb"
"schema"
"threads"
"path"
"database"
"host_env"
"port_env"
"user_env"
"password_env"
"dbt"
"assets"
"package"
"git"
"revision"
"name"
"description"
"freshness"
"field"
"warn_after"
"error_after"
"filter"
"tags"
"tables"
"identifier"
"columns"
"sql"
"sql/stg_orders.sql"
"sql/stg_customers.sql"
"sql/fct_orders.sql"
"sql/cycle.sql"
"sql/binary.sql"
"sql/outside.sql"
"seeds/raw_orders.csv"
"seeds/raw_customers.csv"
"seeds/empty.csv"
"specs/*.yaml"
"specs/models.yaml"
"specs/sources.yaml"
"materialized"
"view"
"table"
"incremental"
"ephemeral"
"layer"
"unique_key"
"incremental_strategy"
"delete+insert"
"merge"
"on_schema_change"
"append_new_columns"
"alias"
"enabled"
"owner"
"csv"
"delimiter"
"severity"
"warn"
"error"
"unique"
"not_null"
"accepted_values"
"relationships"
"values"
"quote"
"column"
"where"
"to"
"stg_orders"
"stg_customers"
"fct_orders"
"raw_orders"
"raw_customers"
"shop"
"orders"
"{{ ref('"
"{{ source('"
"{{ var('"
"{{ config(materialized='"
"') }}"
"{% "
" %}"
"{#"
"#}"
"12h"
"true"
"false"
"null"
"~"
"&a "
"*a"
"<<: "
"? "
"---"
"..."
"%YAML 1.2"
"!!str "
"!!binary "
"|-"
">+"
"- "
": "
"\x0a  "
"\x09"
"\xef\xbb\xbf"
"\\u00e9"
"\\x00"
"supabase:"
"project_id"
"source"
"embeddings:"
"schedules:"
"sensors:"
"ci:"
"primary_key"
"identity"
"by_default"
"nullable"
"default"
"references"
"on_delete"
"cascade"
"set null"
"check"
"indexes"
"method"
"concurrently"
"rls"
"select"
"insert"
"authenticated"
"service_role"
"grants"
"realtime"
"from"
"text"
"key"
"dimensions"
"index"
"hnsw"
"ivfflat"
"metric"
"lists"
"provider"
"openai"
"batch_size"
"python"
"py/jobs.py"
"function"
"deps"
"group"
"cron"
"timezone"
"0 3 * * *"
"*/15"
"mon-fri"
"@daily"
"Europe/Berlin"
"tag:"
"source:"
"+"
"2+"
"on"
"cursor"
"interval"
"30s"
"providers"
"github"
"steps"
"deploy"
"secrets"
"notes"
"note_vectors"
"fetch"
"Digest"
EOF

failed=0
for name in sqlscan spec; do
	mkdir "$scratch/corpus-$name"
	cp tests/fuzz/corpus/$name/* "$scratch/corpus-$name/"
	extra=
	[ "$name" = spec ] && extra="-dict=$scratch/spec.dict -max_len=16384"
	echo "fuzzing $name for $secs s ($(ls "$scratch/corpus-$name" | wc -l) seeds)"
	rc=0
	# shellcheck disable=SC2086
	(cd "$scratch" && TMPDIR="$scratch" "$top/$out/fuzz_$name" -max_total_time="$secs" \
		-print_final_stats=1 -timeout=25 -rss_limit_mb=2048 \
		-artifact_prefix="$top/$out/crash-$name-" $extra "corpus-$name") \
		>"$scratch/$name.log" 2>&1 || rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$scratch/$name.log" | tail -n 1)
	if [ "$rc" -eq 0 ]; then
		echo "$name: ${execs:-?} executions in $secs s, no crash"
	else
		failed=1
		echo "$name: ${execs:-?} executions, CRASHED (exit $rc)"
		grep -E '^(==[0-9]+==|SUMMARY|artifact_prefix|Test unit written|.*invariant broken)' \
			"$scratch/$name.log" | head -n 20 || :
		sed -n '/^==[0-9]*== *ERROR/,/^SUMMARY/p' "$scratch/$name.log" | head -n 60 || :
		cp "$scratch/$name.log" "$out/crash-$name.log"
		echo "full log: $out/crash-$name.log"
	fi
done
exit "$failed"
