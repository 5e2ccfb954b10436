#!/usr/bin/env python3
"""Differential test: converts generated Dockerfiles with ours and with the reference's
dockerfile2llb (same stub images) and compares everything a build would send on.

    compare.py --ours BIN --ref BIN [--count N] [--seed S] [--keep DIR] [--jobs J]
               [--known FILE] [--no-shrink] [--report FILE.json]

Per case: both definitions (ops byte for byte, op metadata, source map; map entry order
aside, which Go randomises), both image configs (bytes), or when a side fails the error
message and its source line ranges. Mismatches are grouped by kind; one example per kind is
shrunk (instructions dropped while the same kind persists). Exit status 1 when a mismatch is
not covered by the known-differences file.
"""
import argparse
import concurrent.futures as cf
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen  # noqa: E402
import pbdiff  # noqa: E402


def ours_cmd(bin_, args):
    c = [bin_, "llb"]
    if args.get("target"):
        c += ["--target", args["target"]]
    if args.get("platform"):
        c += ["--platform", args["platform"]]
    for k, v in sorted(args.get("build_args", {}).items()):
        c += ["--build-arg", "%s=%s" % (k, v)]
    if args.get("image_digest"):
        c.append("--image-digest")
    if args.get("multi_platform"):
        c += ["--opt", "multi-platform=true"]
    return c + ["--error-json"]


def ref_cmd(bin_, args):
    c = [bin_]
    if args.get("target"):
        c += ["-target", args["target"]]
    if args.get("platform"):
        c += ["-platform", args["platform"]]
    for k, v in sorted(args.get("build_args", {}).items()):
        c += ["-build-arg", "%s=%s" % (k, v)]
    if args.get("image_digest"):
        c.append("-image-digest")
    if args.get("multi_platform"):
        c.append("-multi-platform")
    return c + ["-error-json"]


def parse_error(stderr, rc):
    lines = [l for l in stderr.decode("utf-8", "replace").splitlines() if l.strip()]
    for l in reversed(lines):
        try:
            e = json.loads(l)
            if isinstance(e, dict) and "message" in e:
                return e
        except ValueError:
            pass
    return {"message": "(exit %d, no JSON error) %s" % (rc, " / ".join(lines[-3:])), "sources": []}


