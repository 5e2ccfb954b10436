#!/usr/bin/env bash
# Builds a Dockerfile directory with our frontend image on a local BuildKit.
#
#   scripts/build.sh [DIR] [--target STAGE] [--output DIR] [--image NAME] [--reference]
#                    [-- EXTRA buildctl ARGS...]
#   scripts/build.sh --stop          # stop the local BuildKit this script started
#
#   DIR          a directory holding a Dockerfile and its context (default examples/multistage)
#   --target     the stage to build (default: the last one)
#   --output     where to export the result, type=local (default ./out)
#   --image      push the result as NAME to the local registry instead (REGISTRY/NAME)
#   --reference  build with BuildKit's own Dockerfile frontend instead of ours
#
# Which BuildKit: if an environment is loaded (`. RUN_DIR/env`, from tests/env/up.sh) or
# DFRS_ENV=RUN_DIR names one, that one. Otherwise the script starts one with tests/env/up.sh
# in ${DFRS_CACHE:-~/.cache/dfrs}/local-env and leaves it running for the next build (the
# first start builds BuildKit from source: a few minutes; later builds take seconds). Every
# run rebuilds our frontend image first, so code changes are picked up.
#
# The base image: builds pass --opt build-arg:BASE_IMAGE=REGISTRY/busybox:latest (the
# environment's busybox), which the examples use in place of Docker Hub's.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/../tests/env/common.sh"

LOCAL_ENV="$DFRS_CACHE/local-env"

dir="" target="" output="" image="" reference=0 extra=()
while [ $# -gt 0 ]; do
    case "$1" in
        --stop) "$ENV_DIR/down.sh" "$LOCAL_ENV"; exit 0 ;;
        --target) target="${2:?--target needs a stage name}"; shift 2 ;;
        --output) output="${2:?--output needs a directory}"; shift 2 ;;
        --image) image="${2:?--image needs a name}"; shift 2 ;;
        --reference) reference=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --) shift; extra=("$@"); break ;;
        -*) die "unknown option $1 (see --help)" ;;
        *) [ -z "$dir" ] || die "only one DIR, got $dir and $1"; dir="$1"; shift ;;
    esac
done
dir="${dir:-$REPO_ROOT/examples/multistage}"
[ -f "$dir/Dockerfile" ] || die "no Dockerfile in $dir"
dir="$(cd "$dir" && pwd)"

# --- the environment ---
if [ -n "${DFRS_ENV:-}" ]; then
    "$ENV_DIR/up.sh" "$DFRS_ENV" >&2
    load_run_env "$DFRS_ENV"
elif [ -n "${DFRS_RUN_DIR:-}" ] && [ -n "${BUILDKIT_HOST:-}" ] && [ -n "${DFRS_FRONTEND_IMAGE:-}" ]; then
    log "using the loaded environment $DFRS_RUN_DIR ($BUILDKIT_HOST)"
    "$ENV_DIR/build-frontend-image.sh" "$DFRS_RUN_DIR" >&2
else
    log "using the local environment in $LOCAL_ENV (stop it with scripts/build.sh --stop)"
    "$ENV_DIR/up.sh" "$LOCAL_ENV" >&2
    load_run_env "$LOCAL_ENV"
fi

# --- the build ---
args=(--addr "$BUILDKIT_HOST" build --progress=plain)
if [ "$reference" = 1 ]; then
    args+=(--frontend dockerfile.v0)
    what="BuildKit's reference frontend"
else
    args+=(--frontend gateway.v0 --opt "source=$DFRS_FRONTEND_IMAGE")
    what="our frontend ($DFRS_FRONTEND_IMAGE)"
fi
args+=(--local "context=$dir" --local "dockerfile=$dir" --opt "build-arg:BASE_IMAGE=$DFRS_BASE_IMAGE")
[ -n "$target" ] && args+=(--opt "target=$target")
if [ -n "$image" ]; then
    case "$image" in "$DFRS_REGISTRY"/*) ;; *) image="$DFRS_REGISTRY/$image" ;; esac
    args+=(--output "type=image,name=$image,push=true,registry.insecure=true")
else
    output="${output:-./out}"
    mkdir -p "$output"
    output="$(cd "$output" && pwd)"
    args+=(--output "type=local,dest=$output")
fi
args+=("${extra[@]}")

log "building $dir${target:+ (target $target)} with $what"
if ! "$DFRS_BUILDCTL" "${args[@]}"; then
    [ "$reference" = 1 ] || warn "our frontend's own stderr is in the daemon log: $DFRS_RUN_DIR/buildkitd.log"
    die "the build failed (buildctl ${args[*]})"
fi
if [ -n "$image" ]; then
    echo "pushed $image (registry http://$DFRS_REGISTRY, reachable while the environment runs)"
else
    echo "result in $output:"
    (cd "$output" && find . -mindepth 1 -maxdepth 2 | sort | head -40)
fi
