#!/usr/bin/env bash
# Compares our LLB and image config with BuildKit's dockerfile2llb for Dockerfiles, offline.
# Usage: frontend/tests/golden/compare-reference.sh FILE.Dockerfile...   (default: every golden case)
# Builds refllb (refllb/main.go) inside the pinned BuildKit source tree once, and our CLI
# (cargo build -p dockerfile-frontend). Prints, per file, "same" or the diff of
# `buildctl debug dump-llb` outputs and of the image configs (created timestamps dropped).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
# shellcheck source=../../../tests/env/common.sh
. "$root/tests/env/common.sh"
src="$(buildkit_src)"
out="${DFRS_CACHE:-$HOME/.cache/dfrs}/refllb"
mkdir -p "$out"
if [ ! -x "$out/refllb" ] || [ "$here/refllb/main.go" -nt "$out/refllb" ]; then
    mkdir -p "$src/examples/dfrs-refllb"
    cp "$here/refllb/main.go" "$src/examples/dfrs-refllb/main.go"
    (cd "$src" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 go build -mod=mod -o "$out/refllb" ./examples/dfrs-refllb)
fi
(cd "$root" && cargo build -q -p dockerfile-frontend)
ours="$root/target/debug/dockerfile-frontend"
buildctl="$BUILDKIT_BIN/buildctl"
[ -x "$buildctl" ] || die "buildctl not found: run tests/env/build-buildkit.sh"
[ $# -gt 0 ] || set -- "$here"/*.Dockerfile
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
status=0
for f in "$@"; do
    args=()
    # A first line `# args: --target x --build-arg A=1` passes options to both.
    if head -1 "$f" | grep -q '^# args:'; then read -ra args <<<"$(head -1 "$f" | sed 's/^# args://')"; fi
    refargs=()
    for a in "${args[@]}"; do refargs+=("${a/--/-}"); done
    name="$(basename "$f")"
    if ! "$out/refllb" "${refargs[@]}" -config "$tmp/ref.json" <"$f" >"$tmp/ref.pb" 2>"$tmp/ref.err"; then
        echo "== $name: reference fails: $(tail -1 "$tmp/ref.err")"; continue
    fi
    if ! "$ours" llb "${args[@]}" "$f" >"$tmp/ours.pb" 2>"$tmp/ours.err"; then
        echo "== $name: ours fails: $(cat "$tmp/ours.err")"; status=1; continue
    fi
    "$ours" llb "${args[@]}" --config "$f" >"$tmp/ours.json"
    "$buildctl" debug dump-llb <"$tmp/ref.pb" >"$tmp/ref.llb"
    "$buildctl" debug dump-llb <"$tmp/ours.pb" >"$tmp/ours.llb"
    norm() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [h.pop("created",None) for h in d.get("history",[])]; d.pop("created",None); print(json.dumps(d,indent=1,sort_keys=True))' "$1"; }
    norm "$tmp/ref.json" >"$tmp/ref.cfg"; norm "$tmp/ours.json" >"$tmp/ours.cfg"
    if cmp -s "$tmp/ref.pb" "$tmp/ours.pb" && cmp -s "$tmp/ref.cfg" "$tmp/ours.cfg"; then
        echo "== $name: same"
    else
        status=1
        echo "== $name: differs"
        if ! cmp -s "$tmp/ref.pb" "$tmp/ours.pb"; then
            "$here/normalize-dump.py" <"$tmp/ref.llb" >"$tmp/ref.norm"
            "$here/normalize-dump.py" <"$tmp/ours.llb" >"$tmp/ours.norm"
            digests() { python3 -c 'import json,sys; [print(json.loads(l)["Digest"]) for l in sys.stdin if l.strip()]' <"$1"; }
            if cmp -s "$tmp/ref.norm" "$tmp/ours.norm" && [ "$(digests "$tmp/ref.llb")" = "$(digests "$tmp/ours.llb")" ]; then
                echo "   (identical op digests; the Definition's metadata or source map bytes differ)"
            elif cmp -s "$tmp/ref.norm" "$tmp/ours.norm"; then
                echo "   (same ops, different op bytes: field encoding, e.g. an empty map value)"
            else
                diff "$tmp/ref.norm" "$tmp/ours.norm" | head -"${DIFF_LINES:-40}" || true
            fi
        fi
        diff "$tmp/ref.cfg" "$tmp/ours.cfg" | head -40 || true
    fi
done
exit $status
