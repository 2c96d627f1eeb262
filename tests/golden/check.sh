#!/usr/bin/env bash
# The golden check: what `ctrace report/dump/export` make of each kept
# trace must be byte for byte what tests/golden/expected holds.  Run by
# meson (suite unit); a difference prints the diff and fails.
#
#   tests/golden/check.sh CTRACE
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ctrace=$(realpath "$1")
tmp=$(mktemp -d /tmp/ctrace-golden-check.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for t in "$here/traces/"*.tar.xz; do
    name=$(basename "$t" .tar.xz)
    tar -C "$tmp" -xJf "$t"
    "$here/outputs.sh" "$ctrace" "$tmp/$name" >"$tmp/$name.txt"
    if diff -u "$here/expected/$name.txt" "$tmp/$name.txt" >"$tmp/diff"; then
        pass=$((pass + 1))
    else
        fail=$((fail + 1))
        echo "golden: $name differs:"
        head -60 "$tmp/diff"
    fi
    rm -rf "${tmp:?}/$name"
done
echo "golden: $pass passed, $fail failed"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
