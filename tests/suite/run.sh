#!/usr/bin/env bash
# Runs BuildKit's own Dockerfile integration suite (package ./frontend/dockerfile of the pinned
# BuildKit release) offline against a gateway frontend image: ours or the reference.
# See usage() and docs/testing.md ("BuildKit's Dockerfile integration suite").
set -euo pipefail
SUITE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../env/common.sh
. "$SUITE_DIR/../env/common.sh"

usage() {
    cat <<EOF
Usage: tests/suite/run.sh [OPTIONS]

Runs BuildKit $BUILDKIT_VERSION's Dockerfile integration suite (go test ./frontend/dockerfile,
the TestIntegration cases with worker=oci) offline, with a frontend image as the gateway
frontend (FRONTEND_GATEWAY_ONLY), and prints one line per case: PASS/FAIL/SKIP NAME.

Options:
  --frontend ours|reference  the frontend image under test (default: ours). ours: our static
                             binary in the image tests/env/images/frontend.Dockerfile describes;
                             reference: BuildKit $BUILDKIT_VERSION's dockerfile-frontend in a
                             FROM scratch image with upstream's labels.
  --compare                  run the reference, then ours, in the same environment, and print
                             the cases passing with the reference and failing with ours (with
                             their key failure lines), and the counts of both.
  --ci                       run only the stable subset in tests/suite/ci.txt with ours; every
                             case must pass (about 3 min).
  --run REGEXP               go test -run regexp (default: 'TestIntegration/.*/worker=oci\$';
                             e.g. 'TestIntegration/^TestNilProvenance\$/worker=oci\$').
  --out DIR                  output directory (default: $REPO_ROOT/tmp/suite): FRONTEND.log
                             (the full go test -v log), FRONTEND/results.txt (STATUS NAME
                             SECONDS), FRONTEND/failures/*.txt, compare.txt.
  --parallel N               -test.parallel (default 2; GOMAXPROCS is set to the same).
  -h, --help                 this text.

Cases that cannot pass on this machine for any frontend (internet, exact upstream images,
host capabilities) are listed with the reason in tests/suite/unpassable.txt and reported
separately. Exit status: 1 if a case failed that is not listed there (--compare: if a case
passes with the reference and not with ours; --ci: if any case failed), else 0.

Environment: DFRS_CACHE (default ~/.cache/dfrs) caches the suite's test binary, BuildKit and
the stand-in base images; CARGO_TARGET_DIR as for cargo. Needs root (namespaces, runc).
The first run builds the suite binary (about 1-4 min) and BuildKit (about 2 min).
EOF
}

frontend=ours
compare=0
ci=0
run_re='TestIntegration/.*/worker=oci$'
out="$REPO_ROOT/tmp/suite"
parallel=2
while [ $# -gt 0 ]; do
    case "$1" in
        --frontend) frontend="${2:?--frontend needs ours|reference}"; shift 2 ;;
        --compare) compare=1; shift ;;
        --ci) ci=1; shift ;;
        --run) run_re="${2:?--run needs a regexp}"; shift 2 ;;
        --out) out="${2:?--out needs a directory}"; shift 2 ;;
        --parallel) parallel="${2:?--parallel needs a number}"; shift 2 ;;
        -h|--help) usage; exit 0 ;;
        *) usage >&2; die "unknown argument: $1" ;;
    esac
done
case "$frontend" in ours|reference) ;; *) die "--frontend must be ours or reference" ;; esac
[ "$compare" = 0 ] || [ "$ci" = 0 ] || die "--compare and --ci exclude each other"
[ "$(id -u)" = 0 ] || die "needs root (unshare, runc, overlayfs)"

UNPASSABLE="$SUITE_DIR/unpassable.txt"
CI_LIST="$SUITE_DIR/ci.txt"
SUITE_CACHE="$BUILDKIT_CACHE/suite"
SUITE_BIN="$SUITE_CACHE/dockerfile.test"
PY="$SUITE_DIR/suite.py"

if [ "$ci" = 1 ]; then
    frontend=ours
    # One alternation of the listed test functions, each with all its matrix cases.
    names="$(grep -v '^[[:space:]]*\(#\|$\)' "$CI_LIST" | awk '{print $1}' | paste -sd'|')"
    [ -n "$names" ] || die "$CI_LIST lists no test"
    run_re="TestIntegration/^($names)\$/worker=oci\$"
