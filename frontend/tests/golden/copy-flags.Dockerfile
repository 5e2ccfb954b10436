FROM busybox
ARG OWNER=1000:1000
COPY --chown=$OWNER a /a
COPY --chown=app a /b
COPY --chown=app:staff --chmod=640 a /c
COPY --chmod=u+x,g-w,o=r a /d
COPY --chmod=0755 a /e
COPY --exclude=*.tmp --exclude=cache/ src/ /src/
ADD --chown=10 --chmod=600 a /f
