#!/usr/bin/env bash
# A bounded fuzz run of the offline pipeline (parse, instructions, word expansion, conversion).
#   tests/fuzz.sh [SECONDS]   (default: $DFRS_FUZZ_SECONDS or 60)
# Uses cargo-fuzz (installed from crates.io when missing). Without a nightly toolchain it runs
# on stable with RUSTC_BOOTSTRAP=1, which unlocks the unstable flags libFuzzer needs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"
seconds="${1:-${DFRS_FUZZ_SECONDS:-60}}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet
toolchain=()
if rustup run nightly rustc --version >/dev/null 2>&1; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
mkdir -p corpus/parse
for d in ../examples/*/; do [ -f "$d/Dockerfile" ] && cp "$d/Dockerfile" "corpus/parse/example-$(basename "$d")"; done
for f in ../frontend/tests/golden/*.Dockerfile; do [ -f "$f" ] && cp -n "$f" corpus/parse/; done
# Memory: the target converts with size limits of a few MiB (docs/limits.md), so more than
# 512 MiB, or one allocation over 256 MiB, is a bound missing (a memory bomb).
exec cargo "${toolchain[@]}" fuzz run parse -s none corpus/parse -- -max_total_time="$seconds" -timeout=10 -rss_limit_mb=512 -malloc_limit_mb=256
