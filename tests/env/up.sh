#!/usr/bin/env bash
# Starts the end-to-end environment in RUN_DIR: a registry and a buildkitd on this machine only,
# the base images pushed to that registry, and our frontend image.
#
# Usage: tests/env/up.sh RUN_DIR
#
# Idempotent: if RUN_DIR already holds a running environment it is reused (only the frontend
# image is rebuilt). Writes RUN_DIR/env, a sourceable file with BUILDKIT_HOST, DFRS_REGISTRY,
# DFRS_FRONTEND_IMAGE, DFRS_BUILDCTL, DFRS_MULTIARCH, ... Stop it with tests/env/down.sh RUN_DIR.
#
# Environment:
#   DFRS_CACHE                 cache for BuildKit binaries etc. (default ~/.cache/dfrs)
#   DFRS_SKIP_FRONTEND_IMAGE=1 don't build our frontend image (tests/env/build-frontend-image.sh)
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 1 ] || die "usage: $0 RUN_DIR"
mkdir -p "$1"
RUN_DIR="$(cd "$1" && pwd)"

REG_PID="$RUN_DIR/registry.pid"
BK_PID="$RUN_DIR/buildkitd.pid"
SOCK="$RUN_DIR/buildkitd.sock"
[ "${#SOCK}" -le 100 ] || die "RUN_DIR is too long for a unix socket path ($SOCK): pick a shorter one"

frontend_image() {
    if [ "${DFRS_SKIP_FRONTEND_IMAGE:-0}" != 1 ]; then
        "$ENV_DIR/build-frontend-image.sh" "$RUN_DIR"
    fi
}

# buildx_setup: the buildx client (built once, cached) and a builder named "dfrs" that drives
# this buildkitd with the remote driver. No Docker engine: buildx keeps its state in
# DOCKER_CONFIG=RUN_DIR/docker-config. Records DFRS_BUILDX* in RUN_DIR/env (or why it failed).
buildx_setup() {
    local buildx="" err="" cfg="$RUN_DIR/docker-config"
    if buildx="$("$ENV_DIR/build-buildx.sh")"; then
        mkdir -p "$cfg"
        if ! DOCKER_CONFIG="$cfg" "$buildx" inspect dfrs >/dev/null 2>&1; then
            DOCKER_CONFIG="$cfg" timeout 60 "$buildx" create --name dfrs --driver remote "unix://$SOCK" >&2 \
                || err="buildx create --driver remote unix://$SOCK failed"
        fi
        if [ -z "$err" ] && ! DOCKER_CONFIG="$cfg" timeout 60 "$buildx" inspect --bootstrap dfrs >"$RUN_DIR/buildx-inspect.log" 2>&1; then
            err="buildx inspect --bootstrap dfrs failed (see $RUN_DIR/buildx-inspect.log)"
        fi
    else
        err="building buildx failed (tests/env/build-buildx.sh)"
    fi
    [ -z "$err" ] || { warn "$err"; buildx=""; }
    {
        grep -v '^export DFRS_BUILDX' "$RUN_DIR/env" || true
        printf 'export DFRS_BUILDX=%q\n' "$buildx"
        printf 'export DFRS_BUILDX_CONFIG=%q\n' "$cfg"
        printf 'export DFRS_BUILDX_BUILDER=dfrs\n'
        printf 'export DFRS_BUILDX_ERROR=%q\n' "$err"
    } >"$RUN_DIR/env.tmp"
    mv "$RUN_DIR/env.tmp" "$RUN_DIR/env"
}

# --- already up? ---
if [ -f "$RUN_DIR/env" ] && pid_alive "$REG_PID" && pid_alive "$BK_PID"; then
    # shellcheck disable=SC1091
    . "$RUN_DIR/env"
    if timeout 20 "$DFRS_BUILDCTL" --addr "$BUILDKIT_HOST" debug workers >/dev/null 2>&1 \
        && curl -fsS -m 5 "http://$DFRS_REGISTRY/v2/" >/dev/null 2>&1; then
        log "environment in $RUN_DIR is already up (registry $DFRS_REGISTRY, $BUILDKIT_HOST)"
        [ -n "${DFRS_BUILDX:-}" ] || buildx_setup
        frontend_image
        exit 0
    fi
fi
# A half-started or dead environment: stop what is left of it and start again.
stop_pid "$BK_PID" buildkitd
stop_pid "$REG_PID" registry
rm -f "$RUN_DIR/env" "$SOCK"

# --- packages and binaries ---
"$ENV_DIR/deps.sh" "$RUN_DIR/deps.status"
# shellcheck disable=SC1091
. "$RUN_DIR/deps.status"
bin="$("$ENV_DIR/build-buildkit.sh")"
BUILDCTL="$bin/buildctl"
BUILDKITD="$bin/buildkitd"

# --- registry on a free loopback port ---
mkdir -p "$RUN_DIR/registry"
REGISTRY=""
for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    cat >"$RUN_DIR/registry.yml" <<EOF
version: 0.1
log:
  level: warn
  accesslog: {disabled: true}
