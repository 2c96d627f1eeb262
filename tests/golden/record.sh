#!/usr/bin/env bash
# Record the golden traces: every sample program under `ctrace run`, one
# trace each, kept as tests/golden/traces/NAME.tar.xz, and the outputs
# the current build makes of them as tests/golden/expected/NAME.txt.
# Run it (from a build that is known good) only when the samples change
# or an output changes on purpose; say why in the commit.
#
#   tests/golden/record.sh [BUILD_DIR]          record traces and outputs
#   tests/golden/record.sh --outputs [BUILD_DIR] outputs only (traces kept)
#
# The programs and the shim run from a temporary copy that is deleted
# afterwards, so that no machine symbolizes their frames: the outputs
# then depend only on the trace and the system's libraries, and are the
# same in every checkout.  See tests/golden/README.md.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
outputs_only=0
if [ "${1:-}" = --outputs ]; then
    outputs_only=1
    shift
fi
build=$(cd "${1:-$top/build}" && pwd)
ctrace=$build/cli/ctrace
mkdir -p "$here/traces" "$here/expected"

tmp=$(mktemp -d /tmp/ctrace-golden.XXXXXX)
trap 'rm -rf "$tmp"' EXIT

# NAME SAMPLE [ARGS...] lines: which programs, with what arguments.
list_samples() {
    grep -v '^\s*\(#\|$\)' "$here/samples.txt"
}

record_one() {
    local name=$1 sample=$2
    shift 2
    local prog
    case "$sample" in
    *.py)
        cp "$top/samples/$sample" "$tmp/bin/"
        prog=(/usr/bin/python3 "$tmp/bin/$(basename "$sample")")
        ;;
    *)
        cp "$build/samples/$sample" "$tmp/bin/"
        prog=("$tmp/bin/$(basename "$sample")")
        ;;
    esac
    rm -rf "$tmp/work/$name"
    mkdir -p "$tmp/work"
    (cd "$tmp/work" &&
        CTRACE_LIB=$tmp/lib/libctrace.so LD_LIBRARY_PATH=$tmp/lib \
            timeout 30 "$ctrace" run --no-report -o "$name" -- \
            "${prog[@]}" "$@" >/dev/null 2>&1) || true
    local kb
    kb=$(du -sk "$tmp/work/$name" | cut -f1)
    if [ "$kb" -gt 65536 ]; then
        echo "golden: $name: trace of ${kb} KiB is too large to keep; skipped" >&2
        return
    fi
    tar -C "$tmp/work" -cJf "$here/traces/$name.tar.xz" "$name"
    rm -rf "${tmp:?}/work/$name"
}

if [ "$outputs_only" -eq 0 ]; then
    mkdir -p "$tmp/bin" "$tmp/lib"
    cp "$build/preload/libctrace.so" "$tmp/lib/"
    rm -f "$here/traces/"*.tar.xz
    while read -r name sample args; do
        # shellcheck disable=SC2086 # args are words
        record_one "$name" "$sample" $args
        echo "recorded $name"
    done < <(list_samples)
    rm -rf "$tmp/bin" "$tmp/lib" "$tmp/work"
fi

rm -f "$here/expected/"*.txt
for t in "$here/traces/"*.tar.xz; do
    name=$(basename "$t" .tar.xz)
    tar -C "$tmp" -xJf "$t"
    "$here/outputs.sh" "$ctrace" "$tmp/$name" >"$here/expected/$name.txt"
    rm -rf "${tmp:?}/$name"
done
echo "golden: $(ls "$here/expected" | wc -l) traces"
