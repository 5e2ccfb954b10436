FROM scratch
RUN <<EOF
echo hi
EOF
RUN <<-EOT bash
	#!/bin/bash
	echo $HOME
	EOT
RUN <<EOF
#!/bin/sh
echo from shebang
EOF
RUN <<-"EOF"
	#!/bin/sh
	echo chomp $X
	EOF
RUN python3 <<EOF
print(1)
EOF
RUN cat <<A <<B > /out
a
A
b
B
RUN 3<<EOF cat <&3
fd
EOF
RUN 3<<EOF
fd3
EOF
RUN << EOF
spaced
EOF
