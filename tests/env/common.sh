# Shared helpers for the end-to-end environment scripts. Source it; don't run it.
# shellcheck shell=bash

# The one BuildKit release the project is pinned to (daemon, client and reference frontend).
BUILDKIT_VERSION="${BUILDKIT_VERSION:-v0.34.2}"
BUILDKIT_MODULE="github.com/moby/buildkit"

DFRS_CACHE="${DFRS_CACHE:-$HOME/.cache/dfrs}"
BUILDKIT_CACHE="$DFRS_CACHE/buildkit-$BUILDKIT_VERSION"
# shellcheck disable=SC2034  # used by the scripts that source this file
BUILDKIT_BIN="$BUILDKIT_CACHE/bin"

ENV_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$ENV_DIR/../.." && pwd)"

# Tools that are on the machine but not always on PATH (CI's environment is minimal).
for d in /usr/local/go/bin "$HOME/.cargo/bin" /usr/sbin /sbin; do
    case ":$PATH:" in *":$d:"*) ;; *) [ -d "$d" ] && PATH="$PATH:$d" ;; esac
done
export PATH

log() { printf '[dfrs-env %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
warn() { printf '[dfrs-env %s] WARNING: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '[dfrs-env %s] ERROR: %s\n' "$(date +%H:%M:%S)" "$*" >&2; exit 1; }

# Our frontend as its gateway image runs it: a static executable without position-independent
# code, built as the root Dockerfile builds it.
FRONTEND_TARGET=x86_64-unknown-linux-gnu
FRONTEND_BIN="${CARGO_TARGET_DIR:-$REPO_ROOT/target}/$FRONTEND_TARGET/release/dockerfile-frontend"
build_static_frontend() {
    log "cargo build --release --target $FRONTEND_TARGET -p dockerfile-frontend (static)"
    # DFRS_REVISION: the commit, for `dockerfile-frontend --version` (frontend/src/build_info.rs).
    (cd "$REPO_ROOT" && DFRS_REVISION="$(git rev-parse HEAD 2>/dev/null || true)" \
        RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
        cargo build --quiet --release --target "$FRONTEND_TARGET" -p dockerfile-frontend) \
        || die "cargo build of dockerfile-frontend failed"
    [ -x "$FRONTEND_BIN" ] || die "no binary at $FRONTEND_BIN"
}

# wait_until TIMEOUT_SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.2 s until it succeeds.
wait_until() {
    local timeout="$1" what="$2"; shift 2
    local deadline=$((SECONDS + timeout))
    until "$@" >/dev/null 2>&1; do
        if [ "$SECONDS" -ge "$deadline" ]; then
            warn "timed out after ${timeout}s waiting for: $what"
            return 1
        fi
        sleep 0.2
    done
}

# pid_alive PIDFILE: the process recorded in PIDFILE is running.
pid_alive() {
    local pid
    [ -f "$1" ] || return 1
    pid="$(cat "$1" 2>/dev/null)" || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null
}

# stop_pid PIDFILE NAME: TERM the recorded process, wait up to 15 s, then KILL it. Only that PID.
stop_pid() {
    local pidfile="$1" name="$2" pid
    [ -f "$pidfile" ] || return 0
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        log "stopping $name (pid $pid)"
        kill -TERM "$pid" 2>/dev/null || true
        local deadline=$((SECONDS + 15))
        while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
        if kill -0 "$pid" 2>/dev/null; then
            warn "$name (pid $pid) did not stop on TERM; sending KILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    fi
    rm -f "$pidfile"
}

# free_port: prints a TCP port on 127.0.0.1 that was free a moment ago.
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# apt_install PKG...: installs the Debian packages that are missing (apt-get update once, first).
APT_UPDATED=0
apt_update_once() {
    if [ "$APT_UPDATED" = 0 ]; then
        log "apt-get update"
        DEBIAN_FRONTEND=noninteractive timeout 600 apt-get update -qq >&2 || return 1
        APT_UPDATED=1
    fi
}
apt_install() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ "${#missing[@]}" = 0 ] && return 0
    apt_update_once || return 1
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive timeout 900 apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
}

# with_lock NAME COMMAND...: runs COMMAND holding an exclusive lock in the cache (so two runs
# that both need a cold build don't build the same thing at once).
with_lock() {
    local name="$1"; shift
    mkdir -p "$DFRS_CACHE"
    ( flock -w 1800 9 || die "could not take lock $DFRS_CACHE/$name.lock within 30 min"; "$@" ) 9>"$DFRS_CACHE/$name.lock"
}

# buildkit_src: prints a writable copy of the pinned BuildKit module source, fetching it from
# the Go module proxy the first time (`go install pkg@version` is refused for this module
# because its go.mod has exclude directives, so we build inside a copy of the module).
buildkit_src() {
    local src="$BUILDKIT_CACHE/src"
    if [ ! -f "$src/go.mod" ]; then
        command -v go >/dev/null || die "Go is needed to build BuildKit $BUILDKIT_VERSION (not found on PATH)"
        log "fetching $BUILDKIT_MODULE@$BUILDKIT_VERSION from the Go module proxy"
        local dir
        dir="$(cd /tmp && GOFLAGS=-mod=mod timeout 900 go mod download -json "$BUILDKIT_MODULE@$BUILDKIT_VERSION" \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["Dir"])')" \
            || die "go mod download $BUILDKIT_MODULE@$BUILDKIT_VERSION failed"
        rm -rf "$src.tmp"
        mkdir -p "$BUILDKIT_CACHE"
        cp -r "$dir" "$src.tmp"
        chmod -R u+w "$src.tmp"
        mv "$src.tmp" "$src"
    fi
    printf '%s\n' "$src"
}

