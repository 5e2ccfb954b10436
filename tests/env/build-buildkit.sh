#!/usr/bin/env bash
# Builds buildkitd and buildctl at the pinned BuildKit release from the Go module proxy, into
# ${DFRS_CACHE:-$HOME/.cache/dfrs}/buildkit-VERSION/bin/. A warm cache is reused as is.
# Prints the bin directory.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

have_bins() { [ -x "$BUILDKIT_BIN/buildkitd" ] && [ -x "$BUILDKIT_BIN/buildctl" ]; }

build() {
    have_bins && return 0
    local tmp="$BUILDKIT_CACHE/bin.tmp"
    rm -rf "$tmp"
    go_build_buildkit "$tmp" ./cmd/buildkitd ./cmd/buildctl
    mkdir -p "$BUILDKIT_BIN"
    mv "$tmp/buildkitd" "$tmp/buildctl" "$BUILDKIT_BIN/"
    rm -rf "$tmp"
}

if ! have_bins; then
    with_lock buildkit build
fi
have_bins || die "buildkitd/buildctl missing in $BUILDKIT_BIN after the build"
printf '%s\n' "$BUILDKIT_BIN"
