FROM busybox
RUN --mount=type=cache,target=/var/cache/apt,sharing=locked --mount=type=secret,id=token,env=TOKEN,required echo "$TOKEN"
RUN --mount=type=bind,source=only/this,target=/x cat /x
