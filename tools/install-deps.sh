#!/bin/sh
# Install what building and testing dpc needs, from Debian's packages, when
# it is missing. Runs as root (apt-get) or through sudo when available.
set -eu
need=""
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for p in build-essential pkg-config libyaml-dev libcjson-dev libxxhash-dev libsqlite3-dev \
	sqlite3 clang libclang-rt-14-dev python3 python3-yaml python3-jsonschema ninja-build valgrind; do
	have "$p" || need="$need $p"
done
[ -z "$need" ] && exit 0
echo "dpc: installing:$need"
SUDO=""
[ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1 && SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $need >/dev/null
