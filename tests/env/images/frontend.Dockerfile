# Our frontend as a BuildKit gateway image: one static binary, nothing else.
FROM scratch
COPY dockerfile-frontend /bin/dockerfile-frontend
# The frontend needs no network; the caps are the frontend features it implements (BuildKit
# checks a build's `frontend.caps` request against them). Keep in sync with the root
# Dockerfile and FRONTEND_CAPS in frontend/src/gateway/bridge.rs (a unit test checks).
LABEL moby.buildkit.frontend.network.none="true"
LABEL moby.buildkit.frontend.caps="moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring"
# glibc's allocator settings (frontend/src/heap.rs: huge pages, a heap grown 8 MiB at a time).
ENV GLIBC_TUNABLES=glibc.malloc.hugetlb=1:glibc.malloc.top_pad=8388608:glibc.malloc.mmap_threshold=33554432
ENTRYPOINT ["/bin/dockerfile-frontend"]
