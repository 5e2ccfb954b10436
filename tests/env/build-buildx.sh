#!/usr/bin/env bash
# Builds the buildx client at the pinned release from the Go module proxy, into
# ${DFRS_CACHE:-$HOME/.cache/dfrs}/buildx-VERSION/bin/buildx. A warm cache is reused as is.
# Prints the binary's path.
#
# buildx is used without a Docker engine: `buildx create --driver remote unix:///…/buildkitd.sock`
# with DOCKER_CONFIG pointing at a directory of the test environment (see tests/src/buildx.rs).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

# v0.38.2 is built against BuildKit v0.34.2 (its go.mod) and needs Go >= 1.26.8.
BUILDX_VERSION="${BUILDX_VERSION:-v0.38.2}"
BUILDX_MODULE="github.com/docker/buildx"
BUILDX_BIN="$DFRS_CACHE/buildx-$BUILDX_VERSION/bin"

have_bin() { [ -x "$BUILDX_BIN/buildx" ]; }

build() {
    have_bin && return 0
    command -v go >/dev/null || die "Go is needed to build buildx $BUILDX_VERSION (not found on PATH)"
    local tmp="$BUILDX_BIN.tmp"
    rm -rf "$tmp" && mkdir -p "$tmp"
    log "go install $BUILDX_MODULE/cmd/buildx@$BUILDX_VERSION (takes a few minutes on a cold machine)"
    # buildx's go.mod has no replace/exclude directives, so `go install pkg@version` works.
    (cd /tmp && GOBIN="$tmp" GOFLAGS=-buildvcs=false CGO_ENABLED=0 timeout 1800 go install \
        -ldflags "-X $BUILDX_MODULE/version.Version=$BUILDX_VERSION -X $BUILDX_MODULE/version.Package=$BUILDX_MODULE" \
        "$BUILDX_MODULE/cmd/buildx@$BUILDX_VERSION") >&2 || die "go install buildx@$BUILDX_VERSION failed"
    mv "$tmp/buildx" "$BUILDX_BIN.new"
    rm -rf "$tmp"
    mkdir -p "$BUILDX_BIN"
    mv "$BUILDX_BIN.new" "$BUILDX_BIN/buildx"
}

if ! have_bin; then
    with_lock buildx build
fi
have_bin || die "buildx missing in $BUILDX_BIN after the build"
printf '%s\n' "$BUILDX_BIN/buildx"
