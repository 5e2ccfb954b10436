#!/usr/bin/env bash
# Writes what the converter and the checks make of a corpus of Dockerfiles, to compare two
# builds of the frontend byte for byte (a refactoring must not change any of it):
#   scripts/snapshot.sh OUT_DIR [BINARY]      then   diff -r BEFORE AFTER
# The corpus: examples/, frontend/tests/golden/, the benchmark files (bench/gen.py) and the
# differential generator's cases (seeds 1..N, N from SNAPSHOT_CASES, default 1000). For each:
# the LLB definition, the image config and the check warnings, or the error (JSON form).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:?usage: snapshot.sh OUT_DIR [BINARY]}
bin=$(realpath "${2:-$root/target/debug/dockerfile-frontend}")
cases=${SNAPSHOT_CASES:-1000}
mkdir -p "$out/in"
find "$root/examples" -name Dockerfile | while read -r f; do
  cp "$f" "$out/in/example-$(basename "$(dirname "$f")").Dockerfile"
done
cp "$root"/frontend/tests/golden/*.Dockerfile "$out/in/"
python3 "$root/bench/gen.py" "$out/in" >/dev/null
for ((s = 1; s <= cases; s++)); do
  python3 "$root/tests/differential/gen.py" "$s" >"$out/in/case-$s.Dockerfile"
done
# Relative names: the file name is part of the LLB (source map) and of the messages.
cd "$out/in"
for f in *.Dockerfile; do
  name=${f%.Dockerfile}
  "$bin" llb --error-json "$f" >"../$name.llb" 2>"../$name.llb.err" || true
  "$bin" llb --error-json --config "$f" >"../$name.config" 2>/dev/null || true
  "$bin" check "$f" >"../$name.check" 2>&1 || true
done
cd - >/dev/null
rm -r "$out/in"
echo "$(find "$out" -type f | wc -l) files in $out"
