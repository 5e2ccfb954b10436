. /opt/deps/strings.sh
upper "hello, $1"
