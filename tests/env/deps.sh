#!/usr/bin/env bash
# Installs what the end-to-end environment needs from Debian, and sets up arm64 emulation.
# Usage: deps.sh STATUS_FILE
# Writes to STATUS_FILE (sourceable): DFRS_BUSYBOX_AMD64, DFRS_BUSYBOX_ARM64, DFRS_MULTIARCH=0/1
# and DFRS_MULTIARCH_ERROR (why multi-platform is unavailable). The multi-arch part never fails
# the script: it only records what went wrong.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

status_file="${1:?usage: deps.sh STATUS_FILE}"

apt_install runc docker-registry busybox-static curl ca-certificates python3 openssh-client \
    || die "could not install the Debian packages runc docker-registry busybox-static curl openssh-client"
command -v runc >/dev/null || die "runc not on PATH after install"

busybox_amd64=/bin/busybox
[ -x "$busybox_amd64" ] || busybox_amd64=/usr/bin/busybox
[ -x "$busybox_amd64" ] || die "busybox-static installed but no busybox binary found"

# --- multi-platform (linux/arm64 under qemu-user emulation) ---
multiarch_error=""
busybox_arm64="$DFRS_CACHE/busybox-static-arm64/busybox"

setup_binfmt() {
    apt_install qemu-user-static binfmt-support || { echo "apt-get install qemu-user-static binfmt-support failed"; return 1; }
    if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
        mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>&1 || { echo "cannot mount binfmt_misc"; return 1; }
    fi
    if ! grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null; then
        update-binfmts --enable qemu-aarch64 >&2 || { echo "update-binfmts --enable qemu-aarch64 failed"; return 1; }
    fi
    grep -qx enabled /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || { echo "binfmt entry qemu-aarch64 is not enabled"; return 1; }
}

fetch_arm64_busybox() {
    [ -x "$busybox_arm64" ] && return 0
    if ! dpkg --print-foreign-architectures | grep -qx arm64; then
        log "dpkg --add-architecture arm64"
        dpkg --add-architecture arm64 || { echo "dpkg --add-architecture arm64 failed"; return 1; }
        APT_UPDATED=0
    fi
    local tmp
    tmp="$(mktemp -d)"
    chmod 755 "$tmp"   # apt downloads as user _apt
    # Right after --add-architecture the arm64 lists are not there yet: update first then.
    [ "$APT_UPDATED" = 0 ] && ! apt-cache show busybox-static:arm64 >/dev/null 2>&1 \
        && { apt_update_once || { rm -rf "$tmp"; echo "apt-get update failed"; return 1; }; }
    (cd "$tmp" && timeout 300 apt-get download -qq busybox-static:arm64 >&2) \
        || { rm -rf "$tmp"; echo "apt-get download busybox-static:arm64 failed"; return 1; }
    dpkg -x "$tmp"/busybox-static_*_arm64.deb "$tmp/x" || { rm -rf "$tmp"; echo "dpkg -x of busybox-static:arm64 failed"; return 1; }
    mkdir -p "$(dirname "$busybox_arm64")"
    cp "$tmp/x/bin/busybox" "$busybox_arm64.tmp" && mv "$busybox_arm64.tmp" "$busybox_arm64"
    rm -rf "$tmp"
}

if ! err="$(setup_binfmt)"; then
    multiarch_error="binfmt/qemu setup: $err"
elif ! err="$(fetch_arm64_busybox)"; then
    multiarch_error="arm64 busybox: $err"
elif [ "$("$busybox_arm64" uname -m 2>/dev/null)" != aarch64 ]; then
    multiarch_error="the arm64 busybox does not run under emulation (uname -m did not say aarch64)"
fi

if [ -n "$multiarch_error" ]; then
    warn "multi-platform builds unavailable: $multiarch_error"
    warn "single-platform tests still run; multi-platform tests will fail saying so"
    multiarch=0
else
    multiarch=1
fi

{
    printf 'DFRS_BUSYBOX_AMD64=%q\n' "$busybox_amd64"
    printf 'DFRS_BUSYBOX_ARM64=%q\n' "$([ "$multiarch" = 1 ] && echo "$busybox_arm64")"
    printf 'DFRS_MULTIARCH=%q\n' "$multiarch"
    printf 'DFRS_MULTIARCH_ERROR=%q\n' "$multiarch_error"
} >"$status_file"
