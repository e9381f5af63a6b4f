#!/bin/sh
# The quick rebuild (compiler/quick.c) against the full compilation: after
# each edit, the tree a build leaves must be byte for byte the tree a build
# from scratch writes, whichever path the build took; and each edit must take
# the path it is meant to (--explain says which).
set -eu
DPC=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail() { echo "quick: $*" >&2; exit 1; }
cp -R "$top/examples/bikeshare" "$t/p"
cd "$t/p"
rm -rf .dpc data
"$DPC" build >/dev/null
# the copy is younger than 2 s, so that build recorded every input as
# "racily clean"; one more, later, records their stamps
sleep 2
"$DPC" build >/dev/null

# build with --explain; $1: quick or full, the path it must take
step=0
build() {
	step=$((step + 1))
	"$DPC" build --explain >"$t/out" 2>&1 || fail "step $step: build failed: $(cat "$t/out")"
	case $1 in
	quick) grep -q '^dpc: quick rebuild' "$t/out" || fail "step $step: not quick: $(cat "$t/out")" ;;
	full) grep -q '^dpc: compiling the whole spec' "$t/out" || fail "step $step: not full: $(cat "$t/out")" ;;
	esac
	# the reference: the same project built from nothing
	rm -rf "$t/ref"
	cp -R "$t/p" "$t/ref"
	rm -rf "$t/ref/.dpc" "$t/ref/data"
	"$DPC" -C "$t/ref" build >/dev/null 2>&1 || fail "step $step: reference build failed"
	diff -r "$t/ref/data" data >"$t/diff" 2>&1 || fail "step $step: trees differ: $(head -40 "$t/diff")"
	"$DPC" check >/dev/null 2>&1 || fail "step $step: check is not clean after the build"
}

# 1. a comment in one model: its file and the registry, nothing else
echo "-- a comment" >>sql/staging/stg_weather.sql
build quick
grep -q 'update  data/dbt/models/staging/stg_weather.sql' "$t/out" || fail "stg_weather.sql not rewritten"
[ "$(grep -c '^  update' "$t/out")" -eq 2 ] || fail "more than two files rewritten: $(cat "$t/out")"
# 2. touched, same bytes: nothing written
touch sql/staging/stg_weather.sql
build quick
grep -q 'nothing to write' "$t/out" || fail "a touch wrote files: $(cat "$t/out")"
# 3. two models at once, one with tests on its columns and one incremental
sed 's/as temp_max_c,/as temp_max_c, -- degrees/' sql/staging/stg_weather.sql >"$t/x" && cat "$t/x" >sql/staging/stg_weather.sql
printf '\n-- daily\n' >>sql/marts/fct_station_daily.sql
build quick
# 4. a new ref: the graph changes, the whole spec is compiled
printf '\n-- {{ ref("stg_trips") }}\n' >>sql/marts/dim_stations.sql
build full
# 5. config() in the SQL: the facts change
printf '\n{{ config(tags=["x"]) }}\n' >>sql/marts/dim_stations.sql
build full
# 6. the SQL of a singular test is not a model's: full
echo "-- more" >>sql/tests/assert_daily_rides_match_trips.sql
build full
# 7. a spec edit and a SQL edit together: full
sed 's/One row per day of weather/One row per calendar day of weather/' specs/staging.yaml >"$t/x" && cat "$t/x" >specs/staging.yaml
echo "-- again" >>sql/staging/stg_weather.sql
build full
# 8. a hand-edited output next to a SQL edit: full, and drift stops it
echo "-- hand" >>data/dbt/models/staging/stg_trips.sql
echo "-- and again" >>sql/staging/stg_weather.sql
if "$DPC" build --explain >"$t/out" 2>&1; then fail "drift was not reported"; fi
grep -q 'compiling the whole spec' "$t/out" || fail "drift: not the full path"
grep -q 'edited by hand' "$t/out" || fail "drift: not named: $(cat "$t/out")"
"$DPC" build --force >/dev/null 2>&1 || fail "--force failed"
# 9. binary bytes in a model's SQL: full, and its diagnostic, nothing written
cp data/dbt/models/staging/stg_weather.sql "$t/before"
printf '\000\001\002' >>sql/staging/stg_weather.sql
if "$DPC" build --explain >"$t/out" 2>&1; then fail "binary SQL accepted"; fi
grep -q 'not UTF-8 text' "$t/out" || fail "binary: no diagnostic: $(cat "$t/out")"
cmp -s "$t/before" data/dbt/models/staging/stg_weather.sql || fail "binary: an output changed"
echo "select 1 as weather_date" >sql/staging/stg_weather.sql
build full
# 10. quick again after all that
echo "-- last" >>sql/staging/stg_weather.sql
build quick
echo "quick: ok"
