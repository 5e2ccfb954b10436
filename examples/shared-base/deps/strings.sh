# shellcheck shell=sh
# A shell library the deps stage installs; ASCII upper-casing is all the example needs.
# shellcheck disable=SC2018,SC2019
upper() { echo "$1" | tr a-z A-Z; }
