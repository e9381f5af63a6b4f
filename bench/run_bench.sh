#!/bin/sh
# bench/run_bench.sh: the dpc run benchmark; make bench runs it after the
# build-engine benchmark (bench/run.sh). See "dpc run" in bench/README.md.
#
# bench/run_gen.py writes a project of RUN_BENCH_MODELS models (default
# 1000) over RUN_BENCH_ROWS seed rows (default 100000); dpc build writes
# its generated files (not measured). Then, with the figures of each kind
# interleaved so that load from other processes hits both alike:
#
#   full run       dpc run on an empty warehouse (RUN_BENCH_RUNS times, default 3)
#   the floor      Debian's sqlite3 shell running, from one script, the
#                  statements that run executed (DPC_RUN_TRACE; the seeds
#                  loaded with the shell's .import), on an empty database
#   no-op run      dpc run with nothing changed (5 times); each must take
#                  the no-op path
#   one seed row   one row of the products seed changed, then dpc run
#                  (RUN_BENCH_RUNS times, a different row each time)
#
# Each figure is wall-clock seconds and CPU seconds (user + system, of the
# process and its children), median (min-max). Targets: full run within
# 1.3x the floor, no-op run under 50 ms. The table goes to stdout and to
# build/bench-run-results.txt. Exit status: 0 when every measurement ran,
# whatever the targets say; 1 when a command failed; 2 when something
# needed is missing.
set -eu

cd "$(dirname "$0")/.."
PY=/usr/bin/python3
N=${RUN_BENCH_MODELS:-1000}
ROWS=${RUN_BENCH_ROWS:-100000}
REPS=${RUN_BENCH_RUNS:-3}
unset DPC_NO_SYNC DPC_RUN_TRACE

die() { echo "bench: $*" >&2; exit 2; }
BIN=${RUN_BENCH_DPC:-build/dpc} # another dpc binary, for a quick try
[ -x "$BIN" ] || die "$BIN is missing: run make first"
[ -x "$PY" ] || die "$PY is missing"
command -v sqlite3 >/dev/null 2>&1 || die "sqlite3 is missing (Debian: sqlite3; make deps installs it)"

WORK=$(mktemp -d "${BENCH_TMP:-/tmp}/dpc-run-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
cp "$BIN" "$WORK/dpc"
DPC=$WORK/dpc
say() { echo "bench: $*" >&2; }

# timed TIMES CMD...: run CMD (output to $WORK/log) and append "wall cpu"
# to TIMES; a failing command stops the benchmark
cat >"$WORK/timed.py" <<'EOF'
import os, resource, subprocess, sys, time
out, cmd = sys.argv[1], sys.argv[2:]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
with open(os.environ["LOG"], "w") as log:
    rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT)
t1 = time.monotonic()
r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
with open(out, "a") as f:
    f.write("%.4f %.4f\n" % (t1 - t0, cpu))