fi
mkdir -p "$out"
out="$(cd "$out" && pwd)"

# --- what the suite needs, from Debian ---------------------------------------------------------
# docker-registry (as `registry`), runc, busybox-static (stand-in images), skopeo (fills the
# mirror), containernetworking-plugins (bridge network for the sandboxes' RUN steps, as
# upstream CI has), git and openssh-client (git and ssh tests), iproute2/iptables (bridge).
apt_install runc docker-registry busybox-static skopeo containernetworking-plugins git \
    openssh-client iproute2 iptables python3 util-linux \
    || die "could not install the Debian packages the suite needs"
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || BUSYBOX=/usr/bin/busybox
[ -x "$BUSYBOX" ] || die "no busybox binary after installing busybox-static"
CNI_DIR=/usr/lib/cni
[ -x "$CNI_DIR/bridge" ] || die "no CNI bridge plugin in $CNI_DIR (containernetworking-plugins)"

# --- the suite's test binary, cached by version ---------------------------------------------------
build_suite_binary() {
    [ -x "$SUITE_BIN" ] && return 0
    local src
    src="$(buildkit_src)"
    log "go test -c ./frontend/dockerfile (BuildKit $BUILDKIT_VERSION's Dockerfile suite; a few minutes cold)"
    mkdir -p "$SUITE_CACHE"
    (cd "$src" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 timeout 1800 go test -mod=mod -c \
        -o "$SUITE_BIN.tmp" ./frontend/dockerfile) >&2 || die "go test -c ./frontend/dockerfile failed"
    mv "$SUITE_BIN.tmp" "$SUITE_BIN"
}
[ -x "$SUITE_BIN" ] || with_lock buildkit build_suite_binary
[ -x "$SUITE_BIN" ] || die "no suite binary at $SUITE_BIN"
BK_BIN="$("$ENV_DIR/build-buildkit.sh")"

# --- frontend images as OCI image tars ------------------------------------------------------------
# The tars are written directly by suite.py (oci-layout, index.json, blobs: what
# `buildctl build --output type=oci,dest=X.tar` writes) from the image's Dockerfile, which must be
# a FROM scratch file of COPY/LABEL/ENV/ENTRYPOINT/CMD lines (suite.py refuses anything else).
# Chosen over a temporary buildkitd: nothing to start, wait for or stop, no port or socket, the
# same bytes for the same binary, and the labels/env/entrypoint come from the very Dockerfiles
# the project and upstream ship (tests/env/images/frontend.Dockerfile; the release stage of
# upstream's frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile for the reference).
mkdir -p "$out/images"
image_ours() {
    build_static_frontend
    local ctx="$out/images/ours.ctx"
    rm -rf "$ctx" && mkdir -p "$ctx"
    cp "$FRONTEND_BIN" "$ctx/dockerfile-frontend"
    cp "$ENV_DIR/images/frontend.Dockerfile" "$ctx/Dockerfile"
    python3 "$PY" image "$out/images/ours.tar" "$ctx/Dockerfile" "$ctx" || die "writing our frontend image failed"
    log "our frontend image: $out/images/ours.tar"
}
image_reference() {
    local bin ctx src
    bin="$("$ENV_DIR/build-reference.sh")"
    src="$(buildkit_src)"
    ctx="$out/images/reference.ctx"
    rm -rf "$ctx" && mkdir -p "$ctx"
    cp "$bin/dockerfile-frontend" "$ctx/dockerfile-frontend"
    # Upstream's release stage, the binary copied from the context instead of its build stage.
    awk '/^FROM scratch AS release/ {on=1} on && /^FROM / && !/AS release/ {exit} on' \
        "$src/frontend/dockerfile/cmd/dockerfile-frontend/Dockerfile" \
        | sed 's|^COPY --from=build /dockerfile-frontend |COPY dockerfile-frontend |' >"$ctx/Dockerfile"
    grep -q '^LABEL moby.buildkit.frontend.caps=' "$ctx/Dockerfile" \
        || die "no caps label in upstream's release stage (see $ctx/Dockerfile)"
    python3 "$PY" image "$out/images/reference.tar" "$ctx/Dockerfile" "$ctx" || die "writing the reference frontend image failed"
    log "reference frontend image: $out/images/reference.tar"
}

