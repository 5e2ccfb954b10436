#!/usr/bin/env bash
# Builds a Rust builder image from this machine's own toolchain, for building the root
# Dockerfile (RUST_IMAGE) without pulling rust:1-bookworm from Docker Hub: the active rustup
# toolchain (rustc, cargo, the std of the host and of the cross targets the root Dockerfile
# builds for, added with rustup), the Debian C toolchains the linkers need (gcc, binutils,
# libc6-dev, the arm64 and armhf cross compilers and libcs, and what they depend on, copied
# from the installed packages),
# busybox for the shell, and the CA certificates cargo needs to reach crates.io. Pushed as
# $DFRS_REGISTRY/dfrs-rust:cross (once per environment). Prints the image name.
# Usage: tests/env/build-rust-image.sh RUN_DIR
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

[ $# -eq 1 ] || die "usage: $0 RUN_DIR"
load_run_env "$1"
IMAGE="$DFRS_REGISTRY/dfrs-rust:cross"

if curl -fs -o /dev/null -m 10 -H 'Accept: application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json' \
    "http://$DFRS_REGISTRY/v2/dfrs-rust/manifests/cross"; then
    printf '%s\n' "$IMAGE"
    exit 0
fi

command -v rustc >/dev/null || die "rustc is not on PATH"
sysroot="$(rustc --print sysroot)"
[ -x "$sysroot/bin/cargo" ] || die "no cargo in the active toolchain ($sysroot)"

# The installed packages gcc, libc6-dev, binutils and ca-certificates need, recursively.
closure() {
    local -A seen=()
    local todo=("$@") p d
    while [ "${#todo[@]}" -gt 0 ]; do
        p="${todo[0]}"; todo=("${todo[@]:1}")
        [ -n "${seen[$p]:-}" ] && continue
        seen[$p]=1
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || continue
        for d in $(dpkg-query -W -f='${Depends},${Pre-Depends}' "$p" | tr ',' '\n' | sed 's/|.*//; s/(.*)//; s/:any//; s/ //g'); do
            [ -n "$d" ] && todo+=("$d")
        done
    done
    printf '%s\n' "${!seen[@]}"
}
CROSS_PACKAGES=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
apt_install gcc libc6-dev binutils ca-certificates busybox-static "${CROSS_PACKAGES[@]}" >/dev/null \
    || die "installing gcc libc6-dev binutils and the cross compilers failed"
command -v rustup >/dev/null || die "rustup is not on PATH (needed to add the cross targets' std)"
rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf >&2 \
    || die "rustup target add aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf failed"

ctx="$RUN_DIR/ctx/rust-image"
rm -rf "$ctx" && mkdir -p "$ctx/root/usr/local/rust" "$ctx/root/etc/ssl/certs" "$ctx/root/tmp" "$ctx/root/root" \
    "$ctx/root/usr/bin" "$ctx/root/usr/sbin" "$ctx/root/usr/lib" "$ctx/root/usr/lib64"
# Debian's merged /usr: the top-level directories are links, as on the host.
for d in bin sbin lib lib64; do
    if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$ctx/root/$d"; fi
done
log "staging the C toolchain from Debian packages"
# shellcheck disable=SC2046
dpkg -L $(closure gcc libc6-dev binutils "${CROSS_PACKAGES[@]}") 2>/dev/null | sort -u | while read -r f; do
    if [ -f "$f" ] || [ -L "$f" ]; then printf '%s\n' "${f#/}"; fi
done >"$ctx/files.txt"
tar -C / -cf - -T "$ctx/files.txt" | tar -C "$ctx/root" --keep-directory-symlink -xf -
# `cc` (what rustc links with) is made by update-alternatives, in no package's file list.
[ -e "$ctx/root/usr/bin/cc" ] || ln -s gcc "$ctx/root/usr/bin/cc"
log "staging the Rust toolchain from $sysroot"
cp -a "$sysroot/bin" "$sysroot/lib" "$ctx/root/usr/local/rust/"
cp /etc/ssl/certs/ca-certificates.crt "$ctx/root/etc/ssl/certs/"
bb="$(command -v busybox)"
cp "$bb" "$ctx/root/usr/bin/busybox"
for tool in sh uname cp mkdir cat ls env; do
    [ -e "$ctx/root/usr/bin/$tool" ] || ln -s busybox "$ctx/root/usr/bin/$tool"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$ctx/root/etc/passwd"
printf 'root:x:0:\n' >"$ctx/root/etc/group"
cat >"$ctx/Dockerfile" <<'EOF'
FROM scratch
COPY root/ /
ENV PATH=/usr/local/cargo/bin:/usr/local/rust/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    CARGO_HOME=/usr/local/cargo
EOF
log "building and pushing $IMAGE ($(du -sh "$ctx/root" | cut -f1), uncompressed layers)"
buildctl_push "the Rust builder image" "$RUN_DIR/rust-image.log" 1200 "$ctx" "$IMAGE,compression=uncompressed"
rm -rf "$ctx/root"
printf '%s\n' "$IMAGE"
