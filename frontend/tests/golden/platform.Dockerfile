# args: --platform linux/arm64
FROM --platform=$BUILDPLATFORM busybox AS build
ARG TARGETPLATFORM
RUN echo $TARGETPLATFORM > /p
FROM busybox
COPY --from=build /p /p
CMD ["cat", "/p"]
