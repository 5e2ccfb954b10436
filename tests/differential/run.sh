#!/usr/bin/env bash
# Differential test: random Dockerfiles converted offline by ours (`dockerfile-frontend llb`)
# and by the reference's dockerfile2llb (bench/ref-dockerfile2llb), same stub images, compared
# byte for byte (LLB ops, op metadata, source map, image config; or the error and its lines).
# Usage: tests/differential/run.sh [--count N] [--seed S] [--keep DIR] [--jobs J] [--no-shrink] [--report F.json]
# Exit status 1 when a mismatch is not in tests/differential/known-differences.txt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
# shellcheck source=../env/common.sh
. "$root/tests/env/common.sh"
target="${CARGO_TARGET_DIR:-$root/target}"
ref="$target/differential/ref-dockerfile2llb"
# Both converters are rebuilt only when their sources changed (cargo's and a timestamp check).
if [ ! -x "$ref" ] || [ -n "$(find "$root/bench/ref-dockerfile2llb" -newer "$ref" -name '*.go' -o -newer "$ref" -name 'go.*' | head -1)" ]; then
    build_ref_dockerfile2llb "$ref"
fi
(cd "$root" && cargo build -q -p dockerfile-frontend) || die "cargo build -p dockerfile-frontend failed"
exec python3 "$here/compare.py" --ours "$target/debug/dockerfile-frontend" --ref "$ref" "$@"
