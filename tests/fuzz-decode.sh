#!/usr/bin/env bash
# The Go decode check: each fuzz target is run once over a corpus with DFRS_FUZZ_DUMP set, so
# it writes every message it encodes for BuildKit (definitions, statuses, image configs,
# results, warnings, subrequest results, .dockerignore patterns and matches), and
# fuzz/go-decode (BuildKit v0.34.2's own Go types and code) checks them: see its main.go.
#   tests/fuzz-decode.sh [CORPUS_ROOT...]   (default fuzz/corpus; each root holds TARGET/ dirs)
# DFRS_FUZZ_NO_BUILD=1: the targets are built already (tests/fuzz.sh).
set -euo pipefail
# shellcheck source=fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-common.sh"

roots=("$@")
[ "${#roots[@]}" -gt 0 ] || roots=("$FUZZ_DIR/corpus")
[ "${DFRS_FUZZ_NO_BUILD:-0}" = 1 ] || fuzz_build

checker="$FUZZ_TARGET_DIR/go-decode"
log "go build fuzz/go-decode"
(cd "$FUZZ_DIR/go-decode" && GOFLAGS=-mod=mod CGO_ENABLED=0 timeout 1800 go build -o "$checker" .) \
    || die "go build of fuzz/go-decode failed"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for t in "${FUZZ_TARGETS[@]}"; do
    dirs=()
    for r in "${roots[@]}"; do
        [ -d "$r/$t" ] && dirs+=("$r/$t")
    done
    [ "${#dirs[@]}" -gt 0 ] || continue
    # -runs=0: each input of the corpus once, nothing mutated; the same limits as fuzzing.
    DFRS_FUZZ_DUMP="$work/$t.dump" "$FUZZ_BIN_DIR/$t" -runs=0 "${FUZZ_LIMITS[@]}" "${dirs[@]}" \
        >"$work/$t.log" 2>&1 || { tail -n 30 "$work/$t.log" >&2; die "fuzz target $t failed on its corpus"; }
    log "$t: $(sed -n 's/^Done \([0-9]*\) runs.*/\1 inputs/p' "$work/$t.log" | tail -1), $(stat -c %s "$work/$t.dump" 2>/dev/null || echo 0) bytes encoded"
done
"$checker" "$work"/*.dump
