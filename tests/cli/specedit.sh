#!/bin/sh
# tests/cli/specedit.sh DPC: the golden cases of tests/specedit/, spec
# edits that keep everything they do not touch.
#
# Each folder there is one case:
#   before/     a project (heavily commented specs, fragments, SQL) that
#               compiles as it is
#   cmd         the dpc arguments, one per line (run with -C on a copy)
#   expected/   every file the edit must change or create, byte for byte;
#               no expected/: the edit is refused or a dry run, and every
#               file must stay as it was
#   exit        the exit code (default 0)
#   stdout, stderr
#               lines each of which must appear in that stream (optional)
#   touches     how many lines of a spec file the edit may change or
#               remove (default 0: it only adds lines)
# Besides the byte-for-byte comparison, every file of before/ that is not
# in expected/ must be unchanged, nothing else may appear, and the lines of
# each changed spec file must be the old lines with lines added (at most
# `touches` of them changed): the untouched part is proven byte-identical.
#
#   UPDATE_GOLDEN=1 sh tests/cli/specedit.sh DPC   rewrites expected/
#   from what dpc does (review the diff before committing it).
set -u
DPC=$1
top=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
pass=0 fail=0
bad() {
	fail=$((fail + 1))
	echo "FAIL specedit/$1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | head -40 | sed 's/^/     /'
}

for d in "$top"/tests/specedit/*/; do
	n=$(basename "$d")
	rm -rf "$t/p" "$t/out" "$t/err"
	cp -R "$d/before" "$t/p"
	# the arguments, one per line (so that values may hold spaces)
	set --
	while IFS= read -r a || [ -n "$a" ]; do
		set -- "$@" "$a"
	done <"$d/cmd"
	"$DPC" -C "$t/p" "$@" >"$t/out" 2>"$t/err"
	rc=$?
	want=0
	[ ! -f "$d/exit" ] || want=$(cat "$d/exit")
	if [ "$rc" -ne "$want" ]; then
		bad "$n (exit $rc, not $want)" "$(cat "$t/err" "$t/out")"
		continue
	fi
	if [ -n "${UPDATE_GOLDEN:-}" ] && [ -d "$d/expected" ]; then
		(cd "$t/p" && find . -type f | sort) | while read -r f; do
			if ! cmp -s "$t/p/$f" "$d/before/$f" 2>/dev/null; then
				mkdir -p "$(dirname "$d/expected/$f")"
				cp "$t/p/$f" "$d/expected/$f"
			fi
		done
	fi
	msg=$("$py" - "$d" "$t/p" "$t/out" "$t/err" <<'EOF'
import os, sys
case, got, out, err = sys.argv[1:5]
before = os.path.join(case, "before")
expected = os.path.join(case, "expected")
problems = []

def files(root):
    if not os.path.isdir(root):
        return set()
    return {os.path.relpath(os.path.join(dp, f), root) for dp, _, fs in os.walk(root) for f in fs}

def read(p):
    with open(p, "rb") as f:
        return f.read()

exp = files(expected)
for f in sorted(files(got) | files(before) | exp):
    g = os.path.join(got, f)
    if f in exp:
        if not os.path.exists(g):
            problems.append(f + ": not written")
        elif read(g) != read(os.path.join(expected, f)):
            problems.append(f + ": differs from expected/" + f)
    elif not os.path.exists(os.path.join(before, f)):
        problems.append(f + ": written, and not expected")
    elif not os.path.exists(g) or read(g) != read(os.path.join(before, f)):
        problems.append(f + ": changed, and not expected to")

# the untouched part: the old lines, in order, with lines added
touches = int(open(os.path.join(case, "touches")).read()) if os.path.exists(os.path.join(case, "touches")) else 0
for f in sorted(exp & files(before)):
    old = read(os.path.join(before, f)).split(b"\n")
    new = read(os.path.join(expected, f)).split(b"\n")
    j = missing = 0
    for line in old:
        k = j
        while k < len(new) and new[k] != line:
            k += 1
        if k == len(new):
            missing += 1
        else:
            j = k + 1
    if missing > touches:
        problems.append("%s: %d old lines changed, at most %d may" % (f, missing, touches))

for stream, path in (("stdout", out), ("stderr", err)):
    p = os.path.join(case, stream)
    if os.path.exists(p):
        text = open(path, encoding="utf-8", errors="replace").read()
        for want in open(p).read().splitlines():
            if want and want not in text:
                problems.append("%s lacks: %s\n--- %s:\n%s" % (stream, want, stream, text))
print("\n".join(problems))
EOF
)
	if [ -n "$msg" ]; then
		bad "$n" "$msg"
	else
		pass=$((pass + 1))
		[ -z "${VERBOSE:-}" ] || echo "ok   specedit/$n"
	fi
done
echo "specedit: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
