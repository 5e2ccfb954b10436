FROM busybox
ARG PORT=8080
ARG EMPTY
ENV legacy value with spaces
ENV Q="a \"quoted\" value" ESC=a\ b\$c
LABEL "com.example.quoted"="with \"quotes\"" empty=""
EXPOSE $PORT 80/TCP 9000-9001/udp 7/sctp
EXPOSE 80
VOLUME ["/json/vol"]
USER 1000:1000
WORKDIR /a/b/
RUN pwd
COPY f rel/
WORKDIR .
WORKDIR ../c
HEALTHCHECK CMD ["/bin/check", "--fast"]
SHELL ["/bin/ash", "-eo", "pipefail", "-c"]
ENTRYPOINT exec /app $PORT
STOPSIGNAL RTMIN+3
MAINTAINER Jane "J" Doe
ARG LATE=${EMPTY:-default}
ENV LATE=$LATE
