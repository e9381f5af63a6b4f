#!/bin/sh
# A layout folder that is a symlink out of the project: dpc refuses to write
# there, even with --force, and nothing outside the project is touched.
set -eu
DPC=$1
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
mkdir "$t/outside"
cd "$t"
"$DPC" init shop >/dev/null
cd shop
mkdir data
ln -s "$t/outside" data/dbt
set +e
"$DPC" build >"$t/out" 2>&1; rc=$?
"$DPC" build --force >>"$t/out" 2>&1; rc2=$?
set -e
[ $rc -eq 1 ] && [ $rc2 -eq 1 ] || { cat "$t/out"; echo "symlink: exit $rc/$rc2, wanted 1"; exit 1; }
grep -q 'leads out of the project' "$t/out" || { cat "$t/out"; exit 1; }
[ -z "$(ls -A "$t/outside")" ] || { echo "symlink: wrote outside the project"; exit 1; }
echo "symlink: ok"