# go_build_buildkit OUT_DIR PKG...: builds BuildKit commands from the pinned source into OUT_DIR.
go_build_buildkit() {
    local out="$1"; shift
    local src
    src="$(buildkit_src)"
    log "go build $* (BuildKit $BUILDKIT_VERSION; takes a few minutes on a cold machine)"
    mkdir -p "$out"
    (cd "$src" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 timeout 1800 go build -mod=mod \
        -ldflags "-X $BUILDKIT_MODULE/version.Version=$BUILDKIT_VERSION -X $BUILDKIT_MODULE/version.Package=$BUILDKIT_MODULE" \
        -o "$out/" "$@") >&2 || die "go build $* failed"
}

# buildctl_push WHAT LOG TIMEOUT CTX IMAGE [BUILDCTL_ARG...]: builds the image in directory CTX
# (its Dockerfile) with the built-in frontend and pushes it as IMAGE (more type=image attributes
# may follow the name: `NAME,compression=uncompressed`) to the environment's registry, with
# buildctl's output in LOG; dies saying WHAT failed. Uses $DFRS_BUILDCTL and $BUILDKIT_HOST.
buildctl_push() {
    local what="$1" build_log="$2" timeout="$3" ctx="$4" image="$5"; shift 5
    if ! timeout "$timeout" "$DFRS_BUILDCTL" --addr "$BUILDKIT_HOST" build --progress=plain \
        --frontend dockerfile.v0 --local context="$ctx" --local dockerfile="$ctx" "$@" \
        --output "type=image,name=$image,push=true,registry.insecure=true" >"$build_log" 2>&1; then
        tail -30 "$build_log" >&2
        die "building $what failed (see $build_log)"
    fi
}

# push_gateway_image RUN_DIR CTX IMAGE VAR: builds the image in directory CTX (its Dockerfile)
# with the built-in frontend, pushes it as IMAGE to the environment's registry and records it
# in RUN_DIR/env as VAR. The environment (RUN_DIR/env) must be sourced.
push_gateway_image() {
    local run_dir="$1" ctx="$2" image="$3" var="$4"
    log "building and pushing $image"
    buildctl_push "$image" "$run_dir/$(basename "$ctx")-image.log" 600 "$ctx" "$image"
    log "pushed $image"
    grep -q "^export $var=" "$run_dir/env" || printf 'export %s=%q\n' "$var" "$image" >>"$run_dir/env"
}

# load_run_env RUN_DIR: sets RUN_DIR (absolute) and sources RUN_DIR/env, which a running
# environment (tests/env/up.sh RUN_DIR) has written.
load_run_env() {
    RUN_DIR="$(cd "$1" && pwd)" || die "no directory $1"
    [ -f "$RUN_DIR/env" ] || die "$RUN_DIR/env not found: start the environment with tests/env/up.sh $RUN_DIR"
    # shellcheck disable=SC1091
    . "$RUN_DIR/env"
}

# have_buildkit_commands PKG...: every BuildKit command PKG... (./cmd/buildctl, ...) is built
# in BUILDKIT_BIN.
have_buildkit_commands() {
    local p
    for p in "$@"; do [ -x "$BUILDKIT_BIN/$(basename "$p")" ] || return 1; done
}

# build_buildkit_commands PKG...: builds the BuildKit commands PKG... from the pinned source into
# BUILDKIT_BIN unless they are there. Call it holding the buildkit lock (with_lock buildkit).
build_buildkit_commands() {
    have_buildkit_commands "$@" && return 0
    local tmp="$BUILDKIT_CACHE/bin.tmp" p
    rm -rf "$tmp"
    go_build_buildkit "$tmp" "$@"
    mkdir -p "$BUILDKIT_BIN"
    for p in "$@"; do mv "$tmp/$(basename "$p")" "$BUILDKIT_BIN/"; done
    rm -rf "$tmp"
}

# buildkit_commands PKG...: the BuildKit commands PKG... in BUILDKIT_BIN, built once (a warm
# cache is reused as is).
buildkit_commands() {
    have_buildkit_commands "$@" || with_lock buildkit build_buildkit_commands "$@"
    have_buildkit_commands "$@" || die "$* missing in $BUILDKIT_BIN after the build"
}

# build_ref_dockerfile2llb OUT: the reference's offline converter (bench/ref-dockerfile2llb:
# BuildKit's dockerfile2llb with a stub image resolver) built into OUT.
build_ref_dockerfile2llb() {
    log "building bench/ref-dockerfile2llb (the reference's converter)"
    mkdir -p "$(dirname "$1")"
    (cd "$REPO_ROOT/bench/ref-dockerfile2llb" && GOFLAGS=-mod=mod CGO_ENABLED=0 timeout 1800 go build -o "$1" .) \
        || die "go build of bench/ref-dockerfile2llb failed"
}
