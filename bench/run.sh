#!/bin/sh
# bench/run.sh: the build-engine benchmark (make bench). See bench/README.md.
#
# For N = 1000 and 10000 models (and 100000 with BENCH_FULL=1) it generates a
# project with bench/gen.py and times, in this one run, dpc's cold build,
# no-op build, a one-SQL-file edit, a one-fragment edit and dpc check, with
# the peak RSS of the cold and no-op builds, next to floors measured on the
# same machine at the same time: a ninja no-op over as many outputs, and
# cp -r of the generated tree. It prints a table, checks the targets at
# 10,000 models, and writes the table to build/bench-results.txt.
#
# Environment:
#   BENCH_FULL=1       also N = 100000 (and the 100k/10k cold build target)
#   BENCH_SIZES="..."  run exactly these N instead (for quick local runs)
#
# Exit status: 0 when every measurement ran (whatever the targets say),
# 1 when a command failed, 2 when something needed is missing.
set -eu

cd "$(dirname "$0")/.."
PY=/usr/bin/python3
SIZES="1000 10000"
[ "${BENCH_FULL:-0}" = 1 ] && SIZES="$SIZES 100000"
SIZES=${BENCH_SIZES:-$SIZES}
unset DPC_NO_SYNC # measure the real thing: syncfs included

die() { echo "bench: $*" >&2; exit 2; }
[ -x build/dpc ] || die "build/dpc is missing: run make first"
[ -x "$PY" ] || die "$PY is missing"
command -v ninja >/dev/null 2>&1 || die "ninja is missing (Debian: ninja-build; make deps installs it)"
command -v cc >/dev/null 2>&1 || die "cc is missing"

