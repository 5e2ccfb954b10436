#!/usr/bin/env bash
# Builds our frontend (a static binary) and pushes the gateway image $DFRS_FRONTEND_IMAGE
# to the environment's registry. Re-run it after changing the frontend's code; the daemon
# keeps running.
# Usage: tests/env/build-frontend-image.sh RUN_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 1 ] || die "usage: $0 RUN_DIR"
RUN_DIR="$(cd "$1" && pwd)"
[ -f "$RUN_DIR/env" ] || die "$RUN_DIR/env not found: start the environment with tests/env/up.sh $RUN_DIR"
# shellcheck disable=SC1091
. "$RUN_DIR/env"

build_static_frontend
bin="$FRONTEND_BIN"

ctx="$RUN_DIR/ctx/frontend"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$bin" "$ctx/dockerfile-frontend"
cp "$ENV_DIR/images/frontend.Dockerfile" "$ctx/Dockerfile"
log "building and pushing $DFRS_FRONTEND_IMAGE"
if ! timeout 600 "$DFRS_BUILDCTL" --addr "$BUILDKIT_HOST" build --progress=plain \
    --frontend dockerfile.v0 --local context="$ctx" --local dockerfile="$ctx" \
    --output "type=image,name=$DFRS_FRONTEND_IMAGE,push=true,registry.insecure=true" \
    >"$RUN_DIR/frontend-image.log" 2>&1; then
    tail -30 "$RUN_DIR/frontend-image.log" >&2
    die "building the frontend image failed (see $RUN_DIR/frontend-image.log)"
fi
log "pushed $DFRS_FRONTEND_IMAGE"
