#!/bin/sh
# bench/run.sh: the build-engine benchmark (make bench). See bench/README.md.
#
# For N = 1000 and 10000 models (and 100000 with BENCH_FULL=1) it generates a
# project with bench/gen.py and times, in this one run, dpc's cold build,
# no-op build, a one-SQL-file edit, a one-fragment edit and dpc check, with
# the peak RSS of the cold and no-op builds, next to floors measured on the
# same machine in the same run: a ninja no-op over as many outputs, and cp -r
# of the generated tree. Each floor is interleaved with the dpc figure it is
# compared to, so that load from other processes hits both alike. It prints
# a table, checks the targets at 10,000 models, and writes the table to
# build/bench-results.txt.
#
# Environment:
#   BENCH_FULL=1       also N = 100000 (and the 100k/10k cold build target)
#   BENCH_SIZES="..."  run exactly these N instead (for quick local runs)
#   BENCH_TMP=DIR      where the work folder goes (default /tmp); see "File
#                      system" in bench/README.md for why it can matter
#   BENCH_FS=fresh|tmpfs|dir
#                      fresh (the default when run as root with mkfs.ext4 and
#                      a loop device): each N works on an ext4 file system of
#                      its own, made for it and unmounted after; tmpfs: on a
#                      tmpfs of its own (no disk: what dpc itself costs);
#                      dir: in the work folder, on whatever file system holds it
#
# Exit status: 0 when every measurement ran, whatever the targets say;
# 1 when a command failed (its output is shown); 2 when something is missing.
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

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/dpc-bench.XXXXXX")
MOUNTED=""
cleanup() {
	for m in $MOUNTED; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true; done
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# a private copy of dpc, so a rebuild of build/dpc during the run changes nothing
cp build/dpc "$WORK/dpc"
DPC=$WORK/dpc
cc -O2 -o "$WORK/rss" bench/rss.c
RES=$WORK/results # lines: N KEY VALUE
: >"$RES"
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')

say() { echo "bench: $*" >&2; }
put() { echo "$1 $2 $3" >>"$RES"; }

# timed TIMES LOG CMD...: run CMD (its output to LOG) and append
# "wall-seconds max-rss-KiB exit" to TIMES; a failing command stops the
# benchmark and shows its output
timed() {
	tf=$1 log=$2
	shift 2
	if "$WORK/rss" "$tf" "$@" >"$log" 2>&1; then
		return 0
	else
		rc=$?
	fi
	echo "bench: FAILED (exit $rc): $*" >&2
	echo "bench: wall seconds, peak RSS KiB, exit: $(tail -n 1 "$tf")" >&2
	echo "bench: its output (last 40 of $(wc -l <"$log") lines):" >&2
	tail -n 40 "$log" >&2
	exit 1
}

# stats TIMES: "median min max" of the wall times; maxrss TIMES: the peak
stats() {
	awk '{print $1}' "$1" | sort -n | awk '{v[NR] = $1}
		END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; print m, v[1], v[NR]}'
}
maxrss() { awk 'BEGIN {m = 0} $2 + 0 > m {m = $2 + 0} END {print m}' "$1"; }
putstats() { put "$1" "$2" "$(stats "$3")"; }

# flush what the benchmark itself left dirty (copies, deletes), so that it is
# not charged to the next timed command (dpc's syncfs, or cp's writes)
settle() { sync; }

# the file of model i: gen.py pads numbers to at least 5 digits
sqlfile() { find "$1/sql" -name "$(printf "m_%0${2}d.sql" "$3")" | head -n 1; }

# a fresh file system per N: files freed by an earlier size (or by another
# process) cannot slow down this one's file creation ("File system" in the
# README). ext4 without a journal, like the VM disks this runs on, with its
# inode tables written out by mkfs rather than by a background thread
FS=${BENCH_FS:-}
if [ -z "$FS" ]; then
	FS=dir
	[ "$(id -u)" = 0 ] && command -v mkfs.ext4 >/dev/null 2>&1 && command -v losetup >/dev/null 2>&1 &&
		losetup -f >/dev/null 2>&1 && FS=fresh
