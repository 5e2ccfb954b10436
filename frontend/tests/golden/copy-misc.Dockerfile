FROM busybox AS other
RUN mkdir -p /a/b && echo c > /a/b/c
FROM busybox AS src
ARG SRC=dir DEST=/opt
ENV OWNER=1:1
COPY --chown=$OWNER $SRC/ $DEST/
COPY --link --chmod=644 f /linkchmod
COPY --link <<EOF /linkdoc
doc
EOF
COPY --parents --from=other /a/./b/c /parents-from/
ADD --exclude=*.md --exclude=tmp dir /added/
ADD https://example.com/one.txt https://example.com/two.txt /urls/
ADD --link https://example.com/three.txt /three
COPY <<-EOT /tabs
	indented $SRC
	EOT
WORKDIR rel
COPY f ./x/
COPY f ../up
COPY --chmod=g+w f .
FROM scratch
COPY --from=src /opt /opt
