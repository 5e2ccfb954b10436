#!/usr/bin/env python3
"""Random but valid Dockerfiles for the differential test, reproducible from a seed.

    gen.py SEED            prints case SEED's Dockerfile (and its options as a comment)

A case is a list of blocks (parser directives, instructions, multi-line ones with their
continuations, comments and heredocs) plus the converter options (target, platform, build
args, whether the stub images carry a digest): compare.py shrinks a mismatch by dropping
blocks. Python rather than a Rust bin: no compile step in the test loop, and the runner and
the protobuf decoder are Python too.

Everything the Dockerfile language has is drawn (see tests/differential/README.md for the
list); values mix in the characters whose encoding differs between Go and Rust (<, >, &,
unicode, quotes, backslashes) and every word-expansion form.
"""
import json
import random
import sys

IMAGES = ["busybox", "alpine:3.20", "docker.io/library/debian:bookworm", "ghcr.io/o/img:1.0",
          "busybox@sha256:" + "ab" * 32, "localhost:5000/x/y:z"]
PLATFORMS = ["linux/amd64", "linux/arm64", "linux/arm/v7", "linux/arm64/v8", "linux/386", "linux/arm",
             "linux/arm/v6", "linux/amd64/v2"]
# FROM --platform values: the reference parses them without normalising (linux/arm64/v8 keeps
# its variant in the image source and FROM/COPY/WORKDIR progress names, RUN gets the normalised
# platform), so spellings that normalise differently are drawn too. (Not windows/…: ours does
# not yet write a Windows stage's WORKDIR and COPY paths with backslashes as the reference does.)
FROM_PLATFORMS = ["linux/arm64", "linux/amd64", "linux/arm64/v8", "linux/arm", "linux/arm/v6",
                  "linux/arm/v7", "linux/amd64/v2", "linux/386", "darwin/arm64",
                  "linux/ARM64/V8", "armhf", "linux/aarch64", "linux/x86_64/v1", "linux/arm64/v9.0"]
SPECIAL = ["<", ">", "&", "é", "✓", "😀", "\u00a0", "'", '"', "\\", "<&>", "a&&b", "x>y", "\t"]
SIGNALS = ["SIGTERM", "SIGKILL", "9", "SIGRTMIN+3", "SIGUSR1", "15", "sigint", "$SIG"]
USERS = ["root", "0", "0:0", "1000", "1000:1000", "65534:65534", "4294967294", "nobody",
         "nobody:nogroup", "app:app", "1000:app", "app:0", "$U", "${U}:${G}", "${U:-1}:${G:-2}",
         "", ":", "user:", ":group", "2147483647:2147483648", "-1", "1000:", " 1000 "]
DESTS = ["/dst/", "/dst", "dst", "dst/", ".", "./", "/", "/a/b/c/", "rel/sub", "$D", "${D}/x/",
         "/with space/", "/trail//", "../up", "/a/./b"]
SRCS = ["a.txt", ".", "./", "src/", "src", "*.go", "dir/sub/", "a.txt b.txt", "$S", "d?r",
        "[ab].txt", "src/**/x", "./a/../b", "/abs"]
GIT = ["https://github.com/moby/buildkit.git#v0.34.2", "https://github.com/o/r.git#main:sub",
       "git@github.com:o/r.git", "https://github.com/o/r.git?ref=main&subdir=x"]
