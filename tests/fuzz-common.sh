# Shared by tests/fuzz.sh and tests/fuzz-decode.sh (and fuzz/minimize.sh). Source it; don't run it.
# shellcheck shell=bash

# shellcheck source=env/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/env/common.sh"

FUZZ_DIR="$REPO_ROOT/fuzz"
# Every fuzz target (fuzz/Cargo.toml), in the order the runs go.
FUZZ_TARGETS=(parse checks options contexts dockerignore errors)
# Where cargo-fuzz builds (its own default, fuzz/target, unless DFRS_FUZZ_TARGET_DIR says).
FUZZ_TARGET_DIR="${DFRS_FUZZ_TARGET_DIR:-$FUZZ_DIR/target}"
FUZZ_TRIPLE="$(rustc -vV 2>/dev/null | sed -n 's/^host: //p')"
# shellcheck disable=SC2034  # used by the scripts that source this file
FUZZ_BIN_DIR="$FUZZ_TARGET_DIR/${FUZZ_TRIPLE:-x86_64-unknown-linux-gnu}/release"
# Memory bombs are failures: libFuzzer reports an input whose process grows past the RSS
# limit or that asks for one allocation above the malloc limit (MiB). Without a sanitizer
# libFuzzer cannot see allocations; the targets' own allocator (fuzz/src/limit.rs) enforces
# the same 256 MiB and aborts, which libFuzzer reports as a crash.
# shellcheck disable=SC2034  # used by the scripts that source this file
FUZZ_LIMITS=(-rss_limit_mb=512 -malloc_limit_mb=256 -timeout=10)

# fuzz_dicts TARGET: the dictionaries (fuzz/dict/) a target's runs use.
fuzz_dicts() {
    case "$1" in
        parse) echo dockerfile.dict ;;
        checks) echo dockerfile.dict checks.dict ;;
        *) echo "$1.dict" ;;
    esac
}

# fuzz_dict TARGET OUT: the target's dictionaries joined into OUT (libFuzzer takes one).
fuzz_dict() {
    local d
    : >"$2"
    for d in $(fuzz_dicts "$1"); do cat "$FUZZ_DIR/dict/$d" >>"$2"; done
}

# fuzz_build: every target, release with debug assertions, no sanitizer (cargo-fuzz from
# crates.io when missing; on stable with RUSTC_BOOTSTRAP=1 when there is no nightly).
fuzz_build() {
    command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked --quiet \
        || die "could not install cargo-fuzz"
    local toolchain=()
    if rustup run nightly rustc --version >/dev/null 2>&1; then
        toolchain=(+nightly)
    else
        export RUSTC_BOOTSTRAP=1
    fi
    log "cargo fuzz build (${FUZZ_TARGETS[*]}) into $FUZZ_TARGET_DIR"
    (cd "$FUZZ_DIR" && cargo "${toolchain[@]}" fuzz build -s none --target-dir "$FUZZ_TARGET_DIR") \
        || die "cargo fuzz build failed"
}
