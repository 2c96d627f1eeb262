#!/usr/bin/env bash
# Fail when a tracked C/C++ file differs from what the root .clang-format
# makes of it (CI runs this first).  `scripts/check-format.sh --fix`
# rewrites the files instead.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
mapfile -t files < <(git ls-files '*.c' '*.h' '*.cpp')
if [ "${1:-}" = --fix ]; then
    exec clang-format -i "${files[@]}"
fi
if ! clang-format --dry-run --Werror "${files[@]}" 2>&1 | head -60; then
    :
fi
if ! clang-format --dry-run --Werror "${files[@]}" >/dev/null 2>&1; then
    echo "format: files differ from .clang-format; run scripts/check-format.sh --fix" >&2
    exit 1
fi
echo "format: ${#files[@]} files match .clang-format"