def run_side(cmd, cwd, config_cmd=None, timeout=60):
    """(definition bytes, config bytes, error dict or None)"""
    try:
        p = subprocess.run(cmd + ["Dockerfile"], cwd=cwd, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, None, {"message": "(timeout)", "sources": []}
    if p.returncode != 0:
        return None, None, parse_error(p.stderr, p.returncode)
    return p.stdout, None, None


def convert(case, dockerfile, ours, ref, work):
    d = tempfile.mkdtemp(dir=work)
    try:
        with open(os.path.join(d, "Dockerfile"), "w") as f:
            f.write(dockerfile)
        args = case["args"]
        o_def, _, o_err = run_side(ours_cmd(ours, args), d)
        o_cfg = None
        if o_err is None:
            p = subprocess.run(ours_cmd(ours, args) + ["--config", "Dockerfile"], cwd=d, capture_output=True, timeout=60)
            o_cfg = p.stdout
        r_def, _, r_err = run_side(ref_cmd(ref, args) + ["-config", "config.json"], d)
        r_cfg = None
        if r_err is None:
            with open(os.path.join(d, "config.json"), "rb") as f:
                r_cfg = f.read()
        return (o_def, o_cfg, o_err), (r_def, r_cfg, r_err)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def signature(msg):
    """An error message with its variable parts (quoted text, numbers) blanked, for grouping."""
    m = re.sub(r'"[^"]*"|\'[^\']*\'', "Q", msg)
    m = re.sub(r"\d+", "N", m)
    return m[:90]


def classify(ours_res, ref_res):
    """The mismatches of one case, a list of (kind, detail); empty when identical. The kind
    groups mismatches across cases; one case can show several."""
    o_def, o_cfg, o_err = ours_res
    r_def, r_cfg, r_err = ref_res
    if o_err and r_err:
        out = []
        for kind, detail in pbdiff.compare_errors(o_err, r_err):
            if kind in ("error.message", "error.location"):
                kind = "%s [ref: %s]" % (kind, signature(r_err["message"]))
            out.append((kind, detail))
        return out
    if o_err:
        return [("only-ours-fails [%s]" % signature(o_err["message"]), "ours: %s %s" % (
            o_err["message"], pbdiff.lines_of(o_err)))]
    if r_err:
        return [("only-ref-fails [%s]" % signature(r_err["message"]), "reference: %s %s" % (
            r_err["message"], pbdiff.lines_of(r_err)))]
    return pbdiff.compare_definitions(o_def, r_def) + pbdiff.compare_configs(o_cfg, r_cfg)


def load_known(path):
    """Lines `KIND-REGEX | DETAIL-REGEX | ISSUE | REASON`; # comments."""
    known = []
    if not path or not os.path.exists(path):
        return known
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        parts = [p.strip() for p in line.split(" | ", 3)]
        if len(parts) != 4:
            sys.exit("%s: bad line (want KIND-REGEX | DETAIL-REGEX | ISSUE | REASON): %s" % (path, line))
        known.append((re.compile(parts[0]), re.compile(parts[1] or ".*"), parts[2], parts[3]))
    return known


def known_issue(known, kind, detail):
    for k, d, issue, _ in known:
        if k.search(kind) and d.search(detail):
            return issue
    return None


def shrink(case, kind, ours, ref, work, budget=200):
    """Drops blocks (and options) while the mismatch keeps its kind."""
    blocks = list(case["blocks"])
    args = json.loads(json.dumps(case["args"]))
    tries = 0

    def same(bl, ar):
        nonlocal tries
        tries += 1
        c = dict(case, blocks=bl, args=ar)
        res = classify(*convert(c, gen.render(bl), ours, ref, work))
        return any(k == kind for k, _ in res)

    changed = True
    while changed and tries < budget:
        changed = False
        for opt in ("target", "platform", "build_args", "image_digest", "multi_platform"):
            if opt in args and tries < budget:
                a2 = dict(args)
                del a2[opt]
                if same(blocks, a2):
                    args, changed = a2, True
        i = len(blocks) - 1
        while i >= 0 and tries < budget:
            b2 = blocks[:i] + blocks[i + 1:]
            if b2 and same(b2, args):
                blocks, changed = b2, True
            i -= 1
        # then within blocks: continuations joined, flags dropped one by one
        for i in range(len(blocks)):
            for simpler in simplifications(blocks[i]):
                if tries >= budget:
                    break
                b2 = blocks[:i] + [simpler] + blocks[i + 1:]
                if same(b2, args):
                    blocks[i], changed = simpler, True
                    break
    c = dict(case, blocks=blocks, args=args)
    res = classify(*convert(c, gen.render(blocks), ours, ref, work))
    return c, next((d for k, d in res if k == kind), "(the mismatch went away while shrinking)"), res


def simplifications(block):
    """Smaller variants of one block: one line instead of continuations, one flag less."""
    if "<<" not in block:
        joined = re.sub(r"[ \t]*[\\`]\n(?:[ \t]*(?:#[^\n]*)?\n)*[ \t]*", " ", block)
        if joined != block:
            yield joined
    for m in re.finditer(r" --[a-z-]+(?:=(?:\"[^\"]*\"|\S+))?", block):
        yield block[:m.start()] + block[m.end():]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True)
    ap.add_argument("--ref", required=True)
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--keep")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--known", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "known-differences.txt"))
    ap.add_argument("--no-shrink", action="store_true")
    ap.add_argument("--report", help="write every mismatch (seed, kind, detail) as JSON here")
    a = ap.parse_args()
    known = load_known(a.known)
    work = tempfile.mkdtemp(prefix="dfrs-diff-")
    t0 = time.time()
    seeds = range(a.seed, a.seed + a.count)

    def one(seed):
        c = gen.case(seed)
        text = gen.render(c["blocks"])
        return seed, c, classify(*convert(c, text, a.ours, a.ref, work))

    groups = {}
    cases_by_seed = {}
    identical = 0
    both_failed = 0
    with cf.ThreadPoolExecutor(a.jobs) as ex:
        for seed, c, res in ex.map(one, seeds):
            if a.keep:
                d = os.path.join(a.keep, "cases")
                os.makedirs(d, exist_ok=True)
                with open(os.path.join(d, "%d.Dockerfile" % seed), "w") as f:
                    f.write(gen.render(c["blocks"]))
                with open(os.path.join(d, "%d.options.json" % seed), "w") as f:
                    json.dump(c["args"], f)
            if not res:
                identical += 1
                continue
            for kind, detail in res:
                groups.setdefault(kind, []).append((seed, c, detail))
            cases_by_seed[seed] = [k for k, _ in res]
    elapsed = time.time() - t0

    print("compared %d cases (seeds %d..%d) in %.1fs: %d identical, %d mismatched, %d kinds of mismatch" % (
        a.count, a.seed, a.seed + a.count - 1, elapsed, identical, a.count - identical, len(groups)))
    unknown_kinds = set()
    report = []
    for kind, items in sorted(groups.items(), key=lambda kv: -len(kv[1])):
        seed, c, detail = min(items, key=lambda it: len(gen.render(it[1]["blocks"])))
        issue = known_issue(known, kind, detail)
        if issue is None:
            unknown_kinds.add(kind)
        others = []
        if not a.no_shrink:
            c, detail, res = shrink(c, kind, a.ours, a.ref, work)
            others = [k for k, _ in res if k != kind]
        print()
        print("== %s: %d case(s)%s, e.g. seed %d" % (kind, len(items), " [known: %s]" % issue if issue else " [NOT KNOWN]", seed))
        print("   " + detail)
        print("   options: " + json.dumps(c["args"], ensure_ascii=False))
        if others:
            print("   (the shrunk example also shows: %s)" % "; ".join(others))
        for line in gen.render(c["blocks"]).splitlines():
            print("   | " + line)
        report.append({"kind": kind, "known": issue, "count": len(items), "seeds": [s for s, _, _ in items],
                       "example": {"seed": seed, "dockerfile": gen.render(c["blocks"]), "options": c["args"], "detail": detail}})
        if a.keep:
            d = os.path.join(a.keep, "examples")
            os.makedirs(d, exist_ok=True)
            slug = re.sub(r"[^A-Za-z0-9.-]+", "_", kind)[:80]
            with open(os.path.join(d, slug + ".Dockerfile"), "w") as f:
                f.write(gen.render(c["blocks"]))
            with open(os.path.join(d, slug + ".options.json"), "w") as f:
                json.dump(c["args"], f)
    if a.report:
        with open(a.report, "w") as f:
            json.dump(report, f, indent=1, ensure_ascii=False)
    shutil.rmtree(work, ignore_errors=True)
    print()
    seen = {issue for _, _, issue, _ in known if any(known_issue(known, k, d) == issue
                                                     for k, items in groups.items() for _, _, d in items[:50])}
    for k, d, issue, _ in known:
        if issue not in seen:
            print("note: known difference %r (%s) not seen in this run: stale once its fix landed" % (k.pattern, issue))
    unknown = sum(1 for ks in cases_by_seed.values() if any(k in unknown_kinds for k in ks))
    print("%d identical, %d with known mismatches only, %d with a mismatch not known (%.1fs in all)" % (
        identical, a.count - identical - unknown, unknown, time.time() - t0))
    return 1 if unknown else 0


if __name__ == "__main__":
    sys.exit(main())
