# shellcheck shell=sh
# tests/lib.sh: what the shell judges that take DPC_BINARY share
# (tests/airflow/run.sh, tests/airflow_migrate/run.sh, tests/ci/validate.sh,
# tests/dagster/validate.sh, tests/dbt/validate.sh). Each sources it from
# its own folder, then calls what it needs:
#
#   . "$(dirname "$0")/../lib.sh"
#   need_dpc "$@"        the usage check: dpc is the binary's absolute path;
#                        exit 2 when there is no argument or it is not one
#   scratch NAME         tmp is a new folder ${TMPDIR:-/tmp}/dpc-NAME.XXXXXX,
#                        removed on exit, a signal included
#   ok NAME              count a pass (printed only with VERBOSE=1)
#   bad NAME [OUTPUT]    count a failure: "FAIL NAME", then the first
#                        $bad_lines lines of OUTPUT, indented
#   run NAME CMD...      a check that passes when CMD exits 0
#   summary NAME         prints "NAME: N passed, M failed"; its status is 0
#                        when nothing failed (the script's last command)
#
# It sets top (the repository) and py (the Python the judges run on).
# Works under set -u and set -e.

# shellcheck disable=SC2034 # top and py are the sourcing script's
top=$(cd "$(dirname "$0")/../.." && pwd)
py=/usr/bin/python3
passed=0
failed=0
bad_lines=40

need_dpc() {
	if [ $# -ne 1 ]; then
		echo "usage: $0 DPC_BINARY" >&2
		exit 2
	fi
	dpc=$1
	case $dpc in
	/*) ;;
	*/*) dpc=$(pwd)/$dpc ;;
	*) dpc=$(command -v "$dpc" || true) ;;
	esac
	if [ -z "$dpc" ] || [ ! -x "$dpc" ]; then
		echo "$0: $1: not an executable" >&2
		exit 2
	fi
}

scratch() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/dpc-$1.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 129' HUP
	trap 'exit 130' INT
	trap 'exit 141' PIPE
	trap 'exit 143' TERM
}

ok() {
	passed=$((passed + 1))
	[ -z "${VERBOSE:-}" ] || echo "ok   $1"
}
bad() {
	failed=$((failed + 1))
	echo "FAIL $1"
	[ -z "${2:-}" ] || printf '%s\n' "$2" | head -"$bad_lines" | sed 's/^/     /'
}
run() {
	name=$1
	shift
	if out=$("$@" 2>&1); then ok "$name"; else bad "$name" "$out"; fi
}

summary() {
	echo "$1: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}
