# The base image every end-to-end test starts from: busybox from Debian's busybox-static,
# one binary per architecture in the context (busybox-amd64, busybox-arm64), laid out like
# Docker Hub's busybox (applets in /bin, /tmp, root and nobody in /etc/passwd).
FROM scratch
ARG TARGETARCH
COPY busybox-${TARGETARCH} /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
RUN mkdir -p /tmp /root /home /var /etc \
 && chmod 1777 /tmp \
 && printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > /etc/passwd \
 && printf 'root:x:0:\nnobody:x:65534:\n' > /etc/group
