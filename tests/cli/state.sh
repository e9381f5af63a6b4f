#!/bin/sh
# The state DB is a cache: one of another version, another hash, or plain
# garbage is thrown away and rebuilt, and the outputs never change.
set -eu
DPC=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
cd "$t"
fail() { echo "state: $*" >&2; exit 1; }
"$DPC" init shop >/dev/null
cd shop
"$DPC" build >/dev/null
cp -R data "$t/ref"
for how in version hash garbage empty; do
	case $how in
	version) sqlite3 .dpc/state.db 'PRAGMA user_version=99' ;;
	hash) sqlite3 .dpc/state.db "UPDATE meta SET value='md5' WHERE key='hash'" ;;
	garbage) head -c 4096 /dev/urandom >.dpc/state.db; rm -f .dpc/state.db-wal .dpc/state.db-shm ;;
	empty) : >.dpc/state.db; rm -f .dpc/state.db-wal .dpc/state.db-shm ;;
	esac
	"$DPC" build >"$t/out" 2>&1 || fail "$how: build failed: $(cat "$t/out")"
	diff -r "$t/ref" data >/dev/null || fail "$how: outputs changed"
	v=$(sqlite3 .dpc/state.db 'PRAGMA user_version')
	h=$(sqlite3 .dpc/state.db "SELECT value FROM meta WHERE key='hash'")
	[ "$v" = 2 ] && [ "$h" = xxh3-128 ] || fail "$how: state not rebuilt (version $v, hash $h)"
	n=$(sqlite3 .dpc/state.db 'SELECT count(*) FROM outputs')
	[ "$n" -eq "$(find data AGENTS.md -type f | wc -l)" ] || fail "$how: $n output rows"
done
# the audit log names who built
DPC_ACTOR=agent-7 "$DPC" build --force >/dev/null
[ "$(sqlite3 .dpc/state.db 'SELECT actor FROM builds ORDER BY id DESC LIMIT 1')" = agent-7 ] || fail "audit log actor"
echo "state: ok"
