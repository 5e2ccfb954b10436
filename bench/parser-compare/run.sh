#!/usr/bin/env bash
# Compares BuildKit's Go parser (parser.Parse + instructions.Parse) with ours
# (syntax::parse + instructions::parse_nodes) on generated Dockerfiles.
#
# Prints, per file, the wall-clock time per parse as each program measures it and the CPU time
# (user+sys) of the whole run, with the Go/Rust ratios. On a busy machine trust the CPU column:
# wall-clock then depends on what else runs (Go's garbage collector also uses a second core).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
work="${WORK:-$(mktemp -d)}"
iters="${ITERS:-20}"

python3 "$here/gen.py" "$work/files"
files=("$work/files/stages-1.Dockerfile" "$work/files/stages-100.Dockerfile"
       "$work/files/stages-1000.Dockerfile" "$work/files/instructions-10000.Dockerfile")

echo "building the Go comparison program..." >&2
(cd "$here" && GOFLAGS=-mod=mod GOSUMDB=off go build -o "$work/parsercompare" .)
echo "building the Rust example (release)..." >&2
(cd "$root" && cargo build -q --release -p dockerfile-frontend --example parse_bench)
rust_bin="${CARGO_TARGET_DIR:-$root/target}/release/examples/parse_bench"

# cpu_seconds CMD...: user+sys seconds of CMD (its output goes to $work/out).
cpu_seconds() {
  local TIMEFORMAT='%3U %3S' t
  t=$( { time "$@" > "$work/out"; } 2>&1 )
  awk -v t="$t" 'BEGIN { split(t, a, " "); print a[1] + a[2] }'
}

printf '%-30s %11s %11s %7s %9s %9s %7s\n' file go_wall_us rs_wall_us ratio go_cpu_ms rs_cpu_ms ratio
for f in "${files[@]}"; do
  go_cpu=$(cpu_seconds "$work/parsercompare" -n "$iters" bench "$f"); go_wall=$(cut -f2 "$work/out")
  rs_cpu=$(cpu_seconds "$rust_bin" -n "$iters" bench "$f"); rs_wall=$(cut -f2 "$work/out")
  awk -v f="$(basename "$f")" -v gw="$go_wall" -v rw="$rs_wall" -v gc="$go_cpu" -v rc="$rs_cpu" -v n="$iters" \
    'BEGIN { runs = n + 1;
             printf "%-30s %11.1f %11.1f %6.1fx %9.2f %9.2f %6.1fx\n", f, gw/1000, rw/1000, gw/rw,
                    gc*1000/runs, rc*1000/runs, (rc > 0 ? gc/rc : 0) }'
done