# --- stand-in base images in a registry mirror dir, cached -----------------------------------------
# The suite serves BUILDKIT_REGISTRY_MIRROR_DIR as a registry mirror and copies an image in only
# when it lacks it: pre-filled with stand-ins from Debian's busybox-static, nothing is fetched.
MIRROR_KEY="$(cat "$PY" "$BUSYBOX" | sha256sum | cut -c1-16)"
MIRROR_CACHE="$DFRS_CACHE/suite-mirror-$BUILDKIT_VERSION/$MIRROR_KEY"
STANDINS=(
    "busybox library/busybox:latest"
    "busybox library/busybox:stable-musl"
    "alpine library/alpine:latest"
    "debian amd64/debian:bullseye-20230109-slim"
    "hellofs tonistiigi/hellofs:latest"
)
build_mirror() {
    [ -d "$MIRROR_CACHE/data" ] && return 0
    local tmp="$MIRROR_CACHE.tmp" s kind ref
    rm -rf "$tmp" && mkdir -p "$tmp/data" "$tmp/tars"
    local copies=""
    for s in "${STANDINS[@]}"; do
        kind="${s%% *}" ref="${s#* }"
        [ -f "$tmp/tars/$kind.tar" ] || python3 "$PY" standin "$kind" "$tmp/tars/$kind.tar" "$BUSYBOX" \
            || die "writing the $kind stand-in failed"
        copies+="skopeo copy --quiet --dest-tls-verify=false oci-archive:$tmp/tars/$kind.tar docker://127.0.0.1:5000/$ref"$'\n'
    done
    cat >"$tmp/registry.yml" <<EOF
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $tmp/data}}
http: {addr: 127.0.0.1:5000}
EOF
    log "filling the mirror $MIRROR_CACHE with stand-in images (skopeo, a registry in its own namespace)"
    # A private pid+net namespace: the registry's port cannot collide, and it dies with it.
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout -k 10 300 unshare --pid --fork --kill-child --mount-proc --net bash -c '
        set -euo pipefail
        ip link set lo up
        docker-registry serve "$1" >"$2/registry.log" 2>&1 &
        for _ in $(seq 100); do
            python3 -c "import urllib.request; urllib.request.urlopen(\"http://127.0.0.1:5000/v2/\")" 2>/dev/null && break
            sleep 0.2
        done
        bash -euo pipefail -c "$3"
    ' mirror "$tmp/registry.yml" "$tmp" "$copies" >&2 || die "filling the mirror failed (see $tmp)"
    rm -rf "$tmp/tars"
    mv "$tmp" "$MIRROR_CACHE"
}
with_lock suite-mirror build_mirror
[ -d "$MIRROR_CACHE/data/docker/registry/v2" ] || die "mirror $MIRROR_CACHE is incomplete"

