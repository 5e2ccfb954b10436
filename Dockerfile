# The gateway image of this frontend, for users:
#   docker buildx build --platform linux/amd64,linux/arm64,linux/arm/v7 -t <name> .
# The builder stage runs on the build machine ($BUILDPLATFORM) and cross-compiles one static
# binary for each $TARGETPLATFORM (no emulation); the image is that binary alone, one image
# per platform under one index. REVISION (the commit) names the build with the crate's
# version (`dockerfile-frontend --version`, the OCI labels);
# with SOURCE_DATE_EPOCH and the exporter's rewrite-timestamp=true the image is reproducible.
ARG RUST_IMAGE=rust:1-bookworm

FROM --platform=$BUILDPLATFORM ${RUST_IMAGE} AS toolchain
# The Rust standard library and the Debian cross linker and libc of each target. An image
# that has them already (tests/env/build-rust-image.sh) needs no network for this step.
RUN set -e; \
    need_rust=""; need_deb=""; \
    for t in aarch64-unknown-linux-gnu armv7-unknown-linux-gnueabihf x86_64-unknown-linux-gnu; do \
        [ -d "$(rustc --print sysroot)/lib/rustlib/$t/lib" ] || need_rust="$need_rust $t"; \
    done; \
    command -v aarch64-linux-gnu-gcc >/dev/null || need_deb="$need_deb gcc-aarch64-linux-gnu libc6-dev-arm64-cross"; \
    command -v arm-linux-gnueabihf-gcc >/dev/null || need_deb="$need_deb gcc-arm-linux-gnueabihf libc6-dev-armhf-cross"; \
    command -v x86_64-linux-gnu-gcc >/dev/null || need_deb="$need_deb gcc-x86-64-linux-gnu libc6-dev-amd64-cross"; \
    if [ -n "$need_rust" ]; then rustup target add $need_rust; fi; \
    if [ -n "$need_deb" ]; then \
        apt-get update && apt-get install -y --no-install-recommends $need_deb && rm -rf /var/lib/apt/lists/*; \
    fi

FROM toolchain AS builder
WORKDIR /src
COPY . .
# The crates, fetched once for all platforms: this step comes before TARGETPLATFORM is
# declared, so it is one and the same step for every platform.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    cargo fetch --locked
ARG TARGETPLATFORM
ARG REVISION=""
# A static executable without position-independent code, as Go builds the reference: nothing
# to relocate at start-up. The platforms build side by side, offline, reading the crates; the
# target directory is per platform.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target,id=dockerfile-frontend-target-$TARGETPLATFORM,sharing=locked \
    set -e; \
    case "$TARGETPLATFORM" in \
        linux/amd64) target=x86_64-unknown-linux-gnu; cc=x86_64-linux-gnu-gcc ;; \
        linux/arm64|linux/arm64/v8) target=aarch64-unknown-linux-gnu; cc=aarch64-linux-gnu-gcc ;; \
        linux/arm/v7) target=armv7-unknown-linux-gnueabihf; cc=arm-linux-gnueabihf-gcc ;; \
        *) echo "unsupported platform $TARGETPLATFORM (linux/amd64, linux/arm64, linux/arm/v7)" >&2; exit 1 ;; \
    esac; \
    env_target="$(echo "$target" | tr 'a-z-' 'A-Z_')"; \
    export "CARGO_TARGET_${env_target}_LINKER=$cc"; \
    DFRS_REVISION="$REVISION" \
    RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" \
        cargo build --release --locked --offline --target "$target" -p dockerfile-frontend; \
    cp "target/$target/release/dockerfile-frontend" /dockerfile-frontend

FROM scratch
# The crate's version (Cargo.toml; a unit test keeps them equal).
ARG VERSION=0.1.0
ARG REVISION=""
ARG SOURCE="https://github.com/dockerfile-rs/dockerfile-rs"
COPY --from=builder /dockerfile-frontend /bin/dockerfile-frontend
LABEL org.opencontainers.image.title="dockerfile-frontend" \
      org.opencontainers.image.description="A BuildKit Dockerfile frontend in Rust" \
      org.opencontainers.image.version="$VERSION" \
      org.opencontainers.image.revision="$REVISION" \
      org.opencontainers.image.source="$SOURCE"
# No network for the frontend; the frontend features it implements (see FRONTEND_CAPS in
# frontend/src/gateway/bridge.rs, which a unit test keeps in sync with this label).
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring"
# glibc's allocator settings (frontend/src/heap.rs: huge pages, a heap grown 8 MiB at a time).
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.top_pad=8388608:glibc.malloc.mmap_threshold=33554432
ENTRYPOINT ["/bin/dockerfile-frontend"]
