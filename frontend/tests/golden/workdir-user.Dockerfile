FROM busybox
ENV DIR=/work
WORKDIR $DIR
USER 1000
WORKDIR a/b
COPY f .
USER nobody:nogroup
WORKDIR /
WORKDIR /named
