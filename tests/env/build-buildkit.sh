#!/usr/bin/env bash
# Builds buildkitd and buildctl at the pinned BuildKit release from the Go module proxy, into
# ${DFRS_CACHE:-$HOME/.cache/dfrs}/buildkit-VERSION/bin/. A warm cache is reused as is.
# Prints the bin directory.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

buildkit_commands ./cmd/buildkitd ./cmd/buildctl
printf '%s\n' "$BUILDKIT_BIN"
