FROM busybox
ARG U=7:8
COPY --chown=name a /1
COPY --chown=1000 a /2
COPY --chown=name:group a /3
COPY --chown=1000:2000 a /4
COPY --chown=:1 a /5
COPY --chown=1: a /6
COPY --chown=: a /7
COPY --chown=0 a /8
COPY --chown=root a /9
COPY --chown=-1 a /10
COPY --chown=4294967295 a /11
COPY --chown=4294967296 a /12
COPY --chown=3000000000 a /13
COPY --chown=$U a /14
COPY --chown=root:root a /15
COPY --chown=2147483647:-2147483648 a /16
ADD --chown=1: a /17
COPY --link --chown=root:-1 a /18
COPY --chown=5:root <<EOT /19
x
EOT
USER root
WORKDIR /w1
USER -1
WORKDIR /w2
USER :
WORKDIR /w3
USER 3000000000:1
WORKDIR /w4
RUN true
