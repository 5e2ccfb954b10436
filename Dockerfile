# The gateway image of this frontend, for users: `docker buildx build -t <name> .`
# A Rust builder stage compiles one static binary; the image is that binary alone.
ARG RUST_IMAGE=rust:1-bookworm

FROM ${RUST_IMAGE} AS builder
WORKDIR /src
COPY . .
# A static executable without position-independent code, as Go builds the reference: nothing
# to relocate at start-up.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    target="$(uname -m)-unknown-linux-gnu" && \
    RUSTFLAGS="-C target-feature=+crt-static -C relocation-model=static" cargo build --release --locked --target "$target" -p dockerfile-frontend && \
    cp "target/$target/release/dockerfile-frontend" /dockerfile-frontend

FROM scratch
COPY --from=builder /dockerfile-frontend /bin/dockerfile-frontend
# No network for the frontend; the frontend features it implements (see FRONTEND_CAPS in
# frontend/src/gateway/bridge.rs, which a unit test keeps in sync with this label).
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring"
# glibc's allocator settings (frontend/src/heap.rs: huge pages, a heap grown 8 MiB at a time).
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.top_pad=8388608:glibc.malloc.mmap_threshold=33554432
ENTRYPOINT ["/bin/dockerfile-frontend"]
