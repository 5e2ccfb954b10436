#!/usr/bin/env bash
# Builds dfrs-subrequest (tests/env/subrequest-client): a small BuildKit client that runs a
# frontend subrequest like buildx does and saves the result metadata (result.json, …), which
# buildctl doesn't show. Built against the pinned BuildKit module, into the same bin directory.
# Prints the binary's path.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

bin="$BUILDKIT_BIN/dfrs-subrequest"
build() {
    [ -x "$bin" ] && [ "$bin" -nt "$ENV_DIR/subrequest-client/main.go" ] && return 0
    local src
    src="$(buildkit_src)"
    mkdir -p "$src/cmd/dfrs-subrequest"
    cp "$ENV_DIR/subrequest-client/main.go" "$src/cmd/dfrs-subrequest/main.go"
    rm -f "$bin"
    build_buildkit_commands ./cmd/dfrs-subrequest
}
with_lock buildkit build
printf '%s\n' "$bin"
