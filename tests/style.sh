#!/usr/bin/env bash
# The style checks, run first by tests/run.sh (and on their own: tests/style.sh):
#   cargo fmt --all --check                                 (rustfmt.toml; the fuzz crate too)
#   cargo clippy --workspace --all-targets -- -D warnings   (the fuzz crate too)
#   every shell script in the repository through ShellCheck (.shellcheckrc)
#   scripts/modgraph.py: no cycles between source files, the module layering of docs/architecture.md
# Installs what is missing: rustfmt and clippy with rustup, shellcheck from Debian.
set -euo pipefail
# shellcheck source=env/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/env/common.sh"
cd "$REPO_ROOT"

# shell_scripts: prints the repository's shell scripts (*.sh, and files whose first line is a
# sh/bash/dash shebang), the files git tracks or would track: not target/, .git, ignored files
# or the fuzz corpus.
shell_scripts() {
    local f first
    {
        if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
            git ls-files --cached --others --exclude-standard
        else
            find . \( -name target -o -name .git -o -path ./fuzz/corpus -o -path ./fuzz/artifacts \) -prune \
                -o -type f -print | sed 's|^\./||'
        fi
    } | sort -u | while IFS= read -r f; do
        [ -f "$f" ] || continue
        case "$f" in
            fuzz/corpus/*) continue ;; # fuzz inputs, whatever their first line says
            *.sh) printf '%s\n' "$f"; continue ;;
        esac
        first=""
        IFS= read -r first <"$f" 2>/dev/null || true
        if [[ "$first" =~ ^\#!.*[/[:space:]](ba|da)?sh([[:space:]]|$) ]]; then printf '%s\n' "$f"; fi
    done
}

# rustfmt and clippy come with rustup's default profile; a minimal toolchain lacks them.
for tool in fmt:rustfmt clippy:clippy; do
    if ! cargo "${tool%%:*}" --version >/dev/null 2>&1; then
        log "rustup component add ${tool#*:}"
        rustup component add "${tool#*:}" || die "could not install ${tool#*:} (rustup component add ${tool#*:})"
    fi
done
command -v shellcheck >/dev/null || apt_install shellcheck || die "could not install the Debian package shellcheck"

log "cargo fmt --all --check"
cargo fmt --all --check
cargo fmt --manifest-path fuzz/Cargo.toml --all --check

log "cargo clippy --workspace --all-targets -- -D warnings"
cargo clippy --quiet --workspace --all-targets -- -D warnings
log "cargo clippy --all-targets -- -D warnings in fuzz/ (outside the workspace)"
cargo clippy --quiet --manifest-path fuzz/Cargo.toml --all-targets -- -D warnings

mapfile -t scripts < <(shell_scripts)
[ "${#scripts[@]}" -gt 0 ] || die "found no shell scripts to check"
log "shellcheck: ${#scripts[@]} scripts"
shellcheck "${scripts[@]}"

log "scripts/modgraph.py: file cycles and module layering"
python3 scripts/modgraph.py --cycles --through-reexports --modules
