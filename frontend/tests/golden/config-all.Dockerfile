FROM busybox
MAINTAINER someone <a@b.c>
ENV A=1 B="two words" C=3
ENV D=$A-x
LABEL version="1.0" "with space"=yes multi=a\ b
EXPOSE 80 443/tcp 53/udp 8000-8002
VOLUME /data ["/logs", "/cache"]
STOPSIGNAL SIGTERM
USER app:app
WORKDIR /srv
WORKDIR sub
SHELL ["/bin/bash", "-c"]
CMD echo $A
ENTRYPOINT ["/entry"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=1m --start-interval=2s --retries=3 CMD curl -f http://localhost/
ONBUILD RUN echo onbuild