sys.exit(rc)
EOF
timed() {
	tf=$1
	shift
	if LOG=$WORK/log "$PY" "$WORK/timed.py" "$tf" "$@"; then
		return 0
	fi
	echo "bench: FAILED: $*" >&2
	tail -n 30 "$WORK/log" >&2
	exit 1
}
# stats TIMES COLUMN: "median min max"
stats() {
	awk -v c="$2" '{print $c}' "$1" | sort -n | awk '{v[NR] = $1}
		END {m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.3f %.3f %.3f\n", m, v[1], v[NR]}'
}

say "generating $N models over $ROWS seed rows"
"$PY" bench/run_gen.py "$N" "$ROWS" "$WORK/p"
P=$WORK/p
(cd "$P" && "$DPC" build >/dev/null) || die "dpc build failed"
# the statements a full run executes, for the floor (not timed)
(cd "$P" && DPC_RUN_TRACE=$WORK/floor.sql "$DPC" run >"$WORK/traced.out" 2>&1) || {
	tail -n 30 "$WORK/traced.out" >&2
	exit 1
}
full=$(grep '^dpc: ran' "$WORK/traced.out" | tail -1)
: >"$WORK/full" >"$WORK/floor" >"$WORK/noop" >"$WORK/row"
i=0
while [ $i -lt "$REPS" ]; do
	i=$((i + 1))
	say "full run and floor, $i of $REPS"
	rm -f "$P"/warehouse.db* "$WORK"/floor.db*
	sync
	(cd "$P" && timed "$WORK/full" "$DPC" run)
	sync
	timed "$WORK/floor" sqlite3 "$WORK/floor.db" ".read $WORK/floor.sql"
done
# the floor's warehouse holds what dpc's does
n1=$(sqlite3 "$P/warehouse.db" "select count(*) from sqlite_master where type in ('table', 'view') and name not like '\_dpc%' escape '\'")
n2=$(sqlite3 "$WORK/floor.db" "select count(*) from sqlite_master where type in ('table', 'view')")
[ "$n1" = "$n2" ] || die "the floor made $n2 relations, dpc run $n1"

say "no-op runs"
sleep 3 # past the 2 s in which dpc does not trust a file's stamp
(cd "$P" && "$DPC" run >/dev/null)
for k in 1 2 3 4 5; do
	(cd "$P" && timed "$WORK/noop" "$DPC" run)
	grep -q 'no input, var or source table changed' "$WORK/log" || die "a no-op run did not take the no-op path: $(cat "$WORK/log")"
done

say "one seed row changed"
i=0
while [ $i -lt "$REPS" ]; do
	i=$((i + 1))
	# a different product's category each time
	sed -i "$((i + 1))s/,cat_[0-9]*,/,cat_$((90 + i)),/" "$P/seeds/products.csv"
	(cd "$P" && timed "$WORK/row" "$DPC" run)
	row=$(grep '^dpc: ran' "$WORK/log" | tail -1)
done

set -- $(stats "$WORK/full" 1)
fw=$1 fwr="$2-$3"
set -- $(stats "$WORK/full" 2)
fc=$1
set -- $(stats "$WORK/floor" 1)
lw=$1 lwr="$2-$3"
set -- $(stats "$WORK/floor" 2)
lc=$1
set -- $(stats "$WORK/noop" 1)
nw=$1 nwr="$2-$3"
set -- $(stats "$WORK/row" 1)
rw=$1 rwr="$2-$3"
set -- $(stats "$WORK/row" 2)
rc_=$1
ratio=$(awk -v a="$fw" -v b="$lw" 'BEGIN {printf "%.2f", a / b}')
cratio=$(awk -v a="$fc" -v b="$lc" 'BEGIN {printf "%.2f", a / b}')
verdict() { awk -v v="$1" -v t="$2" 'BEGIN {print (v <= t) ? "PASS" : "FAIL"}'; }
mkdir -p build
{
	echo "dpc run benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
	echo "dpc: $("$DPC" version); sqlite3 $(sqlite3 --version | cut -d' ' -f1)"
	echo "host: $(uname -sr), $(getconf _NPROCESSORS_ONLN 2>/dev/null || echo '?') CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo '?')"
	echo "project: $N models over $ROWS seed rows (bench/run_gen.py); $(wc -l <"$WORK/floor.sql") traced statements"
	echo "seconds: median (min-max); CPU is user + system"
	echo
	printf '  %-34s %24s %10s\n' figure "wall" "CPU"
	printf '  %-34s %10s (%s) %10s\n' "full run ($REPS runs)" "$fw" "$fwr" "$fc"
	printf '  %-34s %10s (%s) %10s\n' "floor: sqlite3 shell ($REPS runs)" "$lw" "$lwr" "$lc"
	printf '  %-34s %10s (%s)\n' "no-op run (5 runs)" "$nw" "$nwr"
	printf '  %-34s %10s (%s) %10s\n' "one seed row changed ($REPS runs)" "$rw" "$rwr" "$rc_"
	echo
	echo "  full run said:     $full"
	echo "  seed row run said: $row"
	echo
	echo "targets"
	printf '  %-44s %8s   %s\n' "full run <= 1.3x the floor (wall)" "${ratio}x" "$(verdict "$ratio" 1.3)"
	printf '  %-44s %8s   %s\n' "full run <= 1.3x the floor (CPU)" "${cratio}x" "$(verdict "$cratio" 1.3)"
	printf '  %-44s %8s   %s\n' "no-op run < 50 ms" "$(awk -v v="$nw" 'BEGIN {printf "%.0f ms", v * 1000}')" "$(verdict "$nw" 0.05)"
} | tee build/bench-run-results.txt
