# args: --build-arg HTTP_PROXY=http://proxy:3128 --build-arg no_proxy=local
FROM busybox AS base
WORKDIR /src
RUN echo base > /src/file

FROM busybox
WORKDIR /w
ENV TOK=plain
ARG no_proxy
RUN --mount=type=cache,target=/root/.cache --mount=type=cache,target=rel,id=foo,sharing=locked,uid=1,gid=2,mode=0750 --mount=type=tmpfs,target=/t,size=1m --mount=type=bind,target=/ctx,source=sub --mount=type=bind,target=/ctxrw,rw --mount=type=secret,id=s1 --mount=type=secret,id=s2,env=TOK,target=/s2,mode=0444 --mount=type=secret,id=s3,env=TOK2 --mount=type=ssh --mount=type=ssh,id=k,target=/ssh,uid=5,required echo $TOK $TOK2
RUN --mount=from=base,target=/m --mount=type=bind,from=base,source=/src,target=/rw,rw --mount=type=cache,from=base,source=src,target=/c2,sharing=private --mount=from=alpine,target=/a,source=/etc ls
RUN --network=none --security=insecure ls
RUN --network=host --device=vendor.com/gpu=0 --device=name=vendor.com/x,required ls
RUN --network=default ls