fi
case $FS in fresh | tmpfs | dir) ;; *) die "BENCH_FS is fresh, tmpfs or dir, not '$FS'" ;; esac
# area N: the folder the size-N measurements work in
area() {
	A=$WORK/fs-$1
	mkdir -p "$A"
	if [ "$FS" = tmpfs ]; then
		mount -t tmpfs -o size=$(($1 * 200 + 1048576))k,nr_inodes=$(($1 * 24 + 100000)) dpc-bench "$A" ||
			die "mounting a tmpfs on $A failed"
		MOUNTED="$A $MOUNTED"
	fi
	[ "$FS" = fresh ] || return 0
	img=$WORK/fs-$1.img
	# about 120 KiB and 24 inodes per model cover every copy the run makes
	truncate -s $(($1 * 120 + 1048576))K "$img"
	mkfs.ext4 -q -F -O ^has_journal -N $(($1 * 24 + 100000)) -E lazy_itable_init=0,nodiscard "$img" ||
		die "mkfs.ext4 failed on $img (BENCH_FS=dir skips the fresh file system)"
	mount -o loop,noatime "$img" "$A" || die "mounting $img failed (BENCH_FS=dir skips the fresh file system)"
	MOUNTED="$A $MOUNTED"
}
unarea() {
	[ "$FS" != dir ] || return 0
	umount "$WORK/fs-$1" && rm -f "$WORK/fs-$1.img"
	MOUNTED=$(echo "$MOUNTED" | sed "s|$WORK/fs-$1 ||")
}

