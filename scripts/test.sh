#!/usr/bin/env bash
# Build and run every test, the way CI does (.ci/run calls this).
#
#  0. formatting: every tracked C/C++ file as .clang-format makes it.
#  1. build/       warnings as errors; all suites (unit and inject).
#  2. build-asan/  AddressSanitizer + UndefinedBehaviorSanitizer, warnings
#                  as errors, the invariant checks on (-Dinvariants=true);
#                  the unit suite only (the inject suites preload
#                  libctrace.so, which cannot live beside the ASan runtime).
#
# The output ends with meson's summary of the sanitized run; the exit
# status is non-zero if either run failed.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

scripts/setup.sh --deps-only || exit 1
scripts/check-format.sh || exit 1
scripts/setup.sh build -Dwerror=true || exit 1
meson test -C build --print-errorlogs
plain=$?

scripts/setup.sh build-asan -Db_sanitize=address,undefined -Dwerror=true \
    -Dinvariants=true ||
    exit 1
meson test -C build-asan --suite unit --print-errorlogs
sanitized=$?

[ "$plain" -eq 0 ] && [ "$sanitized" -eq 0 ]
