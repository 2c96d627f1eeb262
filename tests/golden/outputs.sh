#!/usr/bin/env bash
# Print every output ctrace derives from one trace directory, in a fixed
# order: report (text, json, sarif), dump (text, json), export (chrome,
# ctf).  The golden check (tests/golden/README.md) compares this against
# the file kept for the trace; both sides come from this script.
#
#   tests/golden/outputs.sh CTRACE TRACE_DIR
set -u
ctrace=$(realpath "$1")
dir=$(realpath "$2")
cd / || exit 1 # SARIF names the working directory
export NO_COLOR=1 TERM=dumb LC_ALL=C
# A section: the whole output when it is short; a long one (a dump of
# millions of events) as its size, its sha256 and its first lines, so
# that any change still shows while the kept files stay small.
section() {
    local bytes
    bytes=$(wc -c <"$3")
    printf '==== %s (exit %d)\n' "$1" "$2"
    if [ "$bytes" -le 65536 ]; then
        cat "$3"
    else
        printf '%d bytes, %d lines, sha256 %s; the first 40 lines:\n' \
            "$bytes" "$(wc -l <"$3")" "$(sha256sum <"$3" | cut -d' ' -f1)"
        head -n 40 "$3"
    fi
}
out=$(mktemp)
trap 'rm -rf "$out" "$out.ctf"' EXIT
run() {
    local name=$1
    shift
    "$@" >"$out" 2>&1
    section "$name" $? "$out"
}
run "report text" "$ctrace" report "$dir"
run "report json" "$ctrace" report --format=json "$dir"
run "report sarif" "$ctrace" report --format=sarif "$dir"
run "dump" "$ctrace" dump "$dir"
run "dump json" "$ctrace" dump --json "$dir"
run "export chrome" "$ctrace" export --format=chrome "$dir"
# CTF: the metadata names the exporting host and a random uuid; the
# binary stream is shown as babeltrace2 reads it.
"$ctrace" export --format=ctf -o "$out.ctf" "$dir" >"$out" 2>&1
rc=$?
{
    cat "$out"
    if [ -d "$out.ctf" ]; then
        sed -e 's/^\(\s*hostname = \).*/\1"HOST";/' \
            -e 's/^\(\s*uuid = \).*/\1"UUID";/' "$out.ctf/metadata"
        TZ=UTC babeltrace2 --clock-gmt "$out.ctf" 2>&1 |
            sed "s/^\(\[[^]]*\] ([^)]*)\) $(hostname) /\1 HOST /"
    fi
} >"$out.txt"
section "export ctf" "$rc" "$out.txt"
rm -f "$out.txt"
