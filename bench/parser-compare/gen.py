"""Writes benchmark Dockerfiles: gen.py DIR. A realistic mix of instructions per stage."""
import os, sys

STAGE = '''FROM --platform=$BUILDPLATFORM golang:1.22-alpine AS s{i}
ARG VERSION=1.{i}
ENV CGO_ENABLED=0 GOOS=linux GOFLAGS="-trimpath -mod=readonly"
LABEL org.opencontainers.image.title="stage {i}" org.opencontainers.image.version=$VERSION
WORKDIR /src/s{i}
COPY --link --chown=1000:1000 go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod \\
    --mount=type=cache,target=/root/.cache/go-build \\
    go mod download && \\
    go build -ldflags "-s -w -X main.version=$VERSION" -o /out/app{i} ./cmd/app
COPY --from=s0 ["/out/app0", "/usr/local/bin/app"]
RUN <<EOF
set -e
echo "building {i}"
apk add --no-cache ca-certificates
EOF
# the port of stage {i}
EXPOSE 80{i}/tcp
HEALTHCHECK --interval=30s --timeout=3s --retries=3 CMD ["wget", "-qO-", "http://localhost/health"]
USER 1000:1000
ENTRYPOINT ["/usr/local/bin/app"]
CMD ["--serve", "--port=80{i}"]
'''

INSTR = [
    'RUN apk add --no-cache curl git && rm -rf /var/cache/apk/*',
    'ENV PATH=/usr/local/bin:$PATH HOME=/root',
    'COPY --chmod=755 scripts/ /usr/local/bin/',
    'ARG TARGETARCH',
    'LABEL maintainer="dev@example.com"',
    'WORKDIR /app',
    'RUN --mount=type=secret,id=token,env=TOKEN ./fetch.sh "$TOKEN"',
    'ADD --checksum=sha256:0123456789abcdef https://example.com/a.tar.gz /tmp/',
    'CMD ["sh", "-c", "echo hello"]',
    'VOLUME ["/data", "/logs"]',
]

def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for n in (1, 100, 1000):
        with open(os.path.join(out, f'stages-{n}.Dockerfile'), 'w') as f:
            f.write('# syntax=docker/dockerfile:1\nARG BASE=alpine\n')
            for i in range(n):
                f.write(STAGE.format(i=i))
    with open(os.path.join(out, 'instructions-10000.Dockerfile'), 'w') as f:
        f.write('FROM alpine:3.20\n')
        for i in range(10000 - 1):
            f.write(INSTR[i % len(INSTR)] + '\n')

main()
