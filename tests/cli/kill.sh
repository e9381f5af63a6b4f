#!/bin/sh
# kill.sh DPC: a build killed with SIGKILL at any instant leaves every
# generated file wholly old or wholly new, and the next build finishes it.
#
# A project of KILL_MODELS models (default 2000; each model's SQL reads an
# earlier one) is written in two versions, A and B, that differ in every
# SQL file, in some descriptions, in the layer (folder) of some models and
# in one model each has alone. Reference copies of both are built first.
# Then one project is built at A and, KILL_RUNS times (default 40), its
# inputs are switched to the other version and `dpc build` is killed after
# a random 0 to KILL_MAX_MS (default 300) milliseconds. After each kill
# every file under data/ must be byte for byte the A or the B version of
# itself, no file both versions have may be missing, and nothing else (a
# temporary file, a partial write) may be there. Then `dpc build` must
# finish, `dpc check` must exit 0 and the tree must equal the reference of
# the current version. Then KILL_FRESH_RUNS (default 10) fresh builds (no
# data/, no .dpc/) are killed the same way: what they leave must be whole
# files, and the next build must finish the tree; these kills land within
# the time the reference build took, so most catch the writer mid-way (a
# fresh build puts each layout root in place whole, at its end, so what
# they leave is mostly nothing or everything; its next build writes over
# the copy a killed one left in .dpc/tmp).
#
# A build slower than KILL_MAX_MS is only ever killed before it renames
# anything: the last lines say how many kills landed while files were
# being renamed (raise KILL_MAX_MS to about the build's time to reach
# that). KILL_CHAIN=N lets N killed builds follow each other before one is
# run to completion and checked (default 1: every killed build is
# finished at once). KILL_SEED fixes the random delays, to replay a run.
set -eu

