#!/usr/bin/env bash
# Stops the end-to-end environment started by up.sh in RUN_DIR, by the PIDs it recorded.
# Usage: tests/env/down.sh RUN_DIR [--purge]   (--purge also deletes RUN_DIR)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -ge 1 ] || die "usage: $0 RUN_DIR [--purge]"
RUN_DIR="$1"
[ -d "$RUN_DIR" ] || { log "$RUN_DIR does not exist; nothing to stop"; exit 0; }

stop_pid "$RUN_DIR/buildkitd.pid" buildkitd
stop_pid "$RUN_DIR/registry.pid" registry
rm -f "$RUN_DIR/env"

if [ "${2:-}" = --purge ]; then
    # buildkitd may leave overlay mounts behind if it was killed; unmount ours before deleting.
    if [ -d "$RUN_DIR/buildkit-root" ]; then
        root="$(cd "$RUN_DIR/buildkit-root" && pwd)"
        awk -v r="$root" '$2 ~ "^"r {print $2}' /proc/mounts | sort -r | while read -r m; do
            umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
        done
    fi
    rm -rf "$RUN_DIR"
    log "removed $RUN_DIR"
fi