for N in $SIZES; do
	say "N=$N: generating"
	area "$N"
	G=$A/gen-$N
	"$PY" bench/gen.py "$N" "$G"
	# a project as its repository holds it: with its migration history
	# (supabase/ is append-only, written once and committed), without the
	# rest of the generated tree and without .dpc
	"$DPC" -C "$G" build >"$WORK/gen.$N.log" 2>&1 || {
		tail -n 20 "$WORK/gen.$N.log" >&2
		die "the first build of the generated project failed"
	}
	rm -rf "$G/data" "$G/.dpc" "$G/.github" "$G/.gitlab-ci.yml" "$G/AGENTS.md"
	last=$((N - 1))
	w=${#last}
	[ "$w" -ge 5 ] || w=5
	nfrag=$(find "$G/specs" -name "part_*.yaml" | wc -l | tr -d ' ')
	put "$N" inputs "$(find "$G" -type f | wc -l | tr -d ' ')"
	put "$N" fragments "$nfrag"

	# --- cold build (fresh copy, no .dpc, no data/), interleaved with the
	# cp -r floor (the tree the build wrote, to a fresh folder); 3 of each.
	# Nothing is deleted until the end: see "File system" in the README ---
	for k in 1 2 3; do
		say "N=$N: cold build $k of 3, cp -r floor $k of 3"
		C=$A/proj-$N-$k
		cp -R "$G" "$C"
		settle
		sleep 3 # older than dpc's 2 s racily-clean window: stamps are trusted
		timed "$WORK/cold.$N" "$WORK/cold.$N.$k.log" "$DPC" -C "$C" build
		settle
		timed "$WORK/cp.$N" "$WORK/cp.$N.log" cp -r "$C/data" "$A/cpdst-$N-$k"
	done
	putstats "$N" cold "$WORK/cold.$N"
	put "$N" cold_rss "$(maxrss "$WORK/cold.$N")"
	put "$N" cold_says "$(tail -n 1 "$WORK/cold.$N.1.log")"
	putstats "$N" cp "$WORK/cp.$N"
	nout=$(find "$C/data" -type f | wc -l | tr -d ' ')
	put "$N" outputs "$nout"

	# --- the ninja floor: one cp edge per output, reading a per-output input
	# file (a copy of dpc's output, so the same sizes); built once here ---
	say "N=$N: setting up the ninja floor over $nout outputs"
	J=$A/ninja-$N
	mkdir -p "$J"
	cp -R "$C/data" "$J/in"
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

	# --- no-op build, interleaved with ninja's no-op; 5 of each ---
	settle
	sleep 3
	say "N=$N: no-op builds and ninja no-ops"
	misses=0
	for k in 1 2 3 4 5; do
		timed "$WORK/noop.$N" "$WORK/noop.$N.$k.log" "$DPC" -C "$C" build
		grep -q 'nothing to do' "$WORK/noop.$N.$k.log" || misses=$((misses + 1))
		timed "$WORK/ninja.$N" "$WORK/ninja.$N.$k.log" ninja -C "$J"
		grep -q 'no work to do' "$WORK/ninja.$N.$k.log" ||
			die "the ninja no-op did work: $(head -n 3 "$WORK/ninja.$N.$k.log")"
	done
	putstats "$N" noop "$WORK/noop.$N"
	put "$N" noop_rss "$(maxrss "$WORK/noop.$N")"
	put "$N" noop_misses "$misses"
	put "$N" noop_says "$(tail -n 1 "$WORK/noop.$N.1.log")"
	putstats "$N" ninja "$WORK/ninja.$N"

	# --- one SQL file edited: 5 files across the layers, one build each ---
	say "N=$N: one-SQL-file edits"
	for k in 1 2 3 4 5; do
		f=$(sqlfile "$C" "$w" $((N * k / 6)))
		[ -n "$f" ] || die "no SQL file for model $((N * k / 6))"
		echo "-- bench edit $k" >>"$f"
		settle
		timed "$WORK/sql.$N" "$WORK/sql.$N.$k.log" "$DPC" -C "$C" build
	done
	putstats "$N" sql "$WORK/sql.$N"
	put "$N" sql_rss "$(maxrss "$WORK/sql.$N")"
	put "$N" sql_says "$(tail -n 1 "$WORK/sql.$N.1.log")"

	# --- one fragment edited: a model's description, in 5 fragments ---
	say "N=$N: one-fragment edits"
	for k in 1 2 3 4 5; do
		part=$((nfrag * k / 6))
		size=$((N - part * 100))
		[ "$size" -le 100 ] || size=100
		i=$((part * 100 + k * 17 % size)) # a different model each time
		f=$C/specs/$(printf 'part_%03d.yaml' "$part")
		sed "s/^    description: Bench model $i in /    description: Edited (run $k) bench model $i in /" "$f" >"$WORK/frag.tmp"
		cmp -s "$f" "$WORK/frag.tmp" && die "the edit of $f changed nothing"
		cat "$WORK/frag.tmp" >"$f"
		settle
		timed "$WORK/spec.$N" "$WORK/spec.$N.$k.log" "$DPC" -C "$C" build
	done
	putstats "$N" spec "$WORK/spec.$N"
	put "$N" spec_says "$(tail -n 1 "$WORK/spec.$N.1.log")"

	# --- dpc check on a clean copy: the generated tree, no .dpc; 3 runs ---
	say "N=$N: dpc check without state"
	K=$A/check-$N
	cp -R "$C" "$K"
	rm -rf "$K/.dpc"
	settle
	for k in 1 2 3; do
		timed "$WORK/check.$N" "$WORK/check.$N.$k.log" "$DPC" -C "$K" check
	done
	putstats "$N" check "$WORK/check.$N"
	put "$N" check_rss "$(maxrss "$WORK/check.$N")"
	put "$N" check_says "$(tail -n 1 "$WORK/check.$N.1.log")"
	put "$N" fs "$(df -T "$A" 2>/dev/null | awk 'NR == 2 {print $2}') ($FS)"
	unarea "$N"
done

# --- the table ---
case $FS in
fresh) FSDESC="a fresh ext4 (no journal) per size" ;;
tmpfs) FSDESC="a tmpfs per size" ;;
*) FSDESC="$(df -T "$WORK" 2>/dev/null | awk 'NR == 2 {print $2}') (the work folder)" ;;
esac
OUT=$WORK/table
{
	echo "dpc build-engine benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	dirty=""
	[ -z "$(git status --porcelain -- compiler 2>/dev/null)" ] || dirty=", with uncommitted changes in compiler/"
	echo "dpc: $("$DPC" version 2>/dev/null | head -n 1) (build/dpc from commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)$dirty)"
	echo "host: $(uname -sr), $(nproc 2>/dev/null || echo '?') CPUs, file system: $FSDESC, load average $LOAD0 at start, $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?') at end"
	echo "wall-clock seconds: median (min-max); floors interleaved with the figure they bound"
	awk -v sizes="$SIZES" '
	function get(n, k) { return ((n SUBSEP k) in R) ? R[n, k] : "" }
	function med(n, k,   a) { split(get(n, k), a, " "); return a[1] + 0 }
	function spread(n, k,   a) { split(get(n, k), a, " "); return sprintf("%.4f (%.3f-%.3f)", a[1], a[2], a[3]) }
	function ratio(a, b) { return (b + 0 > 0) ? sprintf("%.2fx", a / b) : "-" }
	function mib(v) { return sprintf("%.1f MiB", v / 1024) }
	function row(name, val, fname, fval, r) {
		printf "  %-34s %24s   %-24s %24s %8s\n", name, val, fname, fval, r
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
			row("figure", "dpc", "floor", "floor", "ratio")
			row("cold build (3 runs)", spread(n, "cold"), "cp -r data/ (3 runs)", spread(n, "cp"), ratio(med(n, "cold"), med(n, "cp")))
			row("no-op build (5 runs)", spread(n, "noop"), "ninja no-op (5 runs)", spread(n, "ninja"), ratio(med(n, "noop"), med(n, "ninja")))
			row("one SQL file edited (5 runs)", spread(n, "sql"), "dpc no-op", spread(n, "noop"), ratio(med(n, "sql"), med(n, "noop")))
			row("one fragment edited (5 runs)", spread(n, "spec"), "dpc no-op", spread(n, "noop"), ratio(med(n, "spec"), med(n, "noop")))
			row("dpc check, no state (3 runs)", spread(n, "check"), "cp -r data/", spread(n, "cp"), ratio(med(n, "check"), med(n, "cp")))
			row("peak RSS, cold build (max of 3)", mib(get(n, "cold_rss")), "target", "64.0 MiB", ratio(get(n, "cold_rss"), 65536))
			row("peak RSS, no-op build (max of 5)", mib(get(n, "noop_rss")), "target", "64.0 MiB", ratio(get(n, "noop_rss"), 65536))
			row("peak RSS, one SQL edit (max of 5)", mib(get(n, "sql_rss")), "", "", "")
			row("peak RSS, dpc check (max of 3)", mib(get(n, "check_rss")), "", "", "")
			printf "  cold build said: %s\n", get(n, "cold_says")
			printf "  no-op said:      %s\n", get(n, "noop_says")
			printf "  SQL edit said:   %s\n", get(n, "sql_says")
			printf "  spec edit said:  %s\n", get(n, "spec_says")
			printf "  check said:      %s\n", get(n, "check_says")
			if (get(n, "noop_misses") + 0 != 0)
				printf "  WARNING: %s of 5 no-op builds did not take the no-op path\n", get(n, "noop_misses")
		}
		printf "\ntargets at 10,000 models\n"
		n = 10000
		if (get(n, "cold") == "") {
			print "  not measured: N = 10000 was not in this run"
		} else {
			v = med(n, "noop") / med(n, "ninja")
			printf "  %-46s %10.2fx   %s\n", "no-op <= 1.0x ninja no-op", v, verdict(v <= 1.0)
			v = med(n, "cold") / med(n, "cp")
			printf "  %-46s %10.2fx   %s\n", "cold build <= 2x cp -r", v, verdict(v <= 2.0)
			v = med(n, "sql") / med(n, "noop")
			printf "  %-46s %10.2fx   %s\n", "one SQL edit <= 2x dpc no-op", v, verdict(v <= 2.0)
			m = get(n, "cold_rss") + 0
			if (get(n, "noop_rss") + 0 > m) m = get(n, "noop_rss") + 0
			printf "  %-46s %11s   %s\n", "peak RSS < 64 MiB (cold and no-op builds)", mib(m), verdict(m < 65536)
			if (get(n, "noop_misses") + 0 != 0)
				printf "  %-46s %11s   %s\n", "no-op builds take the no-op path", get(n, "noop_misses") " of 5 missed", "FAIL"
		}
		if (get(100000, "cold") != "" && get(10000, "cold") != "") {
			v = med(100000, "cold") / med(10000, "cold")
			printf "  %-46s %10.2fx   %s\n", "100,000 cold build <= 11x 10,000 cold build", v, verdict(v <= 11.0)
			f = med(100000, "cp") / med(10000, "cp")
			printf "  %-46s %10.2fx   (the file system scaling by itself)\n", "  the cp -r floor, 100,000 / 10,000", f
			printf "  %-46s %10.2fx   (dpc over its floor: 1.00x is linear)\n", "  cold build / cp -r, 100,000 over 10,000", v / f
		} else {
			printf "  %-46s %11s   %s\n", "100,000 cold build <= 11x 10,000 cold build", "-", "not run (BENCH_FULL=1 runs it)"
		}
	}' "$RES"
} >"$OUT"

mkdir -p build
cp "$OUT" build/bench-results.txt
cat "$OUT"
say "table written to build/bench-results.txt"

# dpc analyze: reading an existing repository (bench/analyze.sh), its figures
# added to the table
say "dpc analyze: 1,000 + 200 and 10,000 + 2,000 files"
TMPDIR=${BENCH_TMP:-/tmp} PYTHON=$PY sh bench/analyze.sh build/dpc | tee -a build/bench-results.txt

# dpc run: 1,000 models over 100,000 seed rows on the SQLite warehouse,
# against the sqlite3 shell running the same statements (bench/run_bench.sh,
# which writes its own table to build/bench-run-results.txt)
say "dpc run: 1,000 models over 100,000 seed rows"
sh bench/run_bench.sh
