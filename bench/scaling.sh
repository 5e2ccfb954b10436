#!/usr/bin/env bash
# Conversion time against the number of instructions, one instruction kind at a time: for
# each kind, a Dockerfile of `FROM alpine` and N instructions of that kind (all distinct), for
# N in SIZES (ENV and RUN also 100,000), converted with `dockerfile-frontend llb FILE`.
# Prints a Markdown table of wall seconds and peak RSS (GNU time's %M, when /usr/bin/time is
# there): every kind should grow linearly.
#
#   bench/scaling.sh [--ours BIN] [--ref BIN] [--kinds "ENV RUN ..."] [--sizes "5000 ..."]
#                    [--timeout SECONDS] [--check] [--work DIR]
#   --ours BIN      our binary (default: target/release/dockerfile-frontend, or
#                   $CARGO_TARGET_DIR/release/dockerfile-frontend)
#   --ref BIN       also time the reference's converter (bench/ref-dockerfile2llb, built with
#                   `tests/env/common.sh`'s build_ref_dockerfile2llb): it takes `BIN FILE` too
#   --kinds K       instruction kinds (default: all of them)
#   --sizes S       instruction counts (default: 5000 10000 20000 40000)
#   --timeout S     give up on one conversion after S seconds (default 60; shown as `>S`)
#   --check         time the build checks (`dockerfile-frontend check FILE`) instead
#   --work DIR      where the generated Dockerfiles go (default: a new directory under /tmp)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ours="${CARGO_TARGET_DIR:-$repo/target}/release/dockerfile-frontend"
ref=""
kinds="ENV LABEL ARG EXPOSE WORKDIR USER VOLUME RUN COPY ONBUILD HEALTHCHECK SHELL STOPSIGNAL CMD ENTRYPOINT"
sizes="5000 10000 20000 40000"
big=100000
limit=60
sub=llb
work=""
while [ $# -gt 0 ]; do
    case "$1" in
        --ours) ours="$2"; shift 2 ;;
        --ref) ref="$2"; shift 2 ;;
        --kinds) kinds="$2"; shift 2 ;;
        --sizes) sizes="$2"; big=""; shift 2 ;;
        --timeout) limit="$2"; shift 2 ;;
        --work) work="$2"; shift 2 ;;
        --check) sub=check; shift ;;
        -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
        *) echo "unknown option $1 (see $0 --help)" >&2; exit 2 ;;
    esac
done
[ -x "$ours" ] || { echo "no binary at $ours (cargo build --release -p dockerfile-frontend)" >&2; exit 1; }
work="${work:-$(mktemp -d /tmp/dfrs-scaling.XXXXXX)}"
mkdir -p "$work"

# gen KIND N: the Dockerfile on stdout.
gen() {
    awk -v kind="$1" -v n="$2" 'BEGIN {
        print "FROM alpine"
        for (i = 0; i < n; i++) {
            if (kind == "ENV") print "ENV V" i "=value" i
            else if (kind == "LABEL") print "LABEL l" i "=value" i
            else if (kind == "ARG") print "ARG A" i "=value" i
            else if (kind == "EXPOSE") print "EXPOSE " (i % 65535 + 1) "/" (i < 65535 ? "tcp" : "udp")
            else if (kind == "WORKDIR") print "WORKDIR /w" i
            else if (kind == "USER") print "USER u" i
            else if (kind == "VOLUME") print "VOLUME /v" i
            else if (kind == "RUN") print "RUN echo " i
            else if (kind == "COPY") print "COPY f" i " /f" i
            else if (kind == "ONBUILD") print "ONBUILD RUN echo " i
            else if (kind == "HEALTHCHECK") print "HEALTHCHECK CMD echo " i
            else if (kind == "SHELL") print "SHELL [\"/bin/sh\", \"-c" i "\"]"
            else if (kind == "STOPSIGNAL") print "STOPSIGNAL " (i % 31 + 1)
            else if (kind == "CMD") print "CMD echo " i
            else if (kind == "ENTRYPOINT") print "ENTRYPOINT [\"e" i "\"]"
            else { print "unknown kind " kind > "/dev/stderr"; exit 1 }
        }
    }'
}

have_time=0
[ -x /usr/bin/time ] && have_time=1

# measure COMMAND... : prints "SECONDS RSS_MIB" for the command (its stdout discarded), or
# ">LIMIT -" after the time limit, "error -" when it fails (its stderr is in $work/err).
measure() {
    local start end status=0 rss="-"
    start=$(date +%s%N)
    if [ "$have_time" = 1 ]; then
        /usr/bin/time -f %M -o "$work/time.out" timeout "$limit" "$@" >/dev/null 2>"$work/err" || status=$?
    else
        timeout "$limit" "$@" >/dev/null 2>"$work/err" || status=$?
    fi
    end=$(date +%s%N)
    if [ "$status" = 124 ]; then
        echo ">$limit -"
        return
    elif [ "$status" != 0 ]; then
        echo "error -"
        return
    fi
    [ "$have_time" = 1 ] && rss=$(awk 'END { printf "%.1f", $1 / 1024 }' "$work/time.out")
    awk -v ns="$((end - start))" -v rss="$rss" 'BEGIN { printf "%.3f %s\n", ns / 1e9, rss }'
}

header="| kind | N | ours (s) | ours peak RSS (MiB) |"
rule="|---|---|---|---|"
if [ -n "$ref" ]; then
    header+=" reference (s) | reference peak RSS (MiB) |"
    rule+="---|---|"
fi
echo "$header"
echo "$rule"
for kind in $kinds; do
    ns="$sizes"
    if [ -n "$big" ] && { [ "$kind" = ENV ] || [ "$kind" = RUN ]; }; then
        ns+=" $big"
    fi
    ref_gave_up=0
    for n in $ns; do
        file="$work/$kind-$n.Dockerfile"
        gen "$kind" "$n" >"$file"
        read -r secs rss < <(measure "$ours" "$sub" "$file")
        line="| $kind | $n | $secs | $rss |"
        if [ -n "$ref" ]; then
            if [ "$ref_gave_up" = 1 ]; then
                line+=" (skipped) | - |"
            else
                read -r rsecs rrss < <(measure "$ref" "$file")
                line+=" $rsecs | $rrss |"
                # Past the time limit once: larger files would be too.
                [[ "$rsecs" == ">"* ]] && ref_gave_up=1
            fi
        fi
        echo "$line"
        rm -f "$file"
    done
done
