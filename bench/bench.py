#!/usr/bin/env python3
"""Measures our frontend against the reference (BuildKit's Go docker/dockerfile frontend) in
the same run and writes docs/performance.md with a scaling plot. Called by bench/run.sh,
which builds the binaries and the environment; see there for the options.

Every figure is a median over several runs; ours and the reference run alternately, so load
from other processes on the machine falls on both alike. Ratios are ours / reference.
"""
import argparse
import gzip
import hashlib
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import svgplot  # noqa: E402


def log(msg):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- running a command


class Sample:
    def __init__(self, wall, cpu, rss_kib, rc):
        self.wall, self.cpu, self.rss_kib, self.rc = wall, cpu, rss_kib, rc


TIME = "/usr/bin/time"


def run_once(cmd, stdout_path=os.devnull, stderr_path=os.devnull, env=None, rss=False):
    """Runs cmd; wall time, CPU time (user + system, from wait4, so a wrapper's children count)
    and, with rss, the peak RSS of cmd itself. The peak RSS comes from GNU time's %M: a child
    forked from this Python process would report Python's own RSS as its peak (Linux keeps the
    high-water mark across exec), while one forked from the small `time` process does not."""
    if rss:
        rss_path = f"/tmp/dfrs-bench-rss.{os.getpid()}"
        cmd = [TIME, "-f", "%M", "-o", rss_path] + list(cmd)
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.perf_counter()
        p = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
    peak = float("nan")
    if rss:
        try:
            with open(rss_path) as f:
                peak = float(f.read().strip().splitlines()[-1])
        except (OSError, ValueError, IndexError):
            pass
    return Sample(wall, ru.ru_utime + ru.ru_stime, peak, p.returncode)


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Series:
    """Samples of one command; medians of each measure."""

    def __init__(self):
        self.samples = []

    def add(self, s):
        self.samples.append(s)

    def wall(self):
        return median([s.wall for s in self.samples])

    def cpu(self):
        return median([s.cpu for s in self.samples])

    def rss(self):
        return median([s.rss_kib for s in self.samples])

    def __len__(self):
        return len(self.samples)


def alternate(cmds, runs, budget_s, rss=False):
    """Runs each command of `cmds` (name -> argv) once as warm-up, then alternately until each
    has `runs` samples or the slowest has used `budget_s` (at least 3 each). A failing command
    stops the series and is reported."""
    series = {name: Series() for name in cmds}
    first = {}
    for name, cmd in cmds.items():
        s = run_once(cmd, rss=rss)
        if s.rc != 0:
            raise RuntimeError(f"{name}: {' '.join(cmd)} exited with {s.rc}")
        first[name] = s.wall
    slowest = max(first.values())
    n = max(3, min(runs, int(budget_s / max(slowest, 1e-3))))
    for _ in range(n):
        for name, cmd in cmds.items():
            s = run_once(cmd, rss=rss)
            if s.rc != 0:
                raise RuntimeError(f"{name}: {' '.join(cmd)} exited with {s.rc}")
            series[name].add(s)
    return series


# ---------------------------------------------------------------- LLB definitions


def read_varint(b, i):
    shift = value = 0
    while True:
        c = b[i]
        i += 1
        value |= (c & 0x7F) << shift
        if c < 0x80:
            return value, i
        shift += 7


