FROM busybox
COPY --link a /a
COPY --link --chown=1:2 b /b/
COPY --link --chmod=755 c /c
ADD --link d.tar /d/
