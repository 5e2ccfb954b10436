#!/usr/bin/env bash
# Rebuilds the committed corpus, fuzz/corpus/TARGET/, minimised: the hand-picked seeds and the
# repository's Dockerfiles (fuzz/seeds.py), what the corpus holds already and any other corpus
# given (a long run's, `DIR/TARGET/`), merged by `cargo fuzz cmin` (libFuzzer's -merge=1: the
# smallest set of inputs with the same coverage, named by their sha1). Coverage is edges only
# (-use_counters=0), which keeps the corpus small; fuzzing finds the hit counts again quickly.
#   fuzz/minimize.sh [EXTRA_CORPUS_ROOT...]
# Run it after adding golden cases, examples or seeds, and after a long run that found more.
set -euo pipefail
# shellcheck source=../tests/fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/../tests/fuzz-common.sh"

fuzz_build
seeds="$(mktemp -d)"
trap 'rm -rf "$seeds"' EXIT
python3 "$FUZZ_DIR/seeds.py" "$seeds"
toolchain=()
rustup run nightly rustc --version >/dev/null 2>&1 && toolchain=(+nightly)
for t in "${FUZZ_TARGETS[@]}"; do
    corpus="$FUZZ_DIR/corpus/$t"
    mkdir -p "$corpus"
    before="$(find "$corpus" -type f | wc -l)"
    for d in "$seeds/$t" "${@/%//$t}"; do
        [ -d "$d" ] && find "$d" -maxdepth 1 -type f -exec cp -t "$corpus" {} +
    done
    (cd "$FUZZ_DIR" && cargo "${toolchain[@]}" fuzz cmin -s none --target-dir "$FUZZ_TARGET_DIR" \
        "$t" "$corpus" -- -use_counters=0 "${FUZZ_LIMITS[@]}" >"$seeds/$t.log" 2>&1) \
        || { tail -n 30 "$seeds/$t.log" >&2; die "cargo fuzz cmin $t failed"; }
    log "$t: $before inputs before, $(find "$corpus" -type f | wc -l) after ($(du -sk --apparent-size "$corpus" | cut -f1) KiB)"
done
