#!/bin/sh
# shellcheck source=/dev/null  # installed by the deps stage
. /opt/deps/strings.sh
upper "hello, $1"
