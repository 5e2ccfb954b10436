#!/usr/bin/env bash
# THE test command: the style checks (tests/style.sh: rustfmt, clippy, shellcheck), unit tests,
# then the end-to-end tests against a real BuildKit.
#
#   tests/run.sh                          # everything, with our frontend (DFRS_FRONTEND=ours)
#   DFRS_FRONTEND=reference tests/run.sh  # the e2e tests against BuildKit's own frontend
#   DFRS_FRONTEND=reference-image tests/run.sh  # ... as a gateway image, like ours (builds it)
#   DFRS_ENV=/path/run-dir tests/run.sh   # reuse a running environment (tests/env/up.sh)
#   tests/run.sh -- multistage            # extra arguments go to `cargo test -p e2e`
#
# Without DFRS_ENV it starts a fresh environment (tests/env/up.sh) in a new run directory
# under ${DFRS_RUNS:-/tmp/dfrs-runs}, and stops and deletes it on exit (DFRS_KEEP_ENV=1 keeps
# it running, to reuse with DFRS_ENV=...).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/env/common.sh"
cd "$REPO_ROOT"

e2e_args=()
if [ "${1:-}" = -- ]; then shift; e2e_args=("$@"); fi

t_s=$SECONDS
log "style: tests/style.sh (cargo fmt --check, cargo clippy -D warnings, shellcheck)"
"$(dirname "${BASH_SOURCE[0]}")/style.sh"
t_style=$((SECONDS - t_s))

t0=$SECONDS
log "unit tests: cargo test --workspace --exclude e2e"
cargo test --workspace --exclude e2e
t_unit=$((SECONDS - t0))

t_f=$SECONDS
log "fuzz: tests/fuzz.sh (${DFRS_FUZZ_SECONDS:-60} s)"
"$(dirname "${BASH_SOURCE[0]}")/fuzz.sh"
t_fuzz=$((SECONDS - t_f))

t1=$SECONDS
if [ -n "${DFRS_ENV:-}" ]; then
    RUN_DIR="$DFRS_ENV"
    log "reusing the environment in $RUN_DIR"
    "$ENV_DIR/up.sh" "$RUN_DIR"
else
    runs="${DFRS_RUNS:-${TMPDIR:-/tmp}/dfrs-runs}"
    mkdir -p "$runs"
    RUN_DIR="$(mktemp -d "$runs/run-XXXXXX")"
    # shellcheck disable=SC2317  # run by the EXIT trap; shellcheck 0.9 misses that when the script ends with `exit`
    cleanup() {
        local rc=$?
        if [ "${DFRS_KEEP_ENV:-0}" = 1 ]; then
            log "environment kept running: DFRS_ENV=$RUN_DIR (stop it with tests/env/down.sh $RUN_DIR --purge)"
        else
            "$ENV_DIR/down.sh" "$RUN_DIR" --purge || true
        fi
        exit "$rc"
    }
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    "$ENV_DIR/up.sh" "$RUN_DIR"
fi
t_env=$((SECONDS - t1))

export DFRS_FRONTEND="${DFRS_FRONTEND:-ours}"
if [ "$DFRS_FRONTEND" = reference-image ]; then
    "$ENV_DIR/build-reference.sh" "$RUN_DIR" >/dev/null
fi
# shellcheck disable=SC1091
. "$RUN_DIR/env"
t2=$SECONDS
log "end-to-end tests (DFRS_FRONTEND=$DFRS_FRONTEND): cargo test -p e2e"
rc=0
cargo test -p e2e --no-fail-fast -- --test-threads="${DFRS_TEST_THREADS:-4}" "${e2e_args[@]}" || rc=$?
t_e2e=$((SECONDS - t2))

# BuildKit's own Dockerfile integration suite, its stable subset (tests/suite/ci.txt), against
# our image; the whole suite is `tests/suite/run.sh` (see docs/testing.md).
t3=$SECONDS
if [ "$DFRS_FRONTEND" = ours ] && [ "${DFRS_SUITE:-1}" = 1 ]; then
    log "BuildKit's Dockerfile suite, CI subset: tests/suite/run.sh --ci"
    "$(dirname "${BASH_SOURCE[0]}")/suite/run.sh" --ci --out "$RUN_DIR/suite" || rc=1
fi
t_suite=$((SECONDS - t3))
log "times: style ${t_style}s, unit ${t_unit}s, fuzz ${t_fuzz}s, environment ${t_env}s, e2e ${t_e2e}s, suite ${t_suite}s (DFRS_FRONTEND=$DFRS_FRONTEND)"
if [ "$rc" != 0 ] && [ "$DFRS_FRONTEND" = ours ]; then
    log "end-to-end tests failed with OUR frontend ($DFRS_FRONTEND_IMAGE); each failure above shows the"
    log "buildctl command and the daemon log. DFRS_FRONTEND=reference tests/run.sh runs the same tests"
    log "against BuildKit's own frontend."
fi
exit "$rc"
