#!/usr/bin/env python3
"""Writes the seed inputs of every fuzz target into OUT/<target>/ (fuzz/minimize.sh merges
them into the committed corpus, fuzz/corpus/<target>/, and minimises it).

    fuzz/seeds.py OUT [--generated N]

Seeds: the golden Dockerfiles, the examples, every Dockerfile in the docs (each check rule's
bad and good example), N random Dockerfiles from the differential test's generator
(tests/differential/gen.py, default 40), and the hand-picked inputs below, which reach each
target's options, context kinds, patterns and error shapes. Input formats: each target's
doc comment (fuzz/fuzz_targets/*.rs).
"""
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# options: one `key=value` per line (options::KEYS and its prefixes).
OPTIONS = {
    "all-valid": """platform=linux/amd64
target=other
filename=Dockerfile
dockerfilekey=dockerfile
contextkey=context
contextsubdir=sub
build-arg:BASE=alpine
build-arg:SOURCE_DATE_EPOCH=1700000000
build-arg:BUILDKIT_SANDBOX_HOSTNAME=box
build-arg:BUILDKIT_GIT_ADVICE=true
build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR=1
label:org.opencontainers.image.title=t
no-cache=build,Other
image-resolve-mode=pull
hostname=h
cgroup-parent=/cg
add-hosts=a=1.2.3.4,b=::ffff:10.0.0.1,"c=::1"
shm-size=67108864
ulimit=nofile=1024:2048,nproc=-1
memory=1073741824
memswap=-1
cpushares=512
cpuperiod=100000
cpuquota=50000
cpusetcpus=0-1,3
cpusetmems=0
force-network-mode=host
cache-from=registry.example.com/cache:1,other/cache
cache-imports=[{"Type":"registry","Attrs":{"ref":"x/y:z"}},{"type":"local","attrs":{"src":"/c"}}]
context:base=docker-image://busybox:1.36
context:ctx=local:ctxdir
local-sessionid:context=s1
multi-platform=false
""",
    "platforms": "platform=linux/amd64,linux/arm64,linux/arm/v7,windows/amd64\nmulti-platform=true\n",
    "platform-bad": "platform=linux/amd64, linux/arm64\n",
    "no-cache-all": "no-cache=\ntarget=build\n",
    "epoch": "build-arg:SOURCE_DATE_EPOCH=0\nplatform=linux/arm64\n",
    "epoch-context": "build-arg:SOURCE_DATE_EPOCH=context\n",
    "epoch-stage": "build-arg:SOURCE_DATE_EPOCH=build\n",
    "epoch-named": "build-arg:SOURCE_DATE_EPOCH=ctx\ncontext:ctx=docker-image://alpine\n",
    "check-error": "build-arg:BUILDKIT_DOCKERFILE_CHECK=error=true;experimental=all\n",
    "check-skip": "build-arg:BUILDKIT_DOCKERFILE_CHECK=skip=all\n",
    "check-bad": "build-arg:BUILDKIT_DOCKERFILE_CHECK=nonsense\n",
    "outline": "requestid=frontend.outline\ntarget=build\n",
    "targets": "requestid=frontend.targets\n",
    "lint": "requestid=frontend.lint\n",
    "lint-target": "requestid=frontend.lint\ntarget=test\n",
    "describe": "requestid=frontend.subrequests.describe\n",
    "unknown-request": "requestid=frontend.other\n",
    "sbom": "attest:sbom=generator=docker/scanner:v1,mode=max\nattest:provenance=mode=max\n",
    "sbom-arg": "build-arg:BUILDKIT_ATTEST_SBOM=\n",
    "attest-bad": "attest:other=1\n",
    "removed": "override-copy-image=x\n",
    "fileop": "build-arg:BUILDKIT_DISABLE_FILEOP=true\n",
    "network-none": "force-network-mode=none\n",
    "network-bad": "force-network-mode=bridge\n",
    "resolve-bad": "image-resolve-mode=sometimes\n",
    "ulimit-bad": "ulimit=nofile=2048:1024\n",
    "memswap-bad": "memory=0\nmemswap=-2\n",
    "cpuset-bad": "cpusetcpus=9000\n",
    "hosts-bad": "add-hosts=a=300.1.1.1\n",
    "shm-bad": "shm-size=1g\n",
    "cache-imports-bad": "cache-imports={\"Type\":1}\n",
    "remote-context": "context=https://github.com/moby/buildkit.git#v0.34.2:frontend\n",
    "remote-http": "context=https://example.com/ctx.tar.gz\n",
    "multi-bool-bad": "multi-platform=maybe\n",
    "git-advice-bad": "build-arg:BUILDKIT_GIT_ADVICE=sure\n",
    "named-platform": "context:busybox::linux/arm64=docker-image://alpine\nplatform=linux/arm64\n",
}

