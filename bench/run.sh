#!/usr/bin/env bash
# Measures our frontend against the reference (BuildKit v0.34.2's Go Dockerfile frontend) in
# the same run and regenerates docs/performance.md and docs/performance-scaling.svg.
#
#   conversion   Dockerfile -> LLB definition, offline, both sides (ours: `dockerfile-frontend
#                llb FILE`; the reference: bench/ref-dockerfile2llb, dockerfile2llb with a stub
#                image resolver): time and peak RSS, median of several runs, on generated
#                files (1, 10, 100, 1,000 stages; one stage of 10,000 instructions) and examples/
#   real builds  through buildkitd with each frontend as a gateway image: fully cached rebuilds
#                of examples/ (median of >= 7), N parallel `sleep` stages (wall time vs the
#                longest stage), frontend image size (registry blobs, compressed and not)
#
# Usage: bench/run.sh [--env RUN_DIR] [--no-builds] [--runs N] [--budget SECONDS] [--work DIR]
#   --env RUN_DIR   use a running tests/env/up.sh environment (default: start one in
#                   /tmp/dfrs-bench, and stop it at the end)
#   --no-builds     conversion only: no daemon, no images
#   --runs N        conversion runs per file and side (default 9; fewer for slow files)
#   --budget S      about S seconds per file and side for the conversion runs (default 120)
#   --work DIR      scratch directory (default: a new one under /tmp)
# Needs what tests/env needs (Go, Rust, Python 3, Debian packages); builds the reference with
# tests/env/build-reference.sh (cached in ~/.cache/dfrs).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=../tests/env/common.sh
. "$repo/tests/env/common.sh"

env_dir="" builds=1 own_env=0 work="" extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --env) env_dir="$2"; shift 2 ;;
        --no-builds) builds=0; shift ;;
        --runs|--budget) extra+=("$1" "$2"); shift 2 ;;
        --work) work="$2"; shift 2 ;;
        -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
        *) die "unknown option $1 (see $0 --help)" ;;
    esac
done
work="${work:-$(mktemp -d /tmp/dfrs-bench-work.XXXXXX)}"
mkdir -p "$work"

stop_env() {
    if [ "$own_env" = 1 ]; then
        "$repo/tests/env/down.sh" "$env_dir" --purge >&2 || true
    fi
}
trap stop_env EXIT

# A gateway image whose frontend returns an empty result at once (bench/ref-dockerfile2llb/
# empty-frontend), laid out like ours: its cached "rebuild" is BuildKit's fixed cost of running
# any frontend image, the floor under both frontends. Recorded as DFRS_EMPTY_FRONTEND_IMAGE.
build_empty_frontend_image() {
    # shellcheck disable=SC1091
    . "$env_dir/env"
    local ctx="$work/empty-frontend" image="$DFRS_REGISTRY/empty-frontend:latest"
    rm -rf "$ctx" && mkdir -p "$ctx"
    (cd "$here/ref-dockerfile2llb" && GOFLAGS=-mod=mod CGO_ENABLED=0 timeout 1800 go build -o "$ctx/dockerfile-frontend" ./empty-frontend) \
        || die "go build of bench/ref-dockerfile2llb/empty-frontend failed"
    cp "$repo/tests/env/images/frontend.Dockerfile" "$ctx/Dockerfile"
    push_gateway_image "$env_dir" "$ctx" "$image" DFRS_EMPTY_FRONTEND_IMAGE
}

ours="$FRONTEND_BIN"
if [ "$builds" = 1 ]; then
    if [ -z "$env_dir" ]; then
        env_dir=/tmp/dfrs-bench
        own_env=1
    fi
    # Starts (or reuses) the environment and builds and pushes our frontend image, which builds
    # the same static release binary the conversion benchmark runs.
    "$repo/tests/env/up.sh" "$env_dir" >&2
    env_dir="$(cd "$env_dir" && pwd)"
    # The reference's binaries, and its gateway image pushed to the same registry.
    "$repo/tests/env/build-reference.sh" "$env_dir" >/dev/null
    build_empty_frontend_image
else
    build_static_frontend
    "$repo/tests/env/build-reference.sh" >/dev/null
fi
[ -x "$ours" ] || die "no binary at $ours"

build_ref_dockerfile2llb "$work/ref-dockerfile2llb"

args=(--ours "$ours" --ref "$work/ref-dockerfile2llb" --ref-frontend "$BUILDKIT_BIN/dockerfile-frontend"
      --repo "$repo" --work "$work" --json "$work/results.json")
[ "$builds" = 1 ] && args+=(--env "$env_dir")
python3 "$here/bench.py" "${args[@]}" "${extra[@]}"
log "raw results in $work/results.json"