URLS = ["https://example.com/f.tar.gz", "https://example.com/a?b=c&d=<e>", "http://h/x/"]


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.seed = seed
        self.esc = "\\"
        self.vars = ["a", "HOME", "PATH", "TARGETARCH", "BUILDPLATFORM", "V", "U", "D", "S", "SIG"]
        self.stages = []

    def pick(self, xs):
        return self.r.choice(xs)

    def chance(self, p):
        return self.r.random() < p

    # ---- words -----------------------------------------------------------------------
    def var(self):
        return self.pick(self.vars + ["unset_" + str(self.r.randint(0, 3))])

    def literal(self):
        c = self.r.random()
        if c < 0.5:
            return self.pick(["x", "val", "a-b", "1.0", "/usr/bin", "foo_bar", "v1", "ab ab", "*"])
        if c < 0.8:
            return self.pick(SPECIAL)
        return self.pick(["%", "#", "/", "}", ":", "=", ",", "@"])

    def expansion(self):
        v, w = self.var(), self.pick(["b", "x", "", "def val", "*", "a?c", "$V"])
        forms = [("$", ""), ("${", "}"), ("${", ":-W}"), ("${", ":+W}"), ("${", "-W}"), ("${", "+W}"),
                 ("${", "#W}"), ("${", "##W}"), ("${", "%W}"), ("${", "%%W}"), ("${", "/W/y}"),
                 ("${", "//W/y}"), ("${", "/W}"), ("${", ":?W}"), ("${", "?}"), ("${", ":-${V:+W}}")]
        pre, post = self.pick(forms)
        return pre + v + post.replace("W", w)

    def word(self, allow_space=False, n=None):
        parts = []
        for _ in range(n or self.r.randint(1, 3)):
            c = self.r.random()
            if c < 0.4:
                lit = self.literal()
                if lit in ("'", '"', "\\"):
                    lit = self.esc + lit  # an escaped quote or escape character
                parts.append(lit)
            elif c < 0.75:
                parts.append(self.expansion())
            elif c < 0.82:
                parts.append(self.esc + "$" + self.var())  # escaped dollar
            elif c < 0.9:
                parts.append("'" + self.literal().replace("'", "") + "$" + self.var() + "'")
            else:
                parts.append('"' + self.literal().replace('"', "").replace("\\", "") + " ${" + self.var() + '}"')
        w = "".join(parts)
        if not allow_space:
            w = w.replace(" ", "_").replace("\t", "_").replace("\u00a0", "_")
        return w

    def quoted(self):
        """A double-quoted value that can hold anything (escapes for \\ and ")."""
        s = "".join(self.pick([self.literal(), self.expansion(), " "]) for _ in range(self.r.randint(1, 4)))
        s = s.replace("\\", "\\\\").replace('"', '\\"') if self.esc == "\\" else s.replace('"', "")
        return '"' + s + '"'

    def value(self):
        return self.quoted() if self.chance(0.4) else self.word()

    def json_str(self):
        s = "".join(self.pick([self.literal(), "$" + self.var(), " ", "\\n", "\\u00e9"])
                    for _ in range(self.r.randint(1, 3)))
        return json.dumps(s, ensure_ascii=self.chance(0.5)).replace("\\\\n", "\\n").replace("\\\\u00e9", "\\u00e9")

    def json_array(self, n=None):
        items = [self.json_str() for _ in range(n or self.r.randint(1, 3))]
        sep = self.pick([", ", ",", " , "])
        return "[" + sep.join(items) + "]"

    def cont(self, parts):
        """Joins parts of one instruction, sometimes over several lines with continuations,
        comments and empty lines inside."""
        out = parts[0]
        for p in parts[1:]:
            if self.chance(0.25):
                out += " " + self.esc + "\n"
                if self.chance(0.3):
                    out += self.pick(["# a comment\n", "  # indented comment\n", "\n", "#\n"])
                out += self.pick(["  ", "\t", ""]) + p
            else:
                out += " " + p
        return out

    # ---- instructions ----------------------------------------------------------------
    def stage_ref(self):
        """An earlier stage (by name or index), else an image; rarely the current stage or a
        missing one (errors are compared too)."""
        earlier = self.stages[:-1]
        if earlier and self.chance(0.7):
            i = self.r.randrange(len(earlier))
            return earlier[i] or str(i) if self.chance(0.8) else str(i)
        if self.chance(0.05):
            return self.pick([str(len(self.stages) - 1), "nosuchstage"])
        return self.pick(IMAGES[:3] + ["scratch"])

    def mount(self):
        t = self.pick(["bind", "cache", "tmpfs", "secret", "ssh", None])
        opts = []
        tgt = self.pick(["/m", "/m/", "m", "/root/.cache", "/run/$V", "/tmp/x y"])
        if t is None:
            opts = ["target=" + tgt]
        else:
            opts.append("type=" + t)
            if t in ("bind", "cache", "tmpfs") or self.chance(0.5):
                opts.append(self.pick(["target=", "dst=", "destination="]) + tgt)
        if t == "bind":
            if self.chance(0.6):
                opts.append(self.pick(["source=", "src="]) + self.pick(["/", ".", "src", "/a/b", "$S"]))
            if self.chance(0.5):
                opts.append("from=" + self.stage_ref())
            if self.chance(0.4):
                opts.append(self.pick(["rw", "readwrite", "ro", "readonly", "rw=true", "ro=false"]))
        elif t == "cache":
            for o in self.r.sample(["id=c1", "id=$V", "sharing=shared", "sharing=private", "sharing=locked",
                                    "mode=0755", "mode=700", "uid=1000", "gid=0", "from=" + self.stage_ref(),
                                    "source=/s", "ro", "readonly=true"], self.r.randint(0, 4)):
                opts.append(o)
        elif t == "tmpfs":
            if self.chance(0.5):
                opts.append("size=" + self.pick(["64m", "1g", "1024", "0"]))
        elif t == "secret":
            for o in self.r.sample(["id=s1", "id=$V", "required", "required=false", "mode=0400", "uid=1",
                                    "gid=2", "env=TOKEN"], self.r.randint(0, 3)):
                opts.append(o)
        elif t == "ssh":
            for o in self.r.sample(["id=default", "id=k", "required=true", "mode=0600", "uid=0"],
                                   self.r.randint(0, 2)):
                opts.append(o)
        return "--mount=" + ",".join(opts)

    def heredoc(self, cmd_prefix):
        name = self.pick(["EOF", "END", "X"])
        quoted = self.pick([name, '"' + name + '"', "'" + name + "'", "-" + name])
        body = [self.pick(["echo $a", "echo \"${V:-x}\" > /f", "\techo tab", "cat <<X", "  ls", "echo é<&>"])
                for _ in range(self.r.randint(1, 3))]
        return cmd_prefix + " <<" + quoted + self.pick(["", " && echo done", " > /out"]) + "\n" + "\n".join(body) + "\n" + name

    def run(self):
        flags = []
        for _ in range(self.r.randint(0, 3)):
            flags.append(self.mount())
        if self.chance(0.3):
            flags.append("--network=" + self.pick(["default", "none", "host"]))
        if self.chance(0.2):
            flags.append("--security=" + self.pick(["sandbox", "insecure"]))
        c = self.r.random()
        if c < 0.15:
            return self.heredoc(" ".join(["RUN"] + flags))
        if c < 0.35:
            return self.cont(["RUN"] + flags + [self.json_array()])
        cmd = [self.pick(["echo", "ls", "true", "sh -c"]), self.word(), self.pick(["&&", "|", ";", ">"]),
               self.pick(["cat", "echo $HOME", "echo ${a:-b}", "echo '<&>'", "echo \"q\\\"x\""])]
        return self.cont(["RUN"] + flags + cmd)

    def chown(self):
        return "--chown=" + self.pick(USERS)

    def copy(self, add=False):
        flags = []
        if not add and self.chance(0.4):
            flags.append("--from=" + self.stage_ref())
        if self.chance(0.35):
            flags.append(self.chown())
        if self.chance(0.3):
            flags.append("--chmod=" + self.pick(["755", "0644", "4755", "777", "u+x", "$M", "0"]))
        if self.chance(0.3):
            flags.append(self.pick(["--link", "--link=true", "--link=false"]))
        if self.chance(0.2):
            flags.append(self.pick(["--parents", "--parents=true"]))
        for _ in range(self.r.randint(0, 2) if self.chance(0.3) else 0):
            flags.append("--exclude=" + self.pick(["*.tmp", "a/**", "$S", "!x"]))
        srcs = self.pick(SRCS)
        if add:
            c = self.r.random()
            if c < 0.25:
                srcs = self.pick(GIT)
                if self.chance(0.6):
                    flags.append(self.pick(["--keep-git-dir", "--keep-git-dir=true", "--keep-git-dir=false"]))
            elif c < 0.5:
                srcs = self.pick(URLS)
                if self.chance(0.6):
                    flags.append("--checksum=" + self.pick(["sha256:" + "0" * 64, "sha256:" + "ab" * 32]))
            if self.chance(0.15):
                flags.append("--unpack=" + self.pick(["true", "false"]))
        name = "ADD" if add else "COPY"
        if self.chance(0.12):
            return self.heredoc(" ".join([name] + flags)).replace(" > /out", "").replace(" && echo done", "") \
                .replace("\n", " " + self.pick(DESTS) + "\n", 1)
        dest = self.pick(DESTS)
        if self.chance(0.2):
            return self.cont([name] + flags + [json.dumps(srcs.split() + [dest])])
        return self.cont([name] + flags + srcs.split() + [dest])

    def env(self):
        if self.chance(0.15):
            k = self.pick(["a", "V", "E1"])
            if k not in self.vars:
                self.vars.append(k)
            return "ENV %s %s" % (k, self.word(allow_space=True))
        pairs = []
        for _ in range(self.r.randint(1, 3)):
            k = self.pick(["a", "V", "E1", "E_2", "PATH", "U", "G", "D", "S", "M", "SIG", "é"])
            if k not in self.vars:
                self.vars.append(k)
            pairs.append("%s=%s" % (k, self.value()))
        return self.cont(["ENV"] + pairs)

    def arg(self):
        items = []
        for _ in range(self.r.randint(1, 2)):
            k = self.pick(["a", "V", "A1", "TARGETARCH", "TARGETPLATFORM", "BUILDPLATFORM", "TARGETOS",
                           "TARGETVARIANT", "BUILDARCH", "U", "G", "D", "S", "M", "SIG", "HTTP_PROXY"])
            if k not in self.vars:
                self.vars.append(k)
            items.append(k if self.chance(0.4) else "%s=%s" % (k, self.value()))
        return self.cont(["ARG"] + items)

    def label(self):
        pairs = []
        for _ in range(self.r.randint(1, 3)):
            k = self.pick(["k", "org.opencontainers.image.title", '"quoted key"', "k<&>", "ké"])
            pairs.append("%s=%s" % (k, self.value()))
        return self.cont(["LABEL"] + pairs)

    def instruction(self):
        kinds = [
            (12, self.run), (6, lambda: self.copy(False)), (4, lambda: self.copy(True)), (6, self.env),
            (5, self.arg), (3, self.label),
            (2, lambda: self.cont(["EXPOSE"] + [self.pick(["80", "8080/tcp", "53/udp", "$P", "1000-1002", "443/sctp", "80/TCP"]) for _ in range(self.r.randint(1, 3))])),
            (3, lambda: "USER " + (self.pick(USERS) or "root")),
            (3, lambda: "WORKDIR " + self.pick(["/app", "rel", "$D", "${D:-/w}", "/a/../b", ".", "/app/", "sub dir", "$unset_9", "/"])),
            (2, lambda: "VOLUME " + self.pick(["/data", '["/a", "/b"]', "/v1 /v2", "$D", '["/é<&>"]'])),
            (1, lambda: "STOPSIGNAL " + self.pick(SIGNALS)),
            (2, self.healthcheck),
            (1, lambda: "SHELL " + self.pick(['["/bin/sh", "-c"]', '["/bin/bash", "-eo", "pipefail", "-c"]', '["cmd", "/S", "/C"]'])),
            (2, lambda: self.pick(["CMD ", "ENTRYPOINT "]) + (self.json_array() if self.chance(0.5) else self.word(allow_space=True))),
            (2, lambda: "ONBUILD " + self.pick([self.run, lambda: self.copy(False), self.env, lambda: "LABEL ob=1"])().split("\n")[0].rstrip(" \\`")),
            (1, lambda: "MAINTAINER " + self.pick(["Jane <jane@example.com>", "é & co", "x"])),
            (1, lambda: self.pick(["# just a comment", "", "#"])),
        ]
        total = sum(w for w, _ in kinds)
        x = self.r.uniform(0, total)
        for w, f in kinds:
            x -= w
            if x <= 0:
                return f()
        return kinds[0][1]()

    def healthcheck(self):
        if self.chance(0.2):
            return "HEALTHCHECK NONE"
        flags = [self.pick(["--interval=", "--timeout=", "--start-period=", "--start-interval="]) +
                 self.pick(["5s", "1m30s", "0s", "100ms", "2h"]) for _ in range(self.r.randint(0, 3))]
        if self.chance(0.3):
            flags.append("--retries=" + self.pick(["3", "0", "10"]))
        cmd = self.json_array() if self.chance(0.4) else "curl -f http://localhost/ || exit 1"
        return self.cont(["HEALTHCHECK"] + flags + ["CMD", cmd])

    def from_(self, i):
        parts = ["FROM"]
        if self.chance(0.35):
            plat = self.pick(["$BUILDPLATFORM", "$TARGETPLATFORM", "${BUILDPLATFORM}", "const", "const"]
                             + (["$P"] if "P" in self.globals or self.chance(0.1) else []))
            if plat == "const":
                plat = self.pick(FROM_PLATFORMS)
            parts.append("--platform=" + plat)
        c = self.r.random()
        if self.stages and c < 0.25:
            base = self.pick([s for s in self.stages if s] or ["busybox"])
        elif c < 0.4 and (self.globals & {"BASE", "V"} or self.chance(0.1)):
            base = self.pick(["$BASE", "${BASE}", "${BASE:-busybox}", "busybox:${V}"])
        elif c < 0.5:
            base = "scratch"
        else:
            base = self.pick(IMAGES)
        parts.append(base)
        name = None
        if self.chance(0.7):
            name = self.pick(["build", "base", "s%d" % i, "Final", "test-1", "a.b_c"])
            if name.lower() in [s.lower() for s in self.stages if s]:
                name = "st%d" % i
            parts.append(self.pick(["AS", "as"]))
            parts.append(name)
        self.stages.append(name.lower() if name else None)
        return self.cont(parts)

    def case(self):
        blocks = []
        if self.chance(0.3):
            blocks.append("# syntax=docker/dockerfile:1")
        if self.chance(0.15):
            self.esc = "`"
            blocks.append("# escape=`")
        elif self.chance(0.05):
            blocks.append("# escape=\\")
        if self.chance(0.15):
            blocks.append("# check=" + self.pick(["skip=all", "skip=JSONArgsRecommended,StageNameCasing", "error=false", "skip=all;error=false"]))
        self.globals = set()
        for _ in range(self.r.randint(0, 3)):
            g = self.pick(["ARG BASE=busybox", "ARG V=1.0", "ARG P=linux/arm64", "ARG a", 'ARG a="x y"', "ARG D=/d"])
            if g == "ARG P=linux/arm64":
                g = "ARG P=" + self.pick(FROM_PLATFORMS)
            self.globals.add(g.split()[1].split("=")[0])
            blocks.append(g)
        for i in range(self.r.randint(1, 4)):
            blocks.append(self.from_(i))
            for _ in range(self.r.randint(0, 8)):
                blocks.append(self.instruction())
        args = {}
        named = [s for s in self.stages if s]
        if named and self.chance(0.3):
            args["target"] = self.pick(named)
        if self.chance(0.4):
            args["platform"] = self.pick(PLATFORMS)
        ba = {}
        for _ in range(self.r.randint(0, 2)):
            ba[self.pick(["V", "BASE", "a", "U", "D", "TARGETARCH", "HTTP_PROXY"])] = self.pick(["2.0", "alpine", "<&>", "", "1000", "/x"])
        if ba:
            args["build_args"] = ba
        args["image_digest"] = self.seed % 2 == 1
        if self.chance(0.2):
            # Progress names carry the platform (the FROM --platform one as written).
            args["multi_platform"] = True
        if self.chance(0.1):
            # Drawn last, so the rest of each seed's case stays as it was.
            ba = dict(args.get("build_args", {}))
            ba["SOURCE_DATE_EPOCH"] = self.pick(["1700000000", "0", "", "86400", "x"])
            args["build_args"] = ba
        return {"seed": self.seed, "blocks": blocks, "args": args}


def render(blocks):
    return "\n".join(blocks) + "\n"


def case(seed):
    return Gen(seed).case()


if __name__ == "__main__":
    c = case(int(sys.argv[1]))
    sys.stdout.write("# options: " + json.dumps(c["args"]) + "\n" if "--options" in sys.argv else "")
    sys.stdout.write(render(c["blocks"]))
