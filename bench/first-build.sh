#!/usr/bin/env bash
# The first build of a day, ours beside the reference in the same run (docs/performance.md):
# for each frontend image, a daemon that has never seen it (a fresh buildkitd with an empty
# state, on loopback TCP) builds examples/multistage through `--frontend gateway.v0
# --opt source=IMAGE`, pulling the frontend image from the environment's registry:
#   cold    the first build on the fresh daemon: pull and unpack the frontend image and the base
#           image, start the frontend, convert, build every step
#   warm    the same daemon again with a new VERSION build arg: the images are there, the
#           steps that depend on VERSION run again
#   cached  the same daemon, the same arguments as warm: every step cached
# Each frontend alternates with the other, ROUNDS times (fresh daemons each round); medians.
#
# Usage: bench/first-build.sh RUN_DIR [ROUNDS]   (RUN_DIR: a running tests/env/up.sh
#        environment; the reference image is built with tests/env/build-reference.sh)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
# shellcheck source=../tests/env/common.sh
. "$repo/tests/env/common.sh"

[ $# -ge 1 ] || die "usage: $0 RUN_DIR [ROUNDS]"
rounds="${2:-3}"
load_run_env "$1"
"$repo/tests/env/build-reference.sh" "$RUN_DIR" >/dev/null
load_run_env "$1"
[ -n "${DFRS_REFERENCE_IMAGE:-}" ] || die "no DFRS_REFERENCE_IMAGE in $RUN_DIR/env"

work="$(mktemp -d /tmp/dfrs-first.XXXXXX)"
daemon_pid=""
stop_daemon() {
    if [ -n "$daemon_pid" ]; then
        kill -TERM "$daemon_pid" 2>/dev/null || true
        wait "$daemon_pid" 2>/dev/null || true
        daemon_pid=""
    fi
}
cleanup() { stop_daemon; rm -rf "$work"; }
trap cleanup EXIT

# start_daemon DIR: a fresh buildkitd in DIR; sets ADDR.
start_daemon() {
    local dir="$1" port
    mkdir -p "$dir/root"
    port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    ADDR="tcp://127.0.0.1:$port"
    cat >"$dir/buildkitd.toml" <<EOF
root = "$dir/root"
[grpc]
  address = ["$ADDR"]
[worker.oci]
  enabled = true
  snapshotter = "overlayfs"
[worker.containerd]
  enabled = false
[registry."$DFRS_REGISTRY"]
  http = true
  insecure = true
EOF
    "$DFRS_BUILDKITD" --config "$dir/buildkitd.toml" >"$dir/buildkitd.log" 2>&1 </dev/null &
    daemon_pid=$!
    wait_until 60 "buildkitd on $ADDR" "$DFRS_BUILDCTL" --addr "$ADDR" debug workers \
        || die "buildkitd did not start (see $dir/buildkitd.log)"
}

# build IMAGE VERSION: milliseconds of one build of examples/multistage on $ADDR.
build() {
    local image="$1" version="$2" start end
    start="$(date +%s%N)"
    "$DFRS_BUILDCTL" --addr "$ADDR" build --progress=plain \
        --frontend gateway.v0 --opt source="$image" \
        --local context="$repo/examples/multistage" --local dockerfile="$repo/examples/multistage" \
        --opt build-arg:BASE_IMAGE="$DFRS_BASE_IMAGE" --opt build-arg:VERSION="$version" \
        >"$work/build.log" 2>&1 || { tail -20 "$work/build.log" >&2; die "build with $image failed"; }
    end="$(date +%s%N)"
    echo $(((end - start) / 1000000))
}

declare -A times
for round in $(seq 1 "$rounds"); do
    for side in ours reference; do
        image="$DFRS_FRONTEND_IMAGE"
        [ "$side" = reference ] && image="$DFRS_REFERENCE_IMAGE"
        start_daemon "$work/$side-$round"
        cold="$(build "$image" "1.0.$round")"
        warm="$(build "$image" "2.0.$round")"
        cached="$(build "$image" "2.0.$round")"
        stop_daemon
        rm -rf "$work/$side-$round"
        log "round $round $side: cold ${cold} ms, warm ${warm} ms, cached ${cached} ms"
        times[$side-cold]+="$cold "
        times[$side-warm]+="$warm "
        times[$side-cached]+="$cached "
    done
done

median() { tr ' ' '\n' | grep . | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
size() { # compressed bytes of an image's config and layers in the registry
    python3 - "$1" <<'EOF'
import json, sys, urllib.request
ref = sys.argv[1]
reg, rest = ref.split("/", 1)
repo, tag = rest.rsplit(":", 1)
acc = "application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json"
m = json.load(urllib.request.urlopen(urllib.request.Request(f"http://{reg}/v2/{repo}/manifests/{tag}", headers={"Accept": acc})))
print(m["config"]["size"] + sum(l["size"] for l in m["layers"]))
EOF
}
ours_size="$(size "$DFRS_FRONTEND_IMAGE")"
ref_size="$(size "$DFRS_REFERENCE_IMAGE")"
printf '| build | ours | reference | ratio |\n|---|---|---|---|\n'
printf '| frontend image (compressed) | %.2f MiB | %.2f MiB | %.3f |\n' \
    "$(echo "$ours_size / 1048576" | bc -l)" "$(echo "$ref_size / 1048576" | bc -l)" "$(echo "$ours_size / $ref_size" | bc -l)"
for kind in cold warm cached; do
    o="$(echo "${times[ours-$kind]}" | median)"
    r="$(echo "${times[reference-$kind]}" | median)"
    printf '| %s | %d ms | %d ms | %.2f |\n' "$kind" "$o" "$r" "$(echo "$o / $r" | bc -l)"
done
printf '\n%s rounds, medians; every round a fresh daemon per frontend; %s, load average %s.\n' \
    "$rounds" "$(date -u +%Y-%m-%d)" "$(cut -d' ' -f1 /proc/loadavg)"
