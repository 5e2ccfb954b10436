#!/usr/bin/env bash
# Compares the time of BuildKit's Go parser (parser.Parse + instructions.Parse) with ours
# (syntax::parse + instructions::parse_dockerfile) on generated Dockerfiles.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${WORK:-$(mktemp -d)}"
iters="${ITERS:-20}"

python3 "$here/gen.py" "$work/files"
files=("$work/files/stages-1.Dockerfile" "$work/files/stages-100.Dockerfile" \
       "$work/files/stages-1000.Dockerfile" "$work/files/instructions-10000.Dockerfile")

echo "building the Go comparison program..." >&2
(cd "$here" && GOFLAGS=-mod=mod GOSUMDB=off go build -o "$work/parsercompare" .)
echo "building the Rust example (release)..." >&2
(cd "$root" && cargo build -q --release -p dockerfile-frontend --example parse_bench)
rust_bin="${CARGO_TARGET_DIR:-$root/target}/release/examples/parse_bench"

"$work/parsercompare" -n "$iters" bench "${files[@]}" > "$work/go.tsv"
"$rust_bin" -n "$iters" bench "${files[@]}" > "$work/rs.tsv"

printf '%-32s %12s %12s %8s\n' file go_us rust_us ratio
paste "$work/go.tsv" "$work/rs.tsv" | while IFS=$'\t' read -r f go _ rs; do
  awk -v f="$(basename "$f")" -v g="$go" -v r="$rs" \
    'BEGIN { printf "%-32s %12.1f %12.1f %7.1fx\n", f, g/1000, r/1000, g/r }'
done