def fields(data):
    """(field number, wire type, value) of a protobuf message: bytes for length-delimited fields, int else."""
    i = 0
    while i < len(data):
        key, i = read_varint(data, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = read_varint(data, i)
        elif wire == 2:
            n, i = read_varint(data, i)
            value, i = data[i:i + n], i + n
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        else:
            raise ValueError(f"unexpected wire type {wire}")
        yield field, wire, value


def varint(n):
    out = bytearray()
    while True:
        b, n = n & 0x7F, n >> 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field_bytes(field, wire, value):
    key = varint(field << 3 | wire)
    if wire == 2:
        return key + varint(len(value)) + value
    if wire == 0:
        return key + varint(value)
    return key + value


def definition_ops(data):
    """The ops (field 1 of pb.Definition) of an encoded definition."""
    return [v for f, _, v in fields(data) if f == 1]


def canonical_digests(ops):
    """Op digests after dropping `local.unique` from local sources (without a session, the
    reference gives the build context a random id; ours an empty one), recomputed through the
    inputs so descendants compare too. Ops come inputs first, as in a definition."""
    mapping, out = {}, []
    for op in ops:
        new = b""
        for f, w, v in fields(op):
            if f == 1 and w == 2:  # Input{digest = 1, index = 2}
                v = b"".join(field_bytes(f2, w2, mapping.get(v2, v2) if f2 == 1 else v2) for f2, w2, v2 in fields(v))
            elif f == 3 and w == 2:  # SourceOp{identifier = 1, attrs = 2 (map entries)}
                v = b"".join(field_bytes(f2, w2, v2) for f2, w2, v2 in fields(v)
                             if not (f2 == 2 and any(k == 1 and kv == b"local.unique" for k, _, kv in fields(v2))))
            new += field_bytes(f, w, v)
        digest = "sha256:" + hashlib.sha256(new).hexdigest()
        mapping[("sha256:" + hashlib.sha256(op).hexdigest()).encode()] = digest.encode()
        out.append(digest)
    return out


def metadata(data, mapping):
    """Op metadata by canonical digest: {digest: (ignore cache, description items, caps, progress group)}."""
    out = {}
    for f, _, entry in fields(data):
        if f != 2:
            continue
        kv = {k: v for k, _, v in fields(entry)}
        ignore, desc, caps, group = 0, [], [], b""
        for f2, _, v2 in fields(kv.get(2, b"")):
            if f2 == 1:
                ignore = v2
            elif f2 == 2:
                e = {k: v for k, _, v in fields(v2)}
                desc.append((e.get(1, b""), e.get(2, b"")))
            elif f2 == 5:
                caps.append({k: v for k, _, v in fields(v2)}.get(1, b""))
            elif f2 == 6:
                group = v2
        out[mapping.get(kv.get(1, b""), kv.get(1, b""))] = (ignore, tuple(sorted(desc)), tuple(sorted(caps)), group)
    return out


def compare_definitions(ours_path, ref_path):
    """Ops in ours, in the reference, equal in both, same op order, and ops whose metadata
    (progress name, descriptions, caps) differ."""
    def load(p):
        with open(p, "rb") as f:
            data = f.read()
        ops = definition_ops(data)
        digests = canonical_digests(ops)
        mapping = {("sha256:" + hashlib.sha256(op).hexdigest()).encode(): d.encode() for op, d in zip(ops, digests)}
        return digests, metadata(data, mapping)
    (a, ma), (b, mb) = load(ours_path), load(ref_path)
    md_diff = sum(1 for d in set(ma) & set(mb) if ma[d] != mb[d])
    return {"ours": len(a), "ref": len(b), "equal": len(set(a) & set(b)), "same_order": a == b, "metadata_differs": md_diff}


# ---------------------------------------------------------------- conversion


def conversion(args, work):
    files_dir = os.path.join(work, "files")
    gen.write_all(files_dir)
    files = [os.path.join(files_dir, f) for f in gen.FILES]
    examples = sorted(
        os.path.join(args.examples, d, "Dockerfile")
        for d in os.listdir(args.examples)
        if os.path.isfile(os.path.join(args.examples, d, "Dockerfile"))
    )
    rows = []
    for path in files + examples:
        name = os.path.relpath(path, args.repo) if path in examples else os.path.basename(path)
        if args.only and not re.search(args.only, name):
            continue
        ours_cmd = [args.ours, "llb", path]
        ref_cmd = [args.ref, path]
        ours_out, ref_out = os.path.join(work, "ours.pb"), os.path.join(work, "ref.pb")
        ok_ours = run_once(ours_cmd, ours_out, os.path.join(work, "ours.err"))
        ok_ref = run_once(ref_cmd, ref_out, os.path.join(work, "ref.err"))
        if ok_ours.rc != 0 or ok_ref.rc != 0:
            err = open(os.path.join(work, "ours.err" if ok_ours.rc else "ref.err")).read().strip()
            log(f"{name}: conversion failed: {err[:300]}")
            rows.append({"name": name, "error": ("ours: " if ok_ours.rc else "reference: ") + err.splitlines()[-1][:200]})
            continue
        cmp = compare_definitions(ours_out, ref_out)
        log(f"{name}: {cmp}; timing")
        # Timed as the programs alone; the peak RSS from separate runs under GNU time, whose own
        # fork, exec and CPU time would otherwise count in both sides' times.
        series = alternate({"ours": ours_cmd, "ref": ref_cmd}, args.runs, args.budget)
        peaks = alternate({"ours": ours_cmd, "ref": ref_cmd}, 3, 0, rss=True)
        o, r = series["ours"], series["ref"]
        row = {
            "name": name,
            "bytes": os.path.getsize(path),
            "ops": cmp,
            "runs": len(o),
            "ours": (o.wall(), o.cpu(), peaks["ours"].rss()),
            "ref": (r.wall(), r.cpu(), peaks["ref"].rss()),
        }
        log(f"{name}: wall {fmt_s(o.wall())} vs {fmt_s(r.wall())}, cpu {fmt_s(o.cpu())} vs {fmt_s(r.cpu())}, "
            f"rss {peaks['ours'].rss() / 1024:.1f} vs {peaks['ref'].rss() / 1024:.1f} MiB")
        rows.append(row)
    return rows


# ---------------------------------------------------------------- real builds


class Env:
    def __init__(self, run_dir):
        self.vars = {}
        with open(os.path.join(run_dir, "env")) as f:
            for line in f:
                m = re.match(r"export (\w+)=(.*)", line.strip())
                if m:
                    # Values are written with printf %q: plain words here.
                    self.vars[m.group(1)] = m.group(2).strip("'\"")
        self.buildctl = self.vars["DFRS_BUILDCTL"]
        self.host = self.vars["BUILDKIT_HOST"]
        self.registry = self.vars["DFRS_REGISTRY"]
        self.base = self.vars["DFRS_BASE_IMAGE"]
        self.images = {"ours": self.vars["DFRS_FRONTEND_IMAGE"], "ref": self.vars["DFRS_REFERENCE_IMAGE"]}
        if "DFRS_EMPTY_FRONTEND_IMAGE" in self.vars:  # pushed by bench/run.sh
            self.images["empty"] = self.vars["DFRS_EMPTY_FRONTEND_IMAGE"]

    def build_cmd(self, frontend, ctx_dir, dockerfile_dir=None, build_args=()):
        # "builtin": BuildKit's own copy of the reference, run inside buildkitd (no frontend container).
        how = ["--frontend", "dockerfile.v0"] if frontend == "builtin" else ["--frontend", "gateway.v0", "--opt", f"source={self.images[frontend]}"]
        cmd = [self.buildctl, "--addr", self.host, "build", "--progress=plain", *how,
               "--local", f"context={ctx_dir}", "--local", f"dockerfile={dockerfile_dir or ctx_dir}",
               "--opt", f"build-arg:BASE_IMAGE={self.base}", "--opt", f"build-arg:BASE={self.base}"]
        for a in build_args:
            cmd += ["--opt", f"build-arg:{a}"]
        return cmd


def cached_rebuilds(args, env, work):
    rows = []
    for d in sorted(os.listdir(args.examples)):
        ctx = os.path.join(args.examples, d)
        if not os.path.isfile(os.path.join(ctx, "Dockerfile")):
            continue
        frontends = ("ours", "ref", "builtin") + (("empty",) if "empty" in env.images else ())
        cmds = {f: env.build_cmd(f, ctx) for f in frontends}
        failed = None
        for f, cmd in cmds.items():  # the first build fills the cache
            s = run_once(cmd, stderr_path=os.path.join(work, f"build-{d}-{f}.log"))
            if s.rc != 0:
                failed = f"{f}: the build failed (see {work}/build-{d}-{f}.log)"
        if failed:
            log(f"examples/{d}: {failed}")
            rows.append({"name": f"examples/{d}", "error": failed})
            continue
        log(f"examples/{d}: cached rebuilds")
        series = alternate(cmds, max(args.build_runs, 7), 1e9)
        rows.append({"name": f"examples/{d}", "runs": len(series["ours"]),
                     **{f: series[f].wall() for f in series},
                     "samples": {f: [round(x.wall, 3) for x in series[f].samples] for f in series}})
        log(f"examples/{d}: " + ", ".join(f"{f} {fmt_s(series[f].wall())}" for f in series)
            + f" (ours {[round(x.wall, 3) for x in series['ours'].samples]}, ref {[round(x.wall, 3) for x in series['ref'].samples]})")
    return rows


DONE_RE = re.compile(r"^#(\d+) DONE (\d+(?:\.\d+)?)s$")
NAME_RE = re.compile(r"^#(\d+) \[(p\d+) \d+/\d+\] RUN ")


def longest_run_step(log_path):
    """The longest RUN step of the parallel stages, from the plain progress log."""
    names, durations = set(), {}
    with open(log_path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            m = NAME_RE.match(line)
            if m:
                names.add(m.group(1))
            m = DONE_RE.match(line)
            if m:
                durations[m.group(1)] = float(m.group(2))
    steps = [durations[n] for n in names if n in durations]
    return max(steps) if steps else float("nan")


def parallel_stages(args, env, work):
    ctx = os.path.join(work, "parallel")
    os.makedirs(ctx, exist_ok=True)
    with open(os.path.join(ctx, "Dockerfile"), "w") as f:
        f.write(gen.parallel(args.parallel_stages, args.parallel_sleep))
    rows = {}
    for i in range(args.parallel_runs):
        for f in ("ours", "ref"):
            nonce = f"{f}-{i}-{time.time_ns()}"
            log_path = os.path.join(work, f"parallel-{f}-{i}.log")
            s = run_once(env.build_cmd(f, ctx, build_args=[f"NONCE={nonce}"]), stderr_path=log_path)
            if s.rc != 0:
                rows[f] = {"error": f"the build failed (see {log_path})"}
                continue
            r = rows.setdefault(f, {"wall": [], "step": []})
            if "error" not in r:
                r["wall"].append(s.wall)
                r["step"].append(longest_run_step(log_path))
    out = {}
    for f, r in rows.items():
        if "error" in r:
            out[f] = r
        else:
            out[f] = {"wall": median(r["wall"]), "step": median(r["step"]), "runs": len(r["wall"])}
    log(f"parallel: {out}")
    return out


MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


def registry_get(env, path, accept=None):
    req = urllib.request.Request(f"http://{env.registry}/v2/{path}")
    if accept:
        req.add_header("Accept", accept)
    with urllib.request.urlopen(req, timeout=60) as r:
        return r.read()


def image_size(env, image):
    """(compressed: config + layer blobs as stored in the registry, uncompressed: the layers' tar streams)."""
    repo_tag = image.split("/", 1)[1]
    repo, tag = repo_tag.rsplit(":", 1)
    manifest = json.loads(registry_get(env, f"{repo}/manifests/{tag}", MANIFEST_TYPES))
    if "manifests" in manifest:
        m = next(m for m in manifest["manifests"] if m.get("platform", {}).get("architecture") == "amd64")
        manifest = json.loads(registry_get(env, f"{repo}/manifests/{m['digest']}", MANIFEST_TYPES))
    compressed = manifest["config"]["size"] + sum(layer["size"] for layer in manifest["layers"])
    uncompressed = 0
    for layer in manifest["layers"]:
        blob = registry_get(env, f"{repo}/blobs/{layer['digest']}")
        uncompressed += len(gzip.decompress(blob)) if "gzip" in layer["mediaType"] or blob[:2] == b"\x1f\x8b" else len(blob)
    return compressed, uncompressed


def real_builds(args, work):
    env = Env(args.env)
    out = {"cached": cached_rebuilds(args, env, work), "parallel": parallel_stages(args, env, work)}
    out["image"] = {f: image_size(env, env.images[f]) for f in ("ours", "ref")}
    out["binary"] = {"ours": os.path.getsize(args.ours), "ref": os.path.getsize(args.ref_frontend)} if args.ref_frontend else None
    log(f"image sizes: {out['image']}")
    return out


# ---------------------------------------------------------------- report


def fmt_s(s):
    if s != s:
        return "–"
    if s < 1:
        return f"{s * 1000:.1f} ms" if s < 0.1 else f"{s * 1000:.0f} ms"
    return f"{s:.2f} s"


def fmt_mib(kib):
    return f"{kib / 1024:.1f} MiB"


def fmt_bytes(n):
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024 / 1024:.2f} MiB" if n >= 1024 * 1024 else f"{n / 1024:.0f} KiB"


def ratio(a, b):
    return a / b if b else float("nan")


def check(ok):
    return "yes" if ok else "**no**"


def machine():
    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem = ""
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    def version(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, timeout=30).stdout.strip().splitlines()[0]
        except (OSError, IndexError, subprocess.SubprocessError):
            return "unknown"
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory": mem,
        "kernel": platform.release(),
        "rustc": version(["rustc", "--version"]),
        "go": version(["go", "version"]),
        "load": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d"),
    }


