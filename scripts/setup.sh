#!/usr/bin/env bash
# Install what ctrace needs on Debian 12 and build it.  Idempotent: run it
# again at any time; it installs only missing packages and reconfigures an
# existing build directory.
#
#   scripts/setup.sh                      install, configure build/, build
#   scripts/setup.sh DIR [MESON_ARGS...]  same for build directory DIR,
#                                         configured with MESON_ARGS
#   scripts/setup.sh --deps-only          install packages only
#
# Packages come from apt-get (through sudo when not root).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
    build-essential g++ clang clang-format pkg-config meson ninja-build
    libunwind-dev libdw-dev libelf-dev libncurses-dev libcriterion-dev
    python3 python3-jsonschema tmux procps coreutils
    python3-dask
    babeltrace2 # tests/export reads `ctrace export --format=ctf` back
)

log() { printf 'setup: %s\n' "$*" >&2; }

missing_packages() {
    local p
    for p in "${packages[@]}"; do
        if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" \
            != installed ]; then
            printf '%s\n' "$p"
        fi
    done
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null; then
        sudo "$@"
    else
        log "need root for: $*; run as root or install sudo"
        exit 1
    fi
}

install_packages() {
    local missing
    mapfile -t missing < <(missing_packages)
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    log "installing: ${missing[*]}"
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Configure (or reconfigure, keeping the directory) and build.
build() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null
    else
        meson setup "$dir" "$@"
    fi
    ninja -C "$dir"
}

install_packages
if [ "${1:-}" = --deps-only ]; then
    exit 0
fi
build "${1:-build}" "${@:2}"