if [ $# -ne 1 ]; then
	echo "usage: $0 DPC" >&2
	exit 2
fi
case $1 in
/*) dpc=$1 ;;
*) dpc=$(pwd)/$1 ;;
esac
[ -x "$dpc" ] || {
	echo "kill: $dpc is not an executable" >&2
	exit 2
}
nmodels=${KILL_MODELS:-2000}
runs=${KILL_RUNS:-40}
maxms=${KILL_MAX_MS:-300}
chain=${KILL_CHAIN:-1}
seed=${KILL_SEED:-$(date +%s)}
export DPC_NO_SYNC=1

work=$(mktemp -d "${TMPDIR:-/tmp}/dpc-kill.XXXXXX")
pid=
trap '[ -z "$pid" ] || kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# gen DIR VERSION: write the inputs of version A or B into DIR
gen() {
	mkdir -p "$1/sql"
	awk -v dir="$1" -v ver="$2" -v n="$nmodels" 'BEGIN {
		spec = dir "/pipeline.yaml"
		printf "# kill test, version %s\nversion: 1\nproject: killtest\nmodels:\n", ver > spec
		for (i = 0; i < n; i++) {
			layer = "l" (i % 10)
			if (ver == "B" && i % 50 == 0)
				layer = "l" ((i + 1) % 10)
			printf "  m_%d:\n    sql: sql/m_%d.sql\n    layer: %s\n", i, i, layer > spec
			if (i % 7 == 0)
				printf "    materialized: table\n" > spec
			if (ver == "B" && i % 3 == 0)
				printf "    description: model %d, version B\n", i > spec
			f = dir "/sql/m_" i ".sql"
			if (i == 0) {
				printf "select 0 as id, \047%s\047 as version, 1 as depth\n", ver > f
			} else {
				j = (i * 7919 + 13) % i
				printf "select %d as id, \047%s\047 as version, depth + 1 as depth\n", i, ver > f
				printf "from {{ ref(\047m_%d\047) }}\n", j > f
			}
			close(f)
		}
		only = ver == "A" ? "only_a" : "only_b"
		printf "  %s:\n    sql: \"select 1 as %s\"\n", only, only > spec
		close(spec)
	}'
}

# sums DIR: "path crc size" of every file under DIR/data, sorted
sums() {
	[ -d "$1/data" ] || return 0
	(cd "$1" && find data -type f -exec cksum {} + | awk '{ print $3, $1, $2 }' | sort)
}

# ms: milliseconds since the epoch, roughly (date +%s%N where it works)
ms() {
	t=$(date +%s%N 2>/dev/null || :)
	case $t in
	*N | '') echo $(($(date +%s) * 1000)) ;;
	*) echo $((t / 1000000)) ;;
	esac
}

for v in A B; do
	gen "$work/ref$v" "$v"
	t0=$(ms)
	"$dpc" -C "$work/ref$v" build >"$work/ref$v.log" 2>&1 || {
		echo "kill: building the reference of version $v failed:" >&2
		tail -n 20 "$work/ref$v.log" >&2
		exit 1
	}
	t1=$(ms)
	sums "$work/ref$v" >"$work/sums$v"
	reftime=$((t1 - t0))
	echo "kill: reference $v: $(wc -l <"$work/sums$v") files, built in $((t1 - t0)) ms"
done

proj=$work/proj
gen "$proj" A
"$dpc" -C "$proj" build >"$work/build.log" 2>&1 || {
	echo "kill: the first build failed:" >&2
	tail -n 20 "$work/build.log" >&2
	exit 1
}
cur=A

# the delays, in seconds with three decimals
awk -v seed="$seed" -v n="$runs" -v max="$maxms" \
	'BEGIN { srand(seed); for (i = 0; i < n; i++) printf "%.3f\n", rand() * max / 1000 }' >"$work/delays"
echo "kill: $runs kills of a build of $nmodels models after 0-$maxms ms (KILL_SEED=$seed)"

passed=0 failed=0 run=0 finished=0 mixed=0
while read -r delay; do
	run=$((run + 1))
	if [ "$cur" = A ]; then new=B; else new=A; fi
	gen "$proj" "$new"
	"$dpc" -C "$proj" build >"$work/killed.log" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || :
	st=0
	{ wait "$pid" || st=$?; } 2>/dev/null # no "Killed" from the shell
	pid=
	[ "$st" -eq 0 ] && finished=$((finished + 1))
	cur=$new
	ok=true
	why=

	# every file is wholly A or wholly B; files both have are there
	sums "$proj" >"$work/sumsK"
	awk -v fa="$work/sumsA" -v fb="$work/sumsB" '
		FILENAME == fa { a[$1] = $2 " " $3; next }
		FILENAME == fb { b[$1] = $2 " " $3; next }
		{
			seen[$1] = 1
			s = $2 " " $3
			ina = ($1 in a) && s == a[$1]
			inb = ($1 in b) && s == b[$1]
			if (ina || inb) { na += ina && !inb; nb += inb && !ina }
			else if (!($1 in a) && !($1 in b)) { print "stray file " $1; bad = 1 }
			else { print "partial or mixed file " $1; bad = 1 }
		}
		END {
			for (p in a)
				if ((p in b) && !(p in seen)) { print "missing file " p; bad = 1 }
			printf "state %d %d\n", na, nb
			exit bad
		}' "$work/sumsA" "$work/sumsB" "$work/sumsK" >"$work/verdict" || {
		ok=false
		why=" after the kill: $(grep -v '^state' "$work/verdict" | head -n 3 | tr '\n' ';')"
	}
	# how far the killed build got: files only A has and files only B has
	# both there means it was killed while renaming
	na=$(awk '$1 == "state" { print $2 }' "$work/verdict")
	nb=$(awk '$1 == "state" { print $3 }' "$work/verdict")
	[ "${na:-0}" -gt 0 ] && [ "${nb:-0}" -gt 0 ] && mixed=$((mixed + 1))
	progress="A=${na:-?} B=${nb:-?}"

	# the next build finishes the job (with KILL_CHAIN=N, after every N kills)
	if [ $((run % chain)) -ne 0 ] && [ "$run" -ne "$runs" ]; then
		if $ok; then
			passed=$((passed + 1))
			echo "kill $run: ok (to $cur, killed after ${delay}s, exit $st, files $progress, left unfinished)"
		else
			failed=$((failed + 1))
			echo "kill $run: FAILED (to $cur, killed after ${delay}s, exit $st, files $progress):$why"
		fi
		continue
	fi
	if ! "$dpc" -C "$proj" build >"$work/build.log" 2>&1; then
		ok=false
		why="$why the build after the kill failed: $(tail -n 3 "$work/build.log" | tr '\n' ';')"
		# go on from a clean state, so one failure does not fail every later run
		"$dpc" -C "$proj" build --force >/dev/null 2>&1 || :
	elif ! "$dpc" -C "$proj" check >"$work/check.log" 2>&1; then
		ok=false
		why="$why dpc check after the build failed: $(tail -n 3 "$work/check.log" | tr '\n' ';')"
	fi
	ref=$work/ref$cur
	if ! diff -r "$ref/data" "$proj/data" >"$work/diff" 2>&1 ||
		! diff -r "$ref/sql" "$proj/sql" >>"$work/diff" 2>&1 ||
		! cmp -s "$ref/pipeline.yaml" "$proj/pipeline.yaml"; then
		ok=false
		why="$why the tree differs from reference $cur: $(head -n 3 "$work/diff" | tr '\n' ';')"
	fi
	# the leftovers of killed builds in .dpc/tmp are dpc's own business; report them
	left=$(find "$proj/.dpc/tmp" -type f 2>/dev/null | wc -l)

	if $ok; then
		passed=$((passed + 1))
		echo "kill $run: ok (to $cur, killed after ${delay}s, exit $st, files $progress, .dpc/tmp $left)"
	else
		failed=$((failed + 1))
		echo "kill $run: FAILED (to $cur, killed after ${delay}s, exit $st, files $progress):$why"
	fi
done <"$work/delays"

echo "kill: $mixed of $runs kills landed while files were being renamed, $finished builds finished before the kill"

# Fresh builds (no data/, no .dpc/: the writer thread writes while the back
# ends run) killed at random: every file there is whole, and the next build
# finishes the tree and recognises what the killed one wrote as its own.
fresh=${KILL_FRESH_RUNS:-10}
awk -v seed="$seed" -v n="$fresh" -v max="$reftime" \
	'BEGIN { srand(seed + 1); for (i = 0; i < n; i++) printf "%.3f\n", rand() * max / 1000 }' >"$work/fdelays"
partial=0
while read -r delay; do
	run=$((run + 1))
	rm -rf "$proj/data" "$proj/.dpc"
	"$dpc" -C "$proj" build >"$work/killed.log" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null || :
	{ wait "$pid" || :; } 2>/dev/null
	pid=
	ok=true
	why=
	sums "$proj" >"$work/sumsK"
	awk -v f="$work/sums$cur" 'FILENAME == f { r[$1] = $2 " " $3; next }
		!($1 in r) || r[$1] != $2 " " $3 { print "not whole: " $1; bad = 1 }
		END { exit bad }' "$work/sums$cur" "$work/sumsK" >"$work/verdict" || {
		ok=false
		why=" after the kill: $(head -n 3 "$work/verdict" | tr '\n' ';')"
	}
	n=$(wc -l <"$work/sumsK")
	[ "$n" -gt 0 ] && [ "$n" -lt "$(wc -l <"$work/sums$cur")" ] && partial=$((partial + 1))
	if ! "$dpc" -C "$proj" build >"$work/build.log" 2>&1; then
		ok=false
		why="$why the build after the kill failed: $(tail -n 3 "$work/build.log" | tr '\n' ';')"
		"$dpc" -C "$proj" build --force >/dev/null 2>&1 || :
	elif ! "$dpc" -C "$proj" check >"$work/check.log" 2>&1; then
		ok=false
		why="$why dpc check after the build failed: $(tail -n 3 "$work/check.log" | tr '\n' ';')"
	elif ! diff -r "$work/ref$cur/data" "$proj/data" >"$work/diff" 2>&1; then
		ok=false
		why="$why the tree differs from reference $cur: $(head -n 3 "$work/diff" | tr '\n' ';')"
	fi
	if $ok; then
		passed=$((passed + 1))
		echo "kill $run: ok (fresh build killed after ${delay}s with $n files written)"
	else
		failed=$((failed + 1))
		echo "kill $run: FAILED (fresh build killed after ${delay}s with $n files written):$why"
	fi
done <"$work/fdelays"
echo "kill: $partial of $fresh fresh builds were killed with part of the tree written"
echo "kill: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