def report(args, m, conv, builds, notes):
    L = []
    w = L.append
    w("# Performance\n")
    w("Generated by `bench/run.sh` on " + m.get("date", time.strftime("%Y-%m-%d")) + "; do not edit by hand (the analysis "
      "at the end comes from `bench/notes.md`). Ours: `dockerfile-frontend` (this repository, release build). "
      "Reference: BuildKit v0.34.2's Go Dockerfile frontend (`dockerfile2llb`, and the `dockerfile-frontend` "
      "gateway image built from the same release). Ratios are **ours / reference**: below 1 is better.\n")

    by_name = {r["name"]: r for r in conv if "error" not in r}
    big = [by_name.get("stages-1000.Dockerfile"), by_name.get("instr-10000.Dockerfile")]
    w("## Targets\n")
    w("| target | measured | met |")
    w("|---|---|---|")
    for r in big:
        if not r:
            continue
        sp = ratio(r["ref"][0], r["ours"][0])
        spc = ratio(r["ref"][1], r["ours"][1])
        mem = ratio(r["ours"][2], r["ref"][2])
        w(f"| conversion of `{r['name']}` ≥ 10× faster | {sp:.1f}× (wall), {spc:.1f}× (CPU) | {check(sp >= 10)} |")
        w(f"| peak memory on `{r['name']}` ≤ 1/4 | {mem:.3f} ({fmt_mib(r['ours'][2])} vs {fmt_mib(r['ref'][2])}) | {check(mem <= 0.25)} |")
    if builds:
        for r in builds["cached"]:
            if "error" in r:
                w(f"| cached rebuild of `{r['name']}` ≤ 0.7× | failed: {r['error']} | **no** |")
            else:
                q = ratio(r["ours"], r["ref"])
                floor = (f"; an empty frontend image takes {fmt_s(r['empty'])}, {ratio(r['empty'], r['ref']):.2f}× the reference: "
                         "no frontend image can go below that") if "empty" in r else ""
                w(f"| cached rebuild of `{r['name']}` ≤ 0.7× | {q:.2f}× ({fmt_s(r['ours'])} vs {fmt_s(r['ref'])}){floor} | {check(q <= 0.7)} |")
        io, ir = builds["image"]["ours"], builds["image"]["ref"]
        w(f"| frontend image ≤ 1/3 of the reference's (compressed) | {ratio(io[0], ir[0]):.3f} ({fmt_bytes(io[0])} vs {fmt_bytes(ir[0])}) | {check(ratio(io[0], ir[0]) <= 1 / 3)} |")
        w(f"| frontend image ≤ 1/3 (uncompressed) | {ratio(io[1], ir[1]):.3f} ({fmt_bytes(io[1])} vs {fmt_bytes(ir[1])}) | {check(ratio(io[1], ir[1]) <= 1 / 3)} |")
        p = builds["parallel"].get("ours", {})
        if "error" in p or not p:
            w(f"| {args.parallel_stages} parallel stages within 1.2× of the longest | failed: {p.get('error', 'not run')} | **no** |")
        else:
            q = ratio(p["wall"], p["step"])
            w(f"| {args.parallel_stages} parallel stages within 1.2× of the longest stage | {q:.2f}× ({fmt_s(p['wall'])} for a {fmt_s(p['step'])} stage) | {check(q <= 1.2)} |")
    else:
        w("| real builds | not run (`bench/run.sh --no-builds`) | – |")
    w("")

    w("## Machine\n")
    w(f"- CPU: {m['cpu']}, `nproc` = {m['nproc']}; memory {m['memory']}; Linux {m['kernel']}")
    w(f"- {m['rustc']}; {m['go']}")
    w(f"- load average when the run started: {m['load'][0]:.1f} (1 min), {m['load'][1]:.1f} (5 min). "
      "The machine is shared: with a load above `nproc`, wall times include waiting for a CPU, "
      "so CPU time (user + system, from `wait4`) is given beside wall time; ratios of the two agree "
      "when the load is even.\n")

    w("## Conversion: Dockerfile → LLB definition\n")
    w("Each side reads the file, parses it, lowers it to LLB and writes the marshalled `pb.Definition` to "
      "stdout (discarded), offline, base images resolved to the same fixed config (one layer, empty config), "
      "ops carrying their Dockerfile lines (source map). Ours: `dockerfile-frontend llb FILE`. Reference: "
      "`bench/ref-dockerfile2llb` (a few lines of Go calling `dockerfile2llb.Dockerfile2LLB` with a stub "
      "image resolver, since BuildKit's `examples/dockerfile2llb` resolves images over the network). "
      "Whole process: start-up, reading and writing included. Wall time, and CPU time (user + system) "
      f"from `wait4`; median of up to {args.runs} alternating runs after a warm-up (fewer for the slowest files, "
      f"at least 3, within about {args.budget:.0f} s per file), each program started directly. Peak RSS is GNU time's "
      "`%M`, the median of 3 further runs under `/usr/bin/time` (kept apart so that its own start-up does not count "
      "in the times).\n")
    w("*ops*: the ops in each definition and how many are equal in both (same digest once the "
      "build context's `local.unique` is set aside: without a client session the reference gives the "
      "context a random id, ours an empty one), and whether they come in the same order: a check that "
      "both sides did the same work. *metadata differs*: ops whose metadata (progress name, "
      "descriptions, caps) is not the same.\n")
    w("| file | size | ops (ours / ref / equal) | metadata differs | runs | wall ours | wall ref | wall ratio | CPU ours | CPU ref | CPU ratio | peak RSS ours | peak RSS ref | RSS ratio |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for r in conv:
        if "error" in r:
            w(f"| `{r['name']}` | | failed: {r['error']} | | | | | | | | | | | |")
            continue
        o, f = r["ours"], r["ref"]
        ops = r["ops"]
        same = "" if ops["same_order"] else ", order differs"
        w(f"| `{r['name']}` | {fmt_bytes(r['bytes'])} | {ops['ours']} / {ops['ref']} / {ops['equal']}{same} | {ops['metadata_differs']} | {r['runs']} | "
          f"{fmt_s(o[0])} | {fmt_s(f[0])} | {ratio(o[0], f[0]):.3f} | {fmt_s(o[1])} | {fmt_s(f[1])} | {ratio(o[1], f[1]):.3f} | "
          f"{fmt_mib(o[2])} | {fmt_mib(f[2])} | {ratio(o[2], f[2]):.3f} |")
    w("")
    w("Generated files (`bench/gen.py`): `stages-N` has N stages, each `FROM`, `ARG`, `ENV`, `RUN` and "
      "`COPY --from` the stage before (so the last needs all of them); `instr-10000` is one stage of "
      "10,000 instructions cycling through `ENV`, `ARG`, `RUN`, `COPY`, `WORKDIR` and `LABEL`.\n")

    scaling = [by_name.get(f"stages-{n}.Dockerfile") for n in gen.STAGE_COUNTS]
    if all(scaling):
        w("### Scaling with the number of stages\n")
        w("![conversion time and peak memory against stages](performance-scaling.svg)\n")

    if builds:
        w("## In a real build\n")
        w("Through `buildkitd` (v0.34.2, OCI worker) on this machine, each frontend run as a gateway image "
          "(`--frontend gateway.v0 --opt source=IMAGE`): ours (`tests/env/build-frontend-image.sh`) and the "
          "reference's `dockerfile-frontend` binary in the same `FROM scratch` image "
          "(`tests/env/build-reference.sh RUN_DIR`). `buildctl build` wall time, no export.\n")
        w("### Fully cached rebuild\n")
        w(f"A first build fills the cache; then at least {max(args.build_runs, 7)} rebuilds alternate between "
          "the frontends. Everything is cached, so the time is BuildKit starting the frontend container, the "
          "frontend reading the Dockerfile, resolving the base image, converting, and the solve finding every "
          "step in the cache.\n")
        w("*empty* is the same build through a gateway image whose frontend returns an empty result at once "
          "(`bench/ref-dockerfile2llb/empty-frontend`, BuildKit's own gateway client, in the same `FROM scratch` "
          "layout): BuildKit resolving the frontend image, starting and stopping its container and the gateway "
          "connection, the floor that no frontend image can go below. *ours − empty* and *reference − empty* "
          "are what each frontend adds on top: reading the Dockerfile, resolving the base image, converting, "
          "and the solve finding every step in the cache. *built-in* is BuildKit's built-in copy of the "
          "reference (`--frontend dockerfile.v0`), run inside `buildkitd` with no container at all.\n")
        w("| example | runs | ours | reference | ratio | empty | best ratio possible (empty / reference) | ours − empty | reference − empty | ratio above the floor | built-in |")
        w("|---|---|---|---|---|---|---|---|---|---|---|")
        nan = float("nan")
        for r in builds["cached"]:
            if "error" in r:
                w(f"| `{r['name']}` | | failed: {r['error']} | | | | | | | | |")
            else:
                e = r.get("empty", nan)
                w(f"| `{r['name']}` | {r['runs']} | {fmt_s(r['ours'])} | {fmt_s(r['ref'])} | {ratio(r['ours'], r['ref']):.2f} | "
                  f"{fmt_s(e)} | {ratio(e, r['ref']):.2f} | {fmt_s(r['ours'] - e)} | {fmt_s(r['ref'] - e)} | "
                  f"{ratio(r['ours'] - e, r['ref'] - e):.2f} | {fmt_s(r.get('builtin', nan))} |")
        w("")
        w("### Parallel stages\n")
        w(f"{args.parallel_stages} independent stages each run `sleep {args.parallel_sleep}`, joined by a last stage "
          "that copies from all of them; a fresh build arg each run defeats the cache. *Longest stage* is the "
          "longest `RUN` step in the progress log; the build's wall time should be close to it if the stages "
          f"run side by side (and {args.parallel_stages}× it if they ran one after another). Median of "
          f"{args.parallel_runs} runs.\n")
        w("| frontend | wall | longest stage | wall / longest |")
        w("|---|---|---|---|")
        for f, label in (("ours", "ours"), ("ref", "reference")):
            p = builds["parallel"].get(f)
            if not p or "error" in p:
                w(f"| {label} | failed: {p.get('error') if p else 'not run'} | | |")
            else:
                w(f"| {label} | {fmt_s(p['wall'])} | {fmt_s(p['step'])} | {ratio(p['wall'], p['step']):.2f} |")
        w("")
        w("### Frontend image size\n")
        w("Compressed: the config and layer blobs as the registry stores them (what a pull downloads). "
          "Uncompressed: the layers' tar streams.\n")
        io, ir = builds["image"]["ours"], builds["image"]["ref"]
        w("| | ours | reference | ratio |")
        w("|---|---|---|---|")
        w(f"| compressed | {fmt_bytes(io[0])} | {fmt_bytes(ir[0])} | {ratio(io[0], ir[0]):.3f} |")
        w(f"| uncompressed | {fmt_bytes(io[1])} | {fmt_bytes(ir[1])} | {ratio(io[1], ir[1]):.3f} |")
        if builds.get("binary"):
            b = builds["binary"]
            w(f"| binary | {fmt_bytes(b['ours'])} | {fmt_bytes(b['ref'])} | {ratio(b['ours'], b['ref']):.3f} |")
        w("")

    w("## Reproducing\n")
    w("```sh\nbench/run.sh                 # everything; starts (and stops) its own BuildKit environment\n"
      "bench/run.sh --no-builds     # conversion only, no daemon\n"
      "bench/run.sh --env RUN_DIR   # reuse a running tests/env/up.sh environment\n"
      "cargo bench -p dockerfile-frontend --bench convert   # in-process criterion benches of the converter\n```\n")
    if notes:
        w(notes.rstrip() + "\n")
    return "\n".join(L)


def plot(conv, path):
    by_name = {r["name"]: r for r in conv if "error" not in r}
    rows = [by_name.get(f"stages-{n}.Dockerfile") for n in gen.STAGE_COUNTS]
    if not all(rows):
        return
    xs = list(gen.STAGE_COUNTS)
    def series(i, scale):
        return {"ours": [r["ours"][i] * scale for r in rows], "reference": [r["ref"][i] * scale for r in rows]}
    svg = svgplot.panels_svg(
        "Conversion against the number of stages (medians; log–log)",
        xs,
        [("wall time (ms)", series(0, 1000)), ("CPU time (ms)", series(1, 1000)), ("peak RSS (MiB)", series(2, 1 / 1024))],
        "stages",
    )
    with open(path, "w") as f:
        f.write(svg)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ours", help="our dockerfile-frontend binary")
    ap.add_argument("--ref", help="bench/ref-dockerfile2llb binary")
    ap.add_argument("--report-only", metavar="JSON", help="write the docs from the raw results of an earlier run (--json)")
    ap.add_argument("--ref-frontend", help="the reference's dockerfile-frontend binary (for its size)")
    ap.add_argument("--repo", required=True)
    ap.add_argument("--work", help="scratch directory")
    ap.add_argument("--env", help="a tests/env/up.sh run dir with both frontend images; no real builds without")
    ap.add_argument("--runs", type=int, default=9, help="conversion runs per file and side (max)")
    ap.add_argument("--budget", type=float, default=120, help="seconds per file and side, roughly")
    ap.add_argument("--build-runs", type=int, default=7)
    ap.add_argument("--parallel-stages", type=int, default=8)
    ap.add_argument("--parallel-sleep", type=int, default=5)
    ap.add_argument("--parallel-runs", type=int, default=3)
    ap.add_argument("--json", help="also write the raw results here")
    ap.add_argument("--only", help="conversion: only files whose name matches this regex (for trying things out)")
    args = ap.parse_args()
    args.examples = os.path.join(args.repo, "examples")
    if args.report_only:
        with open(args.report_only) as f:
            saved = json.load(f)
        m, conv, builds = saved["machine"], saved["conversion"], saved["builds"]
        for k, v in saved.get("args", {}).items():
            setattr(args, k, v)
    else:
        if not (args.ours and args.ref and args.work):
            ap.error("--ours, --ref and --work are needed to measure")
        os.makedirs(args.work, exist_ok=True)
        m = machine()
        log(f"machine: {m}")
        conv = conversion(args, args.work)
        builds = real_builds(args, args.work) if args.env else None
    notes_path = os.path.join(args.repo, "bench", "notes.md")
    notes = open(notes_path).read() if os.path.exists(notes_path) else ""
    docs = os.path.join(args.repo, "docs")
    with open(os.path.join(docs, "performance.md"), "w") as f:
        f.write(report(args, m, conv, builds, notes))
    plot(conv, os.path.join(docs, "performance-scaling.svg"))
    if args.json:
        with open(args.json, "w") as f:
            kept = {k: getattr(args, k) for k in ("runs", "budget", "build_runs", "parallel_stages", "parallel_sleep", "parallel_runs")}
            json.dump({"machine": m, "conversion": conv, "builds": builds, "args": kept}, f, indent=1, default=str)
    log("wrote docs/performance.md and docs/performance-scaling.svg")


if __name__ == "__main__":
    main()