# dockerignore: the file, then `---` and paths.
DOCKERIGNORE = {
    "typical": "# comment\n.git\nnode_modules/\n*.log\n!keep.log\n**/target\n---\nsrc/main.rs\na.log\nkeep.log\nx/target/y\n.git/HEAD\n",
    "exclusions": "*\n!src\n!Dockerfile\nsrc/**/*.tmp\n---\nsrc/a.tmp\nsrc/b/c.tmp\nREADME\nDockerfile\n",
    "classes": "[a-c]*.txt\n[^x]?.md\n\\*literal\na\\?b\n---\nb1.txt\nya.md\n*literal\na?b\n",
    "globs": "**\n!**/*.go\n/abs/path\n./rel/./x/../y\n ! spaced \n---\nmain.go\nabs/path\nrel/y\nspaced\n",
    "bad": "[unclosed\n---\nx\n",
    "bom": "\ufeff# bom\nfoo\n\n\n!\n---\nfoo\n",
    "backslash": "a\\\n---\na\n",
    "root": "**/*\n!.dockerignore\n",
    "dots": "..\n../x\n.\n.*\n---\n.hidden\nx\n",
}

# contexts: `NAME=VALUE` lines (context:NAME), `config=`, then an optional Dockerfile.
CONTEXTS = {
    "images": "alpine=docker-image://busybox:1.36\nbase=docker-image://docker.io/library/debian:bookworm@sha256:" + "ab" * 32 + "\nctx=docker-image://scratch\n",
    "local": "src=local:srcdir\ncache=local:cache\nbase=local:base\n",
    "input": "base=input:other\nalpine=input:alpine\n",
    "oci": "base=oci-layout://store:tag@sha256:" + "cd" * 32 + "\nctx=oci-layout://nodigest\nsrc=oci-layout://@sha256:00\n",
    "git": "src=https://github.com/moby/buildkit.git#v0.34.2:frontend\nbase=git@github.com:moby/buildkit.git#main\nctx=git://example.com/repo#ref:dir\n",
    "git-query": "src=https://github.com/moby/buildkit.git?ref=v0.34.2&subdir=frontend\nbase=https://github.com/a/b.git?tag=x&keep-git-dir=true\n",
    "http": "src=https://example.com/ctx.tar\nbase=http://example.com/file\n",
    "bad": "base=nothing\nsrc=target:other\nctx=foo:bar\nalpine=docker-image://UPPER\n",
    "platform": "ctx::linux/arm64=docker-image://alpine\nbase::linux/amd64=local:x\nplatform=linux/amd64\n",
    "config": 'base=docker-image://busybox\nconfig={"architecture":"arm64","os":"linux","variant":"v8","config":{"Env":["PATH=/bin","A=b"],"OnBuild":["RUN echo from-onbuild"],"Shell":["/bin/ash","-c"],"User":"1000","Labels":{"x":"y"},"ExposedPorts":{"80/tcp":{}},"Healthcheck":{"Test":["CMD","true"]}},"rootfs":{"type":"layers","diff_ids":["sha256:00"]},"history":[{"created":"2024-01-01T00:00:00Z","created_by":"x","empty_layer":true}]}\n',
    "config-odd": 'alpine=docker-image://busybox\nconfig={"architecture":"","os":"","config":null,"created":"x","history":[{"created":"not a time"}]}\n',
    "epoch": "src=docker-image://alpine\narg:SOURCE_DATE_EPOCH=src\n",
    "dockerfile": "stage=docker-image://alpine\nx=local:x\n---\nFROM stage AS s\nFROM x\nCOPY --from=s / /\nRUN --mount=from=x,target=/x true\n",
}

