FROM busybox AS build
RUN echo hi > /hi
FROM scratch AS other
COPY --from=build /hi /x
FROM scratch
COPY --from=build /hi /hi
COPY --from=1 /x /y
COPY --from=alpine:3.20 /etc/os-release /os
COPY --from=build --chown=1:1 /etc/ /etc2/
