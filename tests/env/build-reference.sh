#!/usr/bin/env bash
# Builds BuildKit's own Dockerfile frontend (the reference we replace) and its dockerfile2llb
# example at the pinned release, for side-by-side comparisons. Only built when asked for.
# Output: ${DFRS_CACHE:-$HOME/.cache/dfrs}/buildkit-VERSION/bin/{dockerfile-frontend,dockerfile2llb}.
# Usage: build-reference.sh [RUN_DIR]
#   With RUN_DIR (a running tests/env/up.sh environment), also pushes the reference frontend as
#   a gateway image, $DFRS_REGISTRY/dockerfile-ref:VERSION, built like ours, so both can be
#   run the same way (--frontend gateway.v0 --opt source=IMAGE).
# Prints the bin directory.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

buildkit_commands ./frontend/dockerfile/cmd/dockerfile-frontend ./examples/dockerfile2llb

if [ $# -ge 1 ]; then
    load_run_env "$1"
    image="$DFRS_REGISTRY/dockerfile-ref:$BUILDKIT_VERSION"
    ctx="$RUN_DIR/ctx/reference-frontend"
    rm -rf "$ctx" && mkdir -p "$ctx"
    cp "$BUILDKIT_BIN/dockerfile-frontend" "$ctx/dockerfile-frontend"
    # Same image layout as ours, with the caps label of BuildKit's own image
    # (frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile at this release), without our
    # glibc settings (a Go program does not use glibc's allocator).
    sed -e '/^ENV GLIBC_TUNABLES=/d' -e 's/^LABEL moby.buildkit.frontend.caps=.*$/LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring,moby.buildkit.frontend.contexts.zstd"/' \
        "$ENV_DIR/images/frontend.Dockerfile" >"$ctx/Dockerfile"
    grep -q 'moby.buildkit.frontend.contexts.zstd' "$ctx/Dockerfile" || die "frontend.Dockerfile has no caps label to replace"
    push_gateway_image "$RUN_DIR" "$ctx" "$image" DFRS_REFERENCE_IMAGE
fi
printf '%s\n' "$BUILDKIT_BIN"
