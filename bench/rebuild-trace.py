#!/usr/bin/env python3
"""Where a fully cached rebuild's time goes, ours beside the reference (docs/performance.md).

Builds examples/multistage once per frontend image to fill the cache, then RUNS cached rebuilds
alternating between the frontends, and reads each rebuild's OpenTelemetry trace from the
daemon's build record (`buildctl debug histories`, `buildctl debug get`). The daemon's spans
split the build into what BuildKit does for any frontend image and what happens while the
frontend runs:

  frontend image   resolving the frontend image in the registry (`resolving IMAGE`)
  start            from there to the frontend's first request (the container starts, the
                   process starts and connects)
  read Dockerfile  the frontend's reads of the Dockerfile and .dockerignore (the `[internal]
                   load ...` vertices: the client sends the files over the session)
  resolve base     resolving the base image's config in the registry (`resolving BASE`)
  frontend own     the rest of the frontend's run until its Return: its own work (parse,
                   convert) and the round trips that have no span of their own (the solve of the
                   definition, every step cached)
  return, finish   from the frontend's Return to the end of the build (container teardown, the
                   build record)

Usage: bench/rebuild-trace.py RUN_DIR [RUNS]   (RUN_DIR: a running tests/env/up.sh environment
with DFRS_REFERENCE_IMAGE, see tests/env/build-reference.sh)
"""

import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLE = os.path.join(REPO, "examples", "multistage")


def load_env(run_dir):
    env = {}
    with open(os.path.join(run_dir, "env")) as f:
        for line in f:
            if line.startswith("export "):
                k, _, v = line[len("export "):].strip().partition("=")
                env[k] = v.strip("'\"")
    return env


def buildctl(env, *args, capture=True):
    return subprocess.run(
        [env["DFRS_BUILDCTL"], "--addr", env["BUILDKIT_HOST"], *args],
        check=True, capture_output=capture, text=True,
    ).stdout


def build(env, image, ref_file):
    """Builds examples/multistage; returns the build's ref."""
    buildctl(
        env, "build", "--progress=plain", "--ref-file", ref_file,
        "--frontend", "gateway.v0", "--opt", f"source={image}",
        "--local", f"context={EXAMPLE}", "--local", f"dockerfile={EXAMPLE}",
        "--opt", f"build-arg:BASE_IMAGE={env['DFRS_BASE_IMAGE']}",
    )
    with open(ref_file) as f:
        return f.read().strip()


def record_of(env, ref):
    """The build record of `ref`, once it has its trace."""
    for _ in range(50):
        for line in buildctl(env, "debug", "histories", "--format", "{{json .}}").splitlines():
            rec = json.loads(line).get("record") or {}
            if rec.get("Ref") == ref and "trace" in rec:
                return rec
        time.sleep(0.1)
    sys.exit(f"no build record with a trace for {ref}")


def spans_of(env, record):
    data = buildctl(env, "debug", "get", record["trace"]["digest"])
    dec, i, spans = json.JSONDecoder(), 0, []
    while i < len(data):
        while i < len(data) and data[i].isspace():
            i += 1
        if i >= len(data):
            break
        obj, i = dec.raw_decode(data, i)
        spans.append(obj)
    return spans


def ts(s):
    s = s.rstrip("Z")
    base, _, frac = s.partition(".")
    return datetime.fromisoformat(base).timestamp() + float("0." + (frac or "0"))


def union_ms(intervals, lo, hi):
    """Milliseconds of [lo, hi] covered by the intervals."""
    total, end = 0.0, lo
    for a, b in sorted((max(a, lo), min(b, hi)) for a, b in intervals):
        if b <= end or b <= a:
            continue
        total += b - max(a, end)
        end = b
    return total * 1000


def breakdown(spans, image, base):
    """Milliseconds per part of one cached rebuild (see the module's doc)."""
    iv = [(s["Name"], ts(s["StartTime"]), ts(s["EndTime"])) for s in spans]
    build = next(x for x in iv if x[0] == "build")
    names = sorted({x[0] for x in iv})
    resolving_image = [x for x in iv if x[0] == f"resolving {image}"]
    if not resolving_image:
        sys.exit(f"no span 'resolving {image}' among {names}")
    img = min(resolving_image, key=lambda x: x[1])
    reads = [
        x for x in iv
        if any(x[0].endswith(f"[internal] load {what}") for what in ("build definition from Dockerfile", ".dockerignore"))
    ]
    first_request = min(x[1] for x in reads)
    resolves = [x for x in iv if x[0] == f"resolving {base}"]
    returns = [x for x in iv if x[0] == "moby.buildkit.v1.frontend.LLBBridge/Return"]
    ret = min(x[1] for x in returns)
    read_spans = [(a, b) for n, a, b in reads if not n.startswith("cache request")]
    if os.environ.get("TIMELINE"):
        t0 = build[1]
        for n, a, b in sorted(iv, key=lambda x: x[1]):
            print(f"{(a - t0) * 1000:8.1f} {(b - a) * 1000:7.1f}  {n[:100]}", file=sys.stderr)
        print(file=sys.stderr)
    read_ms = union_ms(read_spans, first_request, ret)
    both_ms = union_ms(read_spans + [(a, b) for _, a, b in resolves], first_request, ret)
    resolve_ms = both_ms - read_ms
    own_ms = (ret - first_request) * 1000 - both_ms
    return {
        "total": (build[2] - build[1]) * 1000,
        "frontend image": (img[2] - img[1]) * 1000,
        "start": (first_request - img[2]) * 1000,
        "read Dockerfile": read_ms,
        "resolve base": resolve_ms,
        "frontend own": own_ms,
        "return, finish": (build[2] - ret) * 1000,
        "frontend run": (ret - first_request) * 1000,
    }


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    env = load_env(sys.argv[1])
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 9
    sides = {"ours": env["DFRS_FRONTEND_IMAGE"], "reference": env["DFRS_REFERENCE_IMAGE"]}
    base = env["DFRS_BASE_IMAGE"]
    ref_file = f"/tmp/dfrs-rebuild-trace-{os.getpid()}.ref"
    for image in sides.values():
        build(env, image, ref_file)
    parts = {side: [] for side in sides}
    for _ in range(runs):
        for side, image in sides.items():
            ref = build(env, image, ref_file)
            parts[side].append(breakdown(spans_of(env, record_of(env, ref)), image, base))
    os.unlink(ref_file)
    keys = list(parts["ours"][0].keys())
    print("| part | ours (ms) | reference (ms) | ours − reference (ms) |")
    print("|---|---|---|---|")
    for k in keys:
        o = statistics.median(p[k] for p in parts["ours"])
        r = statistics.median(p[k] for p in parts["reference"])
        print(f"| {k} | {o:.1f} | {r:.1f} | {o - r:+.1f} |")
    load = open("/proc/loadavg").read().split()[0]
    print(f"\n{runs} cached rebuilds per frontend, alternating; medians; load average {load}.")


if __name__ == "__main__":
    main()
