#!/bin/sh
# install.sh: what the Supabase judges need, installed only where missing. Idempotent.
#
#   sh tests/supabase/install.sh
#
# From Debian: postgresql-15 and postgresql-client-15 (the real PostgreSQL 15 judge), util-linux
# (runuser, to run the server as a non-root user), nodejs and npm when there is no node.
# postgresql-15-pgvector too when the apt sources have it (Debian 12's do not).
# From the npm registry: `npm ci` in this folder, the versions pinned in package-lock.json
# (@electric-sql/pglite and @electric-sql/pglite-pgvector); skipped when node_modules already
# matches the lock.

set -eu

here=$(cd "$(dirname "$0")" && pwd)

SUDO=
if [ "$(id -u)" != 0 ]; then
    SUDO=sudo
fi

installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

apt_get() {
    $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -qq -o Dpkg::Use-Pty=0 "$@"
}

need=
for pkg in postgresql-15 postgresql-client-15 util-linux; do
    installed "$pkg" || need="$need $pkg"
done
if ! command -v node >/dev/null 2>&1; then
    need="$need nodejs"
fi
if ! command -v npm >/dev/null 2>&1; then
    need="$need npm"
fi

if [ -n "$need" ]; then
    echo "install.sh: apt-get install$need"
    apt_get update
    # shellcheck disable=SC2086
    apt_get install -y --no-install-recommends $need >/dev/null
fi

# pgvector for the real server, where the apt sources offer it (Debian 12's do not; then
# PGlite alone proves vector migrations).
if ! installed postgresql-15-pgvector &&
    apt-cache show postgresql-15-pgvector >/dev/null 2>&1; then
    echo "install.sh: apt-get install postgresql-15-pgvector"
    apt_get install -y --no-install-recommends postgresql-15-pgvector >/dev/null
fi

# PGlite and its pgvector extension, exactly as locked.
stamp=$here/node_modules/.dpc-lock-cksum
want=$(cksum <"$here/package-lock.json")
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] &&
    [ -f "$here/node_modules/@electric-sql/pglite/package.json" ] &&
    [ -f "$here/node_modules/@electric-sql/pglite-pgvector/package.json" ]; then
    exit 0
fi
echo "install.sh: npm ci in $here"
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
printf '%s\n' "$want" >"$stamp"
