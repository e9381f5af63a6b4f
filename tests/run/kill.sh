#!/bin/sh
# run/kill: `dpc run` killed with SIGKILL at any moment leaves every
# relation of the warehouse whole, either as the run before left it or as
# this run makes it, with the record that goes with it; the next run
# finishes the work and leaves everything as a run from scratch does.
#
# A project of a seed (RUN_KILL_ROWS rows, default 8000) and 30 models
# (tables joined in a tree, and views) is written in two versions, A and B,
# whose seeds differ. Reference warehouses of both are built first; their
# relations' contents and record versions are what a relation may hold.
# Then, RUN_KILL_RUNS times (default 10), the project switches version and
# `dpc run` is killed after a random time within a reference run's
# duration. After each kill every seed and table must hold the A or the B
# content with the A or the B record to match, with no temporary table
# left; then `dpc run` must finish, its relations must equal the reference,
# and a further run must find nothing to do.
. "$(dirname "$0")/lib/common.sh"
rows=${RUN_KILL_ROWS:-8000}
runs=${RUN_KILL_RUNS:-10}
nm=30
pid=
trap '[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null; rm -rf "$T"' EXIT

# gen DIR: the project, at version A
gen() {
	mkdir -p "$1/seeds"
	{
		printf 'version: 1\nproject: killrun\nseeds:\n  s: {csv: seeds/s.csv, columns: {id: integer, v: integer}}\nmodels:\n'
		printf '  m_0:\n    materialized: table\n    sql: "select id, v from {{ ref('"'s'"') }}"\n'
		k=1
		while [ $k -lt $nm ]; do
			if [ $((k % 5)) -eq 0 ]; then
				printf '  m_%d:\n    sql: "select id, v + %d as v from {{ ref('"'m_%d'"') }}"\n' $k $k $((k - 1))
			else
				printf '  m_%d:\n    materialized: table\n    sql: "select a.id, (a.v * 31 + b.v + %d) %% 1000 as v from {{ ref('"'m_%d'"') }} as a join {{ ref('"'m_%d'"') }} as b on a.id = b.id"\n' \
					$k $((k - 1)) $(((k - 1) / 2))
			fi
			k=$((k + 1))
		done
	} >"$1/pipeline.yaml"
}
# seed DIR A|B
seed() {
	awk -v n="$rows" -v ver="$2" 'BEGIN { print "id,v"; for (i = 1; i <= n; i++) print i "," (ver == "A" ? i % 97 : (i * 7) % 101) }' \
		>"$1/seeds/s.csv"
}
# state DIR: "relation fingerprint version" for the seed and every table
state() {
	"$PY" -c 'import hashlib, sqlite3, sys
db = sqlite3.connect(sys.argv[1])
for (r,) in db.execute("select name from sqlite_master where type = \x27table\x27 and name not like \x27_dpc%\x27 order by name"):
    h = hashlib.md5()
    for row in db.execute("select * from \"%s\" order by id" % r):
        h.update(repr(row).encode())
    v = db.execute("select version from _dpc_runs where relation = ?", (r,)).fetchone()
    print(r, h.hexdigest(), v[0] if v else "-")' "$1/warehouse.db"
}
for v in A B; do
	gen "$T/ref$v"
	seed "$T/ref$v" $v
	t0=$(date +%s%N)
	(cd "$T/ref$v" && "$DPC" run >"$T/ref$v.out" 2>&1) || fail "reference run $v: $(cat "$T/ref$v.out")"
	t1=$(date +%s%N)
	state "$T/ref$v" >"$T/ref$v.state"
	ms=$(((t1 - t0) / 1000000))
done
[ "$(wc -l <"$T/refA.state")" -eq $((nm - (nm - 1) / 5 + 1)) ] || fail "reference state: $(cat "$T/refA.state")"
cat "$T/refA.state" "$T/refB.state" | sort >"$T/allowed"

P=$T/p
gen "$P"
seed "$P" A
(cd "$P" && "$DPC" run >/dev/null 2>&1) || fail "the first run"
cur=A
landed=0
i=0
while [ $i -lt $runs ]; do
	i=$((i + 1))
	cur=$([ $cur = A ] && echo B || echo A)
	seed "$P" $cur
	delay=$(awk -v s="$(od -An -N4 -tu4 /dev/urandom)" -v m="$ms" 'BEGIN { srand(s); printf "%.3f", rand() * m / 1000 }')
	(cd "$P" && exec "$DPC" run >"$T/killed.out" 2>&1) &
	pid=$!
	sleep "$delay"
	if kill -9 $pid 2>/dev/null; then landed=$((landed + 1)); fi
	wait $pid 2>/dev/null || true
	pid=
	# every relation whole, with its own record
	state "$P" >"$T/now"
	while read -r line; do
		grep -qxF "$line" "$T/allowed" || fail "kill $i (after ${delay}s): '$line' is neither A nor B: $(cat "$T/now")"
	done <"$T/now"
	[ "$(wc -l <"$T/now")" -eq "$(wc -l <"$T/refA.state")" ] || fail "kill $i: relations missing: $(cat "$T/now")"
	expect "kill $i: temporary tables" "$(q "$P/warehouse.db" "select count(*) from sqlite_master where name like '%dpc_tmp%'")" "0"
	# the next run finishes the work
	(cd "$P" && "$DPC" run >"$T/next.out" 2>&1) || fail "the run after kill $i: $(cat "$T/next.out")"
	state "$P" >"$T/now"
	cmp -s "$T/now" "$T/ref$cur.state" || fail "after kill $i: $(diff "$T/ref$cur.state" "$T/now")"
done
(cd "$P" && "$DPC" run >"$T/last.out" 2>&1) || fail "the last run"
grep -q 'nothing to run' "$T/last.out" || fail "the last run did something: $(cat "$T/last.out")"
echo "run/$NAME: ok ($landed of $runs kills landed mid-run; a reference run takes ${ms} ms)"