# --- one run of the suite --------------------------------------------------------------------------
# run_suite NAME IMAGE_TAR: runs the test binary as PID 1 of its own pid+mount+net namespace
# (every buildkitd, registry and runc it starts dies with it, its mounts vanish with it) and
# writes $out/NAME.log and $out/NAME/{results,counts}.txt and failures/.
run_suite() {
    local name="$1" tar="$2" work bin rc=0 t0=$SECONDS
    # A short TMPDIR: ssh-agent sockets go to $TMPDIR/bktest_buildkitdN/tmp/.buildkit-ssh-sockN/
    # ssh_auth_sock and a unix socket path has at most 107 bytes.
    mkdir -p /tmp/s
    work="$(mktemp -d /tmp/s/XXXX)"
    bin="$work/bin"
    mkdir -p "$bin" "$work/t" "$work/cni"
    ln -s "$BK_BIN/buildkitd" "$BK_BIN/buildctl" "$bin/"
    ln -s "$(command -v docker-registry)" "$bin/registry"
    local p
    for p in bridge host-local loopback firewall; do ln -s "$CNI_DIR/$p" "$bin/buildkit-cni-$p"; done
    # Each run gets its own copy of the mirror: the suite adds the frontend image to it under a
    # random name each time.
    mkdir -p "$work/mirror"
    cp -a "$MIRROR_CACHE/data" "$work/mirror/data"
    log "running the suite with the $name frontend (-test.run '$run_re', parallel $parallel); log: $out/$name.log"
    # Inside: lo up; the buildkit0 bridge made once (a sandbox daemon that creates it deletes it
    # when it exits, under the others' feet); CNI's state (/var/lib/cni) on a tmpfs, off the host.
    # shellcheck disable=SC2016 # expanded by the inner shell
    timeout -k 30 45m unshare --pid --fork --kill-child --mount-proc --propagation private --net \
        env -i PATH="$bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$work" \
        TMPDIR="$work/t" GOMAXPROCS="$parallel" \
        BUILDKIT_REGISTRY_MIRROR_DIR="$work/mirror" FRONTEND_GATEWAY_ONLY="local:$tar" \
        BUILDKIT_RUN_NETWORK_INTEGRATION_TESTS=1 BUILDKIT_NETWORK_BRIDGE_AUTO=1 \
        bash -c '
            set -euo pipefail
            ip link set lo up
            ip link add buildkit0 type bridge && ip link set buildkit0 up
            mkdir -p /var/lib/cni && mount -t tmpfs tmpfs /var/lib/cni
            cd "$HOME"
            exec "$@"
        ' suite "$SUITE_BIN" -test.run "$run_re" -test.v -test.parallel "$parallel" -test.timeout 40m \
        >"$out/$name.log" 2>&1 || rc=$?
    log "the suite with $name exited $rc after $((SECONDS - t0)) s"
    rm -rf "$work"
    rm -rf "${out:?}/$name"
    mkdir -p "$out/$name"
    python3 "$PY" parse "$out/$name.log" "$out/$name" | tee "$out/$name.txt"
    if ! grep -q -- '--- \(PASS\|FAIL\|SKIP\): TestIntegration/' "$out/$name.log"; then
        tail -30 "$out/$name.log" >&2
        die "no test case ran (see $out/$name.log)"
    fi
}

# report_failures NAME: the failed cases, known-unpassable ones apart. Returns 1 if others failed.
report_failures() {
    local name="$1" status=0 n
    local known=() other=()
    while read -r n; do
        if grep -q "^$(printf '%s' "$n" | sed 's/[][\.*^$]/\\&/g')[[:space:]]" "$UNPASSABLE"; then
            known+=("$n")
        else
            other+=("$n")
        fi
    done < <(awk '$1 == "FAIL" {print $2}' "$out/$name/results.txt")
    echo
    echo "failed, known unpassable here (tests/suite/unpassable.txt): ${#known[@]}"
    for n in "${known[@]}"; do echo "  $n"; done
    echo "failed otherwise: ${#other[@]}"
    for n in "${other[@]}"; do echo "  $n"; status=1; done
    cat "$out/$name/counts.txt"
    return "$status"
}

if [ "$compare" = 1 ]; then
    image_reference
    image_ours
    run_suite reference "$out/images/reference.tar"
    run_suite ours "$out/images/ours.tar"
    echo
    python3 "$PY" compare "$out/reference/results.txt" "$out/ours/results.txt" "$UNPASSABLE" "$out"
    echo "(also in $out/compare.txt; cases passing with both, with their seconds: $out/pass-both.txt)"
    if grep -q '^pass with the reference, not with ours: [1-9]' "$out/compare.txt"; then exit 1; fi
elif [ "$ci" = 1 ]; then
    image_ours
    run_suite ours "$out/images/ours.tar"
    status=0
    if grep -q '^FAIL ' "$out/ours/results.txt"; then
        echo "FAILED in the CI subset:"; grep '^FAIL ' "$out/ours/results.txt"; status=1
    fi
    while read -r n; do
        grep -q "^PASS $n/" "$out/ours/results.txt" || { echo "did not pass (skipped or not run): $n"; status=1; }
    done < <(grep -v '^[[:space:]]*\(#\|$\)' "$CI_LIST" | awk '{print $1}')
    exit "$status"
else
    "image_$frontend"
    run_suite "$frontend" "$out/images/$frontend.tar"
    report_failures "$frontend"
fi
