FROM golang:1.22 AS builder
WORKDIR /src
COPY . .
RUN --mount=type=cache,target=/root/.cache/go-build go build -o /out/app ./cmd/app

FROM builder AS test
RUN go test ./... > /out/test-report.txt

FROM alpine:3.20 AS production
RUN apk add --no-cache ca-certificates
COPY --from=builder /out/app /usr/local/bin/app
COPY --from=test /out/test-report.txt /usr/share/doc/app/
ENTRYPOINT ["app"]
