#!/usr/bin/env bash
# Builds our frontend (a static binary) and pushes the gateway image $DFRS_FRONTEND_IMAGE
# to the environment's registry. Re-run it after changing the frontend's code; the daemon
# keeps running.
# Usage: tests/env/build-frontend-image.sh RUN_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 1 ] || die "usage: $0 RUN_DIR"
load_run_env "$1"

build_static_frontend
bin="$FRONTEND_BIN"

ctx="$RUN_DIR/ctx/frontend"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$bin" "$ctx/dockerfile-frontend"
cp "$ENV_DIR/images/frontend.Dockerfile" "$ctx/Dockerfile"
log "building and pushing $DFRS_FRONTEND_IMAGE"
buildctl_push "the frontend image" "$RUN_DIR/frontend-image.log" 600 "$ctx" "$DFRS_FRONTEND_IMAGE"
log "pushed $DFRS_FRONTEND_IMAGE"