storage:
  filesystem: {rootdirectory: $RUN_DIR/registry}
  delete: {enabled: true}
http:
  addr: 127.0.0.1:$port
EOF
    log "starting registry on 127.0.0.1:$port (attempt $attempt)"
    nohup docker-registry serve "$RUN_DIR/registry.yml" >"$RUN_DIR/registry.log" 2>&1 </dev/null &
    echo $! >"$REG_PID"
    if wait_until 20 "registry on 127.0.0.1:$port" curl -fsS -m 2 "http://127.0.0.1:$port/v2/"; then
        REGISTRY="127.0.0.1:$port"
        break
    fi
    stop_pid "$REG_PID" registry
    tail -5 "$RUN_DIR/registry.log" >&2 || true
done
[ -n "$REGISTRY" ] || die "the registry did not start (see $RUN_DIR/registry.log)"

# --- buildkitd ---
mkdir -p "$RUN_DIR/buildkit-root"
cat >"$RUN_DIR/buildkitd.toml" <<EOF
root = "$RUN_DIR/buildkit-root"
# RUN --network=host and --security=insecure, for builds that ask with --allow.
insecure-entitlements = ["network.host", "security.insecure"]

[grpc]
  address = ["unix://$SOCK"]

[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
  gc = true
  gckeepstorage = "10GB"

[worker.containerd]
  enabled = false

[registry."$REGISTRY"]
  http = true
  insecure = true
EOF
log "starting buildkitd ($BUILDKITD)"
nohup "$BUILDKITD" --config "$RUN_DIR/buildkitd.toml" >"$RUN_DIR/buildkitd.log" 2>&1 </dev/null &
echo $! >"$BK_PID"
if ! wait_until 60 "buildkitd to answer on $SOCK" "$BUILDCTL" --addr "unix://$SOCK" debug workers; then
    tail -20 "$RUN_DIR/buildkitd.log" >&2 || true
    die "buildkitd did not come up (see $RUN_DIR/buildkitd.log)"
fi
workers="$("$BUILDCTL" --addr "unix://$SOCK" debug workers -v)"
if [ "$DFRS_MULTIARCH" = 1 ] && ! grep -q 'linux/arm64' <<<"$workers"; then
    DFRS_MULTIARCH=0
    DFRS_MULTIARCH_ERROR="buildkitd does not list linux/arm64 among its platforms although qemu-aarch64 is registered"
    warn "$DFRS_MULTIARCH_ERROR"
fi

# --- base images ---
BASE_IMAGE="$REGISTRY/busybox:latest"
ctx="$RUN_DIR/ctx/busybox"
rm -rf "$ctx" && mkdir -p "$ctx"
cp "$DFRS_BUSYBOX_AMD64" "$ctx/busybox-amd64"
platforms=linux/amd64
if [ "$DFRS_MULTIARCH" = 1 ]; then
    cp "$DFRS_BUSYBOX_ARM64" "$ctx/busybox-arm64"
    platforms=linux/amd64,linux/arm64
fi
cp "$ENV_DIR/images/busybox.Dockerfile" "$ctx/Dockerfile"
log "building $BASE_IMAGE for $platforms (built-in dockerfile.v0 frontend)"
DFRS_BUILDCTL="$BUILDCTL" BUILDKIT_HOST="unix://$SOCK" \
    buildctl_push "the base image $BASE_IMAGE" "$RUN_DIR/base-image.log" 600 "$ctx" "$BASE_IMAGE" \
    --opt platform="$platforms"

# --- the env file ---
{
    echo "# Written by tests/env/up.sh; source it to talk to this environment."
    printf 'export DFRS_RUN_DIR=%q\n' "$RUN_DIR"
    printf 'export BUILDKIT_HOST=%q\n' "unix://$SOCK"
    printf 'export DFRS_BUILDCTL=%q\n' "$BUILDCTL"
    printf 'export DFRS_BUILDKITD=%q\n' "$BUILDKITD"
    printf 'export DFRS_BUILDKIT_VERSION=%q\n' "$BUILDKIT_VERSION"
    printf 'export DFRS_REGISTRY=%q\n' "$REGISTRY"
    printf 'export DFRS_BASE_IMAGE=%q\n' "$BASE_IMAGE"
    printf 'export DFRS_FRONTEND_IMAGE=%q\n' "$REGISTRY/dockerfile-rs:test"
    printf 'export DFRS_MULTIARCH=%q\n' "$DFRS_MULTIARCH"
    printf 'export DFRS_MULTIARCH_ERROR=%q\n' "$DFRS_MULTIARCH_ERROR"
} >"$RUN_DIR/env.tmp"
mv "$RUN_DIR/env.tmp" "$RUN_DIR/env"
log "environment up: registry $REGISTRY, buildkitd unix://$SOCK, multi-platform=$DFRS_MULTIARCH"

buildx_setup

frontend_image
log "ready: source $RUN_DIR/env"
