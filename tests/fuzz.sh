#!/usr/bin/env bash
# A bounded fuzz run of every target (fuzz/fuzz_targets/), then the Go decode check of what
# they encode for BuildKit (tests/fuzz-decode.sh):
#   tests/fuzz.sh [SECONDS [TARGET...]]
# SECONDS (default $DFRS_FUZZ_SECONDS, else 60) is the whole run's budget, split evenly among
# the targets (at least 5 s each). Each starts from its committed corpus (fuzz/corpus/TARGET,
# read only) with its dictionary; what it adds goes to a scratch directory, kept with the
# crash artifacts in $DFRS_FUZZ_OUT (default tmp/fuzz) when something fails. A crash, a panic,
# a timeout (10 s), an input above 512 MiB RSS or one allocation above 256 MiB fails the run.
# Prints the executions per target. DFRS_FUZZ_DECODE=0 skips the Go check.
set -euo pipefail
# shellcheck source=fuzz-common.sh
. "$(dirname "${BASH_SOURCE[0]}")/fuzz-common.sh"

total="${1:-${DFRS_FUZZ_SECONDS:-60}}"
shift || true
targets=("${FUZZ_TARGETS[@]}")
[ "$#" -gt 0 ] && targets=("$@")
per=$((total / ${#targets[@]}))
[ "$per" -ge 5 ] || per=5
out="${DFRS_FUZZ_OUT:-$REPO_ROOT/tmp/fuzz}"
rm -rf "$out"
mkdir -p "$out"

fuzz_build
failed=()
summary=()
for t in "${targets[@]}"; do
    bin="$FUZZ_BIN_DIR/$t"
    [ -x "$bin" ] || die "no fuzz target $t at $bin"
    mkdir -p "$out/new/$t" "$out/artifacts/$t"
    fuzz_dict "$t" "$out/$t.dict"
    log "fuzz $t: ${per}s"
    status=0
    "$bin" "$out/new/$t" "$FUZZ_DIR/corpus/$t" -max_total_time="$per" "${FUZZ_LIMITS[@]}" \
        -dict="$out/$t.dict" -print_final_stats=1 -artifact_prefix="$out/artifacts/$t/" \
        >"$out/$t.log" 2>&1 || status=$?
    execs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log" | tail -1)"
    new="$(find "$out/new/$t" -type f | wc -l)"
    summary+=("$t: ${execs:-?} executions in ${per}s, $new new inputs")
    if [ "$status" -ne 0 ]; then
        failed+=("$t")
        warn "fuzz $t failed (exit $status); the end of its log ($out/$t.log):"
        tail -n 40 "$out/$t.log" >&2
        find "$out/artifacts/$t" -type f -printf '  artifact: %p\n' >&2
    fi
done
log "executions per target:"
printf '  %s\n' "${summary[@]}" >&2

decode=0
if [ "${DFRS_FUZZ_DECODE:-1}" != 0 ]; then
    # The committed corpus and what this run added, every target.
    DFRS_FUZZ_NO_BUILD=1 "$REPO_ROOT/tests/fuzz-decode.sh" "$FUZZ_DIR/corpus" "$out/new" || decode=$?
fi
if [ "${#failed[@]}" -gt 0 ] || [ "$decode" -ne 0 ]; then
    [ "${#failed[@]}" -gt 0 ] && warn "fuzz targets failed: ${failed[*]} (inputs in $out/artifacts)"
    [ "$decode" -ne 0 ] && warn "the Go decode check failed (inputs in $out/new)"
    exit 1
fi
rm -rf "$out"
log "fuzz: no failures"
