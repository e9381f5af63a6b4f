#!/bin/sh
# run/init: `dpc init demo && cd demo && dpc run` works, in seconds: the
# starter's seeds load, its models build, its tests pass; the warehouse and
# dpc run's results are where the starter's .gitignore keeps them out of git.
. "$(dirname "$0")/lib/common.sh"
cd "$T"
"$DPC" init demo >"$T/init.out" 2>&1 || fail "init: $(cat "$T/init.out")"
grep -q 'next: cd demo && dpc run' "$T/init.out" || fail "init says: $(cat "$T/init.out")"
cd demo
t0=$(date +%s)
"$DPC" run >"$T/run.out" 2>&1 || fail "dpc run in the starter: $(cat "$T/run.out")"
t1=$(date +%s)
[ $((t1 - t0)) -lt 10 ] || fail "dpc run took $((t1 - t0)) s"
grep -q '^Done. PASS=[1-9][0-9]* WARN=0 ERROR=0 SKIP=0' "$T/run.out" || fail "the starter's run: $(cat "$T/run.out")"
expect "dim_customers" "$(q warehouse.db "select count(*) from dim_customers")" \
	"$(($(wc -l <seeds/raw_customers.csv) - 1))"
for f in warehouse.db target/run_results.json; do
	[ -f "$f" ] || fail "no $f"
done
for p in warehouse.db target/ .dpc/; do
	grep -qx "$p" .gitignore || fail ".gitignore does not hold $p"
done
echo "run/$NAME: ok"