# errors: two bytes (first and last line), the message, `---`, the file.
ERRORS = {
    "simple": b"\x02\x02unknown instruction: FOO (did you mean FROM?)\n---\nFROM scratch\nFOO bar\n",
    "range": b"\x01\x03failed to process\n---\nFROM a\nRUN x \\\n  y\n",
    "beyond": b"\x09\x0cbeyond the file\n---\nFROM a\n",
    "none": b"\x00\x00no location\n---\nFROM a\n",
    "reversed": b"\x05\x02end before start\n---\na\nb\nc\nd\ne\nf\n",
    "long": b"\x01\x01" + ("\u00e9\u2713\U0001F600" * 200).encode() + b"\n---\nFROM a\n",
    "crlf": b"\x01\x01crlf\r\n---\nFROM a\r\nRUN b\r\n",
    "invalid-utf8": b"\x01\x01caf\xe9 \xff\n---\nFROM a\n# caf\xe9\n",
}

# checks: option lines, `---`, the Dockerfile (the Dockerfile alone is an input too).
CHECKS_HEADERS = [
    "",
    "check=experimental=all\n",
    "check=skip=all;error=true\n",
    "target=build\narg:BASE=alpine\n",
    "platform=linux/arm64\nbuild-platform=linux/amd64\n",
    "request=frontend.lint\n",
    "request=frontend.outline\n",
    "request=frontend.targets\n",
    "ignore=*.txt\nignore=!keep.txt\ncheck=experimental=CopyIgnoredFile\n",
]


def dockerfiles():
    """Every Dockerfile the repository has: golden cases, examples, docs code blocks."""
    out = {}
    golden = os.path.join(ROOT, "frontend", "tests", "golden")
    for f in sorted(os.listdir(golden)):
        if f.endswith(".Dockerfile"):
            with open(os.path.join(golden, f), "rb") as fh:
                out["golden-" + f] = fh.read()
    examples = os.path.join(ROOT, "examples")
    for d in sorted(os.listdir(examples)):
        p = os.path.join(examples, d, "Dockerfile")
        if os.path.isfile(p):
            with open(p, "rb") as fh:
                out["example-" + d] = fh.read()
    docs = [os.path.join(ROOT, "docs", f) for f in os.listdir(os.path.join(ROOT, "docs")) if f.endswith(".md")]
    checks = os.path.join(ROOT, "docs", "checks")
    docs += [os.path.join(checks, f) for f in os.listdir(checks) if f.endswith(".md")]
    for path in sorted(docs):
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        for i, block in enumerate(re.findall(r"```dockerfile\n(.*?)```", text, re.S)):
            out[f"doc-{os.path.basename(path)[:-3]}-{i}"] = block.encode()
    return out


def generated(n):
    gen = os.path.join(ROOT, "tests", "differential", "gen.py")
    out = {}
    for seed in range(n):
        r = subprocess.run([sys.executable, gen, str(seed)], capture_output=True, check=True)
        out[f"gen-{seed}"] = r.stdout
    return out


def write(out, target, name, data):
    if isinstance(data, str):
        data = data.encode()
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    with open(os.path.join(d, f"seed-{safe}"), "wb") as fh:
        fh.write(data)


def main():
    args = sys.argv[1:]
    if not args or args[0].startswith("-"):
        sys.exit(__doc__)
    out = args[0]
    n = 40
    if "--generated" in args:
        n = int(args[args.index("--generated") + 1])
    files = dockerfiles()
    files.update(generated(n))
    for name, data in files.items():
        write(out, "parse", name, data)
        write(out, "checks", name, data)
    # Each header with a few Dockerfiles that have stages, args and checks to find.
    sample = [d for n_, d in sorted(files.items()) if n_.startswith(("doc-", "golden-"))]
    for i, header in enumerate(CHECKS_HEADERS):
        for j, data in enumerate(sample[i::len(CHECKS_HEADERS)][:4]):
            write(out, "checks", f"header{i}-{j}", header.encode() + b"---\n" + data)
    for name, data in OPTIONS.items():
        write(out, "options", name, data)
    for name, data in DOCKERIGNORE.items():
        write(out, "dockerignore", name, data)
    for name, data in CONTEXTS.items():
        write(out, "contexts", name, data)
    for name, data in ERRORS.items():
        write(out, "errors", name, data)
    total = sum(len(os.listdir(os.path.join(out, t))) for t in os.listdir(out))
    print(f"seeds.py: {total} seeds in {out} ({len(files)} Dockerfiles)")


if __name__ == "__main__":
    main()
