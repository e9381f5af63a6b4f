#!/bin/sh
# pycheck.sh FILE...: check generated Python files offline.
#
# For each FILE: `python3 -m py_compile` (syntax, for the interpreter that
# runs it), then `python3 -m pyflakes` (undefined names, unused imports and
# variables, redefinitions, ...). Prints what they print; pyflakes findings
# are FILE:LINE:COL: MESSAGE. A file that does not compile is not passed to
# pyflakes (it would only repeat the syntax error).
#
# Exit 0 when every file is clean, 1 on any finding, 2 on a usage error (no
# FILE, a missing FILE, or pyflakes not installed).
#
# Uses Debian's interpreter and python3-pyflakes: /usr/bin/python3 unless
# PYTHON names another. py_compile writes its .pyc under a temporary
# PYTHONPYCACHEPREFIX, never beside FILE.
set -u
PYTHON=${PYTHON:-/usr/bin/python3}

if [ "$#" -eq 0 ]; then
	echo "usage: pycheck.sh FILE..." >&2
	exit 2
fi
for f in "$@"; do
	if [ ! -f "$f" ] || [ ! -r "$f" ]; then
		echo "pycheck.sh: cannot read $f" >&2
		exit 2
	fi
done
if ! "$PYTHON" -m pyflakes --version >/dev/null 2>&1; then
	echo "pycheck.sh: pyflakes is not installed for $PYTHON (Debian: apt-get install python3-pyflakes)" >&2
	exit 2
fi

cache=$(mktemp -d "${TMPDIR:-/tmp}/pycheck.XXXXXX") || exit 2
trap 'rm -rf "$cache"' EXIT
trap 'exit 2' HUP INT TERM

status=0
for f in "$@"; do
	if PYTHONPYCACHEPREFIX="$cache" "$PYTHON" -m py_compile "$f"; then
		# pyflakes runs per file so that one bad file does not hide the others.
		if ! "$PYTHON" -m pyflakes "$f"; then
			status=1
		fi
	else
		status=1
	fi
done
exit "$status"
