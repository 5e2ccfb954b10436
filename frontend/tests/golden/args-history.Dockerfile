# args: --build-arg FROMCLI=cli --build-arg OVR=override
ARG GLOBAL=g
ARG OVR=global
FROM busybox
ARG GLOBAL
ARG OVR
ARG FROMCLI
ARG LOCAL=l-$GLOBAL UNSET
RUN echo $LOCAL
ENV E=$OVR
