#!/bin/sh
# fetch-grammar.sh DIR: put tree-sitter-python's generated parser (src/parser.c,
# src/scanner.c, src/tree_sitter/*.h) into DIR, from the npm registry's package
# at the pinned version below, after checking the tarball's SHA-512 against the
# pinned digest (the same digest as the registry's "integrity" field). Nothing
# of the grammar is committed; the build runs this when DIR/parser.c is missing.
#
# Version 0.23.x generates parsers with ABI 14, the newest Debian's
# libtree-sitter 0.20 loads.
set -eu
VERSION=0.23.6
SHA512=c8833dcf4a31288c53edb02d3ce860a1597a8135e59a5221b9eee58854f8a013c5fe585aec76b8750052f3602fea130c459a159c5248f0cea62fe4b05a82c3dc
dir=${1:?usage: fetch-grammar.sh DIR}
[ -f "$dir/parser.c" ] && [ -f "$dir/scanner.c" ] && exit 0
registry=${npm_config_registry:-https://registry.npmjs.org/}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/dpc-grammar.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tgz=$tmp/tree-sitter-python-$VERSION.tgz
echo "dpc: fetching tree-sitter-python@$VERSION from the npm registry"
if command -v npm >/dev/null 2>&1; then
	(cd "$tmp" && npm pack --silent "tree-sitter-python@$VERSION" >/dev/null 2>&1) || true
fi
if [ ! -s "$tgz" ]; then
	curl -fsSL --retry 3 -o "$tgz" "${registry%/}/tree-sitter-python/-/tree-sitter-python-$VERSION.tgz"
fi
got=$(sha512sum "$tgz" | cut -d' ' -f1)
if [ "$got" != "$SHA512" ]; then
	echo "dpc: tree-sitter-python-$VERSION.tgz: SHA-512 mismatch" >&2
	echo "  want $SHA512" >&2
	echo "  got  $got" >&2
	exit 1
fi
tar -xzf "$tgz" -C "$tmp" package/src/parser.c package/src/scanner.c package/src/tree_sitter
mkdir -p "$dir.new"
cp -R "$tmp/package/src/." "$dir.new/"
rm -rf "$dir"
mv "$dir.new" "$dir"