WORK=$(mktemp -d /tmp/dpc-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# a private copy of dpc, so a rebuild of build/dpc during the run changes nothing
cp build/dpc "$WORK/dpc"
DPC=$WORK/dpc
cc -O2 -o "$WORK/rss" bench/rss.c
RES=$WORK/results # lines: N KEY VALUE
: >"$RES"

say() { echo "bench: $*" >&2; }
put() { echo "$1 $2 $3" >>"$RES"; }

# timed TIMES LOG CMD...: run CMD (output to LOG), append "wall rss exit" to
# TIMES; a failing command stops the benchmark with its output
timed() {
	tf=$1 log=$2
	shift 2
	if "$WORK/rss" "$tf" "$@" >"$log" 2>&1; then
		return 0
	else
		rc=$?
	fi
	echo "bench: FAILED (exit $rc): $*" >&2
	echo "bench: wall time and peak RSS: $(tail -n 1 "$tf")" >&2
	echo "bench: its output (last 40 lines of $(wc -l <"$log") lines):" >&2
	tail -n 40 "$log" >&2
	exit 1
}

median() { awk '{print $1}' "$1" | sort -n | awk '{v[NR] = $1} END {if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }
maxrss() { awk 'BEGIN {m = 0} $2 > m {m = $2} END {print m}' "$1"; }

# settle: flush what earlier steps left dirty, so that dpc's syncfs does not
# pay for the benchmark's own copies
settle() { sync; }

for N in $SIZES; do
	say "N=$N: generating"
	G=$WORK/gen-$N
	"$PY" bench/gen.py "$N" "$G"
	last=$((N - 1))
	w=${#last} # gen.py pads model numbers to at least 5 digits
	[ "$w" -ge 5 ] || w=5
	nfrag=$(find "$G/specs" -name "part_*.yaml" | wc -l | tr -d ' ')
	nin=$(find "$G" -type f | wc -l | tr -d ' ')
	put "$N" inputs "$nin"
	put "$N" fragments "$nfrag"

	# --- cold build: a fresh copy, no .dpc, no data/ ---
	C=$WORK/proj-$N
	cp -R "$G" "$C"
	settle
	sleep 3 # older than dpc's 2 s racily-clean window: stamps are trusted
	say "N=$N: cold build"
	timed "$WORK/cold.$N" "$WORK/cold.$N.log" "$DPC" -C "$C" build
	put "$N" cold "$(median "$WORK/cold.$N")"
	put "$N" cold_rss "$(maxrss "$WORK/cold.$N")"
	put "$N" cold_says "$(tail -n 1 "$WORK/cold.$N.log")"
	nout=$(find "$C/data" -type f | wc -l | tr -d ' ')
	put "$N" outputs "$nout"

	# --- no-op: median of 5, each checked to take the no-op path ---
	settle
	sleep 3
	say "N=$N: no-op builds"
	misses=0
	for k in 1 2 3 4 5; do
		timed "$WORK/noop.$N" "$WORK/noop.$N.$k.log" "$DPC" -C "$C" build
		grep -q 'nothing to do' "$WORK/noop.$N.$k.log" || misses=$((misses + 1))
	done
	put "$N" noop "$(median "$WORK/noop.$N")"
	put "$N" noop_rss "$(maxrss "$WORK/noop.$N")"
	put "$N" noop_misses "$misses"
	[ "$misses" = 0 ] || put "$N" noop_says "$(tail -n 1 "$WORK/noop.$N.1.log")"

	# --- one SQL file edited: 5 files across the layers, one build each ---
	say "N=$N: one-SQL-file edits"
	for k in 1 2 3 4 5; do
		i=$((N * k / 6))
		f=$(find "$C/sql" -name "$(printf "m_%0${w}d.sql" "$i")" | head -n 1)
		[ -n "$f" ] || die "no SQL file for model $i"
		echo "-- bench edit $k" >>"$f"
		settle
		timed "$WORK/sql.$N" "$WORK/sql.$N.$k.log" "$DPC" -C "$C" build
	done
	put "$N" sql "$(median "$WORK/sql.$N")"
	put "$N" sql_rss "$(maxrss "$WORK/sql.$N")"
	put "$N" sql_says "$(tail -n 1 "$WORK/sql.$N.1.log")"

	# --- one fragment edited: one model's description in 5 fragments ---
	say "N=$N: one-fragment edits"
	for k in 1 2 3 4 5; do
		part=$((nfrag * k / 6))
		size=$((N - part * 100))
		[ "$size" -le 100 ] || size=100
		i=$((part * 100 + k * 17 % size)) # a different model each time
		f=$C/specs/$(printf 'part_%03d.yaml' "$part")
		sed "s/^    description: Bench model $i in /    description: Edited (run $k) bench model $i in /" "$f" >"$f.tmp"
		cmp -s "$f" "$f.tmp" && die "edit of $f changed nothing"
		cat "$f.tmp" >"$f"
		rm -f "$f.tmp"
		settle
		timed "$WORK/spec.$N" "$WORK/spec.$N.$k.log" "$DPC" -C "$C" build
	done
	put "$N" spec "$(median "$WORK/spec.$N")"
	put "$N" spec_says "$(tail -n 1 "$WORK/spec.$N.1.log")"

	# --- dpc check on a clean copy: generated tree, no .dpc ---
	say "N=$N: dpc check without state"
	K=$WORK/check-$N
	cp -R "$C" "$K"
	rm -rf "$K/.dpc"
	settle
	for k in 1 2 3; do
		timed "$WORK/check.$N" "$WORK/check.$N.$k.log" "$DPC" -C "$K" check
	done
	put "$N" check "$(median "$WORK/check.$N")"
	put "$N" check_rss "$(maxrss "$WORK/check.$N")"
	put "$N" check_says "$(tail -n 1 "$WORK/check.$N.1.log")"
	rm -rf "$K"

	# --- floor: cp -r of the generated tree, median of 3 ---
	say "N=$N: floor: cp -r data/"
	for k in 1 2 3; do
		settle
		timed "$WORK/cp.$N" "$WORK/cp.$N.log" cp -r "$C/data" "$WORK/cpdst-$N-$k"
		rm -rf "$WORK/cpdst-$N-$k"
	done
	put "$N" cp "$(median "$WORK/cp.$N")"

	# --- floor: ninja no-op over as many outputs, one cp edge each ---
	say "N=$N: floor: ninja no-op over $nout outputs"
	J=$WORK/ninja-$N
	mkdir -p "$J"
	cp -R "$C/data" "$J/in" # per-output inputs, the same sizes as dpc's outputs
	(
		cd "$J"
		# shellcheck disable=SC2016 # ninja's variables, not the shell's
		printf 'rule cp\n  command = cp $in $out\n\n'
		find in -type f | sort | awk '{o = $0; sub(/^in\//, "out/", o); printf "build %s: cp %s\n", o, $0}'
	) >"$J/build.ninja"
	nedges=$(grep -c '^build ' "$J/build.ninja")
	[ "$nedges" = "$nout" ] || die "build.ninja has $nedges edges, dpc wrote $nout files"
	ninja -C "$J" >"$WORK/ninja.$N.build.log" 2>&1 || {
		tail -n 20 "$WORK/ninja.$N.build.log" >&2
		die "the ninja floor's first build failed"
	}
	settle
	sleep 3
	for k in 1 2 3 4 5; do
		timed "$WORK/ninja.$N" "$WORK/ninja.$N.$k.log" ninja -C "$J"
		grep -q 'no work to do' "$WORK/ninja.$N.$k.log" || die "ninja no-op did work: $(cat "$WORK/ninja.$N.$k.log")"
	done
	put "$N" ninja "$(median "$WORK/ninja.$N")"
	rm -rf "$J" "$C" "$G"
done

# --- the table ---
OUT=$WORK/table
{
	echo "dpc build-engine benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "dpc: $("$DPC" version 2>/dev/null | head -n 1) (commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
	echo "host: $(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs, work dir on $(df -T "$WORK" 2>/dev/null | awk 'NR == 2 {print $2}'); times are wall-clock seconds"
	awk -v sizes="$SIZES" -v full="${BENCH_FULL:-0}" '
	function get(n, k) { return ((n SUBSEP k) in R) ? R[n, k] : "" }
	function ratio(a, b) { return (b > 0) ? sprintf("%.2fx", a / b) : "-" }
	function sec(v) { return sprintf("%.4f s", v) }
	function mib(v) { return sprintf("%.1f MiB", v / 1024) }
	function row(name, val, fname, fval, r) {
		printf "  %-34s %14s   %-24s %12s   %8s\n", name, val, fname, fval, r
	}
	function verdict(ok) { return ok ? "PASS" : "FAIL" }
	{
		n = $1; k = $2; $1 = ""; $2 = ""; sub(/^  /, "")
		R[n, k] = $0
	}
	END {
		ns = split(sizes, S, " ")
		for (s = 1; s <= ns; s++) {
			n = S[s]
			printf "\nN = %d models: %s input files (pipeline.yaml, %s fragments, 2 seeds, %d SQL); dpc writes %s files\n", \
				n, get(n, "inputs"), get(n, "fragments"), n, get(n, "outputs")
			printf "  %-34s %14s   %-24s %12s   %8s\n", "figure", "dpc", "floor", "floor value", "ratio"
			row("cold build", sec(get(n, "cold")), "cp -r data/ (median 3)", sec(get(n, "cp")), ratio(get(n, "cold"), get(n, "cp")))
			row("no-op build (median 5)", sec(get(n, "noop")), "ninja no-op (median 5)", sec(get(n, "ninja")), ratio(get(n, "noop"), get(n, "ninja")))
			row("one SQL file edited (median 5)", sec(get(n, "sql")), "dpc no-op", sec(get(n, "noop")), ratio(get(n, "sql"), get(n, "noop")))
			row("one fragment edited (median 5)", sec(get(n, "spec")), "dpc no-op", sec(get(n, "noop")), ratio(get(n, "spec"), get(n, "noop")))
			row("dpc check, no state (median 3)", sec(get(n, "check")), "cp -r data/ (median 3)", sec(get(n, "cp")), ratio(get(n, "check"), get(n, "cp")))
			row("peak RSS, cold build", mib(get(n, "cold_rss")), "limit", "64.0 MiB", ratio(get(n, "cold_rss"), 65536))
			row("peak RSS, no-op build (max of 5)", mib(get(n, "noop_rss")), "limit", "64.0 MiB", ratio(get(n, "noop_rss"), 65536))
			row("peak RSS, one SQL edit (max of 5)", mib(get(n, "sql_rss")), "", "", "")
			row("peak RSS, dpc check (max of 3)", mib(get(n, "check_rss")), "", "", "")
			printf "  cold build said:  %s\n", get(n, "cold_says")
			printf "  SQL edit said:    %s\n", get(n, "sql_says")
			printf "  spec edit said:   %s\n", get(n, "spec_says")
			printf "  check said:       %s\n", get(n, "check_says")
			if (get(n, "noop_misses") != 0)
				printf "  WARNING: %s of 5 no-op builds did not take the no-op path; the first said: %s\n", \
					get(n, "noop_misses"), get(n, "noop_says")
		}
		printf "\ntargets at 10,000 models\n"
		n = 10000
		if (get(n, "cold") == "") {
			print "  not measured: N = 10000 was not in this run"
		} else {
			v = get(n, "noop") / get(n, "ninja")
			printf "  %-44s %8.2fx   %s\n", "no-op <= 1.0x ninja no-op", v, verdict(v <= 1.0)
			v = get(n, "cold") / get(n, "cp")
			printf "  %-44s %8.2fx   %s\n", "cold build <= 2x cp -r", v, verdict(v <= 2.0)
			v = get(n, "sql") / get(n, "noop")
			printf "  %-44s %8.2fx   %s\n", "one SQL edit <= 2x dpc no-op", v, verdict(v <= 2.0)
			m = get(n, "cold_rss"); if (get(n, "noop_rss") > m) m = get(n, "noop_rss")
			printf "  %-44s %8s   %s\n", "peak RSS < 64 MiB (cold and no-op)", mib(m), verdict(m < 65536)
			if (get(n, "noop_misses") != 0)
				printf "  %-44s %8s   %s\n", "no-op builds took the no-op path", get(n, "noop_misses") " missed", "FAIL"
		}
		if (get(100000, "cold") != "" && get(10000, "cold") != "") {
			v = get(100000, "cold") / get(10000, "cold")
			printf "  %-44s %8.2fx   %s\n", "100,000 cold build <= 11x 10,000 cold build", v, verdict(v <= 11.0)
		} else {
			printf "  %-44s %8s   %s\n", "100,000 cold build <= 11x 10,000 cold build", "-", "not run (BENCH_FULL=1)"
		}
	}' "$RES"
} >"$OUT"

mkdir -p build
cp "$OUT" build/bench-results.txt
cat "$OUT"
say "table written to build/bench-results.txt"
