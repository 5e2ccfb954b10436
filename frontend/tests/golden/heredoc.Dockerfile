FROM scratch
ARG NAME=world
COPY <<EOF /hello
hello $NAME
EOF
COPY <<"EOF" /quoted
hello $NAME
EOF
COPY <<A <<B /dir/
a
A
b
B
COPY --chmod=755 <<EOF script.sh
#!/bin/sh
echo ${NAME}
EOF
