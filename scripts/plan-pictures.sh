#!/usr/bin/env bash
# Regenerates docs/plans/<example>.mmd, .svg and .png from examples/*/Dockerfile with
# `dockerfile-frontend plan --format mermaid` and Mermaid's CLI.
#
#   MMDC=/tmp/mmdc/node_modules/.bin/mmdc scripts/plan-pictures.sh
#
# MMDC: the mmdc binary (npm install @mermaid-js/mermaid-cli, PUPPETEER_SKIP_DOWNLOAD=1);
# CHROMIUM: the browser it drives (default /usr/bin/chromium); FRONTEND: the frontend binary
# (default ${CARGO_TARGET_DIR:-target}/release/dockerfile-frontend).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mmdc="${MMDC:-mmdc}"
frontend="${FRONTEND:-${CARGO_TARGET_DIR:-$root/target}/release/dockerfile-frontend}"
config="$(mktemp)"
trap 'rm -f "$config"' EXIT
printf '{"executablePath": "%s", "args": ["--no-sandbox"]}\n' "${CHROMIUM:-/usr/bin/chromium}" > "$config"
mkdir -p "$root/docs/plans"
for dockerfile in "$root"/examples/*/Dockerfile; do
    name="$(basename "$(dirname "$dockerfile")")"
    out="$root/docs/plans/$name"
    "$frontend" plan --format mermaid "$dockerfile" > "$out.mmd"
    "$mmdc" -p "$config" -i "$out.mmd" -o "$out.svg" -b white
    "$mmdc" -p "$config" -i "$out.mmd" -o "$out.png" -b white -s 2
done
