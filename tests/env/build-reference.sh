#!/usr/bin/env bash
# Builds BuildKit's own Dockerfile frontend (the reference we replace) and its dockerfile2llb
# example at the pinned release, for side-by-side comparisons. Only built when asked for.
# Output: ${DFRS_CACHE:-$HOME/.cache/dfrs}/buildkit-VERSION/bin/{dockerfile-frontend,dockerfile2llb}.
# Prints the bin directory.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

have_bins() { [ -x "$BUILDKIT_BIN/dockerfile-frontend" ] && [ -x "$BUILDKIT_BIN/dockerfile2llb" ]; }

build() {
    have_bins && return 0
    local tmp="$BUILDKIT_CACHE/ref.tmp"
    rm -rf "$tmp"
    go_build_buildkit "$tmp" ./frontend/dockerfile/cmd/dockerfile-frontend ./examples/dockerfile2llb
    mkdir -p "$BUILDKIT_BIN"
    mv "$tmp/dockerfile-frontend" "$tmp/dockerfile2llb" "$BUILDKIT_BIN/"
    rm -rf "$tmp"
}

if ! have_bins; then
    with_lock buildkit build
fi
printf '%s\n' "$BUILDKIT_BIN"
