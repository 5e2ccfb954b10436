#!/usr/bin/env python3
"""Helpers for tests/suite/run.sh (BuildKit's Dockerfile integration suite, offline).

  suite.py image OUT.tar DOCKERFILE CONTEXT
      Writes an OCI image tar (what `buildctl build --output type=oci,dest=OUT.tar` writes:
      oci-layout, index.json, blobs/) for a `FROM scratch` Dockerfile made only of COPY,
      LABEL, ENV, ENTRYPOINT and CMD (our frontend.Dockerfile, upstream's release stage).
      Anything else in the Dockerfile is refused, so a change there cannot be silently lost.
  suite.py standin KIND OUT.tar BUSYBOX
      Writes a stand-in base image (busybox, alpine, debian, hellofs) built from Debian's
      busybox-static: one layer, two history entries, PATH and Cmd like Docker Hub's images.
  suite.py parse LOG OUT_DIR
      Reads a `go test -v` log of the suite: OUT_DIR/results.txt (STATUS NAME per case),
      OUT_DIR/failures/<name>.txt (each failed case's own output), prints the results.
  suite.py compare REF_RESULTS OURS_RESULTS UNPASSABLE OUT_DIR
      Prints and writes the cases that pass with the reference and fail with ours, and the
      counts; the known-unpassable cases are reported on their own.

The image tars are written directly (deterministic bytes, exact control of the history and
config, no daemon to start or stop); the image content is what the Dockerfile describes.
"""
import gzip
import hashlib
import io
import json
import os
import re
import shlex
import sys
import tarfile

EPOCH = 1672531200  # 2023-01-01T00:00:00Z: fixed timestamps, reproducible tars
CREATED = "2023-01-01T00:00:00Z"
DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


# ---------------------------------------------------------------------------------------------
# OCI image writing


class Layer:
    """A filesystem layer built in memory: directories, files and symlinks."""

    def __init__(self):
        self.entries = {}  # path -> TarInfo, data

    def _parents(self, path):
        parts = path.strip("/").split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.entries:
                self.dir(d)

    def dir(self, path, mode=0o755):
        path = path.strip("/")
        self._parents(path)
        ti = tarfile.TarInfo(path)
        ti.type = tarfile.DIRTYPE
        ti.mode = mode
        self.entries[path] = (ti, None)

    def file(self, path, data, mode=0o644):
        path = path.strip("/")
        self._parents(path)
        ti = tarfile.TarInfo(path)
        ti.size = len(data)
        ti.mode = mode
        self.entries[path] = (ti, data)

    def symlink(self, path, target):
        path = path.strip("/")
        self._parents(path)
        ti = tarfile.TarInfo(path)
        ti.type = tarfile.SYMTYPE
        ti.linkname = target
        ti.mode = 0o777
        self.entries[path] = (ti, None)

    def tar_bytes(self):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
            for path in sorted(self.entries):
                ti, data = self.entries[path]
                ti.mtime = EPOCH
                ti.uid = ti.gid = 0
                ti.uname = ti.gname = ""
                tf.addfile(ti, io.BytesIO(data) if data is not None else None)
        return buf.getvalue()


def _blob(blobs, data, media_type):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    blobs[digest] = data
    return {"mediaType": media_type, "digest": digest, "size": len(data)}


def write_oci_tar(out, layers, config, history, ref_name="latest", annotations=None):
    """layers: [Layer]; config: the image config's "config" object; history: [dict]."""
    blobs = {}
    layer_descs, diff_ids = [], []
    for layer in layers:
        raw = layer.tar_bytes()
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
        gz = io.BytesIO()
        with gzip.GzipFile(fileobj=gz, mode="wb", mtime=0) as g:
            g.write(raw)
        layer_descs.append(_blob(blobs, gz.getvalue(), "application/vnd.oci.image.layer.v1.tar+gzip"))
    img = {
        "architecture": "amd64",
        "os": "linux",
        "created": CREATED,
        "config": config,
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": history,
    }
    cfg_desc = _blob(blobs, json.dumps(img, separators=(",", ":")).encode(),
                     "application/vnd.oci.image.config.v1+json")
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": cfg_desc,
        "layers": layer_descs,
    }
    if annotations:
        manifest["annotations"] = annotations
    man_desc = _blob(blobs, json.dumps(manifest, separators=(",", ":")).encode(),
                     "application/vnd.oci.image.manifest.v1+json")
    man_desc["platform"] = {"architecture": "amd64", "os": "linux"}
    man_desc["annotations"] = {"org.opencontainers.image.ref.name": ref_name}
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
             "manifests": [man_desc]}
    files = {"oci-layout": json.dumps({"imageLayoutVersion": "1.0.0"}).encode(),
             "index.json": json.dumps(index, separators=(",", ":")).encode()}
    for digest, data in blobs.items():
        files["blobs/sha256/" + digest.split(":", 1)[1]] = data
    tmp = out + ".tmp"
    with tarfile.open(tmp, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in ("blobs", "blobs/sha256"):
            ti = tarfile.TarInfo(d)
            ti.type, ti.mode, ti.mtime = tarfile.DIRTYPE, 0o755, EPOCH
            tf.addfile(ti)
        for name in ["oci-layout", "index.json"] + sorted(n for n in files if n.startswith("blobs/")):
            ti = tarfile.TarInfo(name)
            ti.size, ti.mode, ti.mtime = len(files[name]), 0o644, EPOCH
            tf.addfile(ti, io.BytesIO(files[name]))
    os.replace(tmp, out)


# ---------------------------------------------------------------------------------------------
# A FROM scratch Dockerfile → image


def dockerfile_lines(path):
    """Logical lines (continuations joined, comments and blanks dropped)."""
    out, cur = [], ""
    with open(path) as f:
        for line in f:
            s = line.rstrip("\n")
            if not cur and (not s.strip() or s.lstrip().startswith("#")):
                continue
            if s.endswith("\\"):
                cur += s[:-1] + " "
                continue
            out.append(cur + s)
            cur = ""
    if cur:
        out.append(cur)
    return out


def kv_pairs(rest):
    pairs = []
    for tok in shlex.split(rest):
        if "=" not in tok:
            raise SystemExit(f"unsupported key/value syntax (need k=v): {rest}")
        k, v = tok.split("=", 1)
        pairs.append((k, v))
    return pairs


def cmd_image(out, dockerfile, context):
    layer = Layer()
    # BuildKit's Dockerfile frontend gives a FROM scratch image the default PATH; so do we.
    config = {"Env": [f"PATH={DEFAULT_PATH}"], "Labels": {}}
    history = []
    lines = dockerfile_lines(dockerfile)
    if not lines or lines[0].split()[:2] != ["FROM", "scratch"]:
        raise SystemExit(f"{dockerfile}: must start with FROM scratch")
    copied = False
    for line in lines[1:]:
        instr, _, rest = line.strip().partition(" ")
        instr = instr.upper()
        rest = rest.strip()
        if instr == "COPY":
            args = shlex.split(rest)
            if any(a.startswith("--") for a in args) or len(args) != 2:
                raise SystemExit(f"{dockerfile}: unsupported COPY form: {line}")
            src, dst = args
            with open(os.path.join(context, src), "rb") as f:
                data = f.read()
            mode = os.stat(os.path.join(context, src)).st_mode & 0o7777
            if dst.endswith("/"):
                dst += os.path.basename(src)
            layer.file(dst, data, mode)
            copied = True
            history.append({"created": CREATED, "created_by": f"COPY {src} {dst} # buildkit",
                            "comment": "buildkit.dockerfile.v0"})
            continue
        if instr == "LABEL":
            for k, v in kv_pairs(rest):
                config["Labels"][k] = v
        elif instr == "ENV":
            for k, v in kv_pairs(rest):
                config["Env"] = [e for e in config["Env"] if not e.startswith(k + "=")] + [f"{k}={v}"]
        elif instr in ("ENTRYPOINT", "CMD"):
            val = json.loads(rest)
            if not isinstance(val, list):
                raise SystemExit(f"{dockerfile}: {instr} must be in JSON form: {line}")
            config["Entrypoint" if instr == "ENTRYPOINT" else "Cmd"] = val
        else:
            raise SystemExit(f"{dockerfile}: unsupported instruction for a directly written image: {line}")
        history.append({"created": CREATED, "created_by": f"{instr} {rest}",
                        "comment": "buildkit.dockerfile.v0", "empty_layer": True})
    if not copied:
        raise SystemExit(f"{dockerfile}: no COPY")
    write_oci_tar(out, [layer], config, history)


# ---------------------------------------------------------------------------------------------
# Stand-in base images from Debian's busybox-static

PASSWD = """root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/bin/false
bin:x:2:2:bin:/bin:/bin/false
sys:x:3:3:sys:/dev:/bin/false
sync:x:4:100:sync:/bin:/bin/sync
mail:x:8:8:mail:/var/spool/mail:/bin/false
www-data:x:33:33:www-data:/var/www:/bin/false
operator:x:37:37:Operator:/var:/bin/false
nobody:x:65534:65534:nobody:/home:/bin/false
"""
GROUP = """root:x:0:
daemon:x:1:
bin:x:2:
sys:x:3:
adm:x:4:
tty:x:5:
disk:x:6:
lp:x:7:
mail:x:8:
kmem:x:9:
wheel:x:10:root
cdrom:x:11:
dialout:x:18:
floppy:x:19:
video:x:28:
audio:x:29:
tape:x:32:
www-data:x:33:
operator:x:37:
utmp:x:43:
plugdev:x:46:
staff:x:50:
lock:x:54:
netdev:x:82:
users:x:100:
nobody:x:65534:
"""
SHADOW = "".join(f"{l.split(':')[0]}:*:10933:0:99999:7:::\n" for l in PASSWD.splitlines())

# Debian's busybox-static has no adduser/addgroup; the suite calls `adduser -D user`,
# `addgroup -g GID NAME` and `adduser -D -u UID -G GROUP NAME` (busybox semantics).
ADDUSER = r"""#!/bin/sh
# adduser stand-in (busybox semantics, the options the BuildKit suite uses)
uid= group= home= shell=/bin/sh
while [ $# -gt 1 ]; do
  case "$1" in
    -D|-S|-H) shift ;;
    -u) uid=$2; shift 2 ;;
    -G) group=$2; shift 2 ;;
    -h) home=$2; shift 2 ;;
    -s) shell=$2; shift 2 ;;
    -g) shift 2 ;;
    *) break ;;
  esac
done
name=$1
[ -n "$name" ] || { echo "usage: adduser [-D] [-u UID] [-G GROUP] [-h HOME] [-s SHELL] USER" >&2; exit 1; }
if grep -q "^$name:" /etc/passwd; then echo "adduser: user '$name' in use" >&2; exit 1; fi
if [ -z "$uid" ]; then
  uid=$(awk -F: 'BEGIN{m=999} $3>m && $3<60000 {m=$3} END{print m+1}' /etc/passwd /etc/group)
fi
if [ -n "$group" ]; then
  gid=$(awk -F: -v g="$group" '$1==g {print $3}' /etc/group)
  [ -n "$gid" ] || { echo "adduser: unknown group $group" >&2; exit 1; }
else
  gid=$uid
  echo "$name:x:$gid:" >>/etc/group
fi
home=${home:-/home/$name}
echo "$name:x:$uid:$gid:Linux User,,,:$home:$shell" >>/etc/passwd
[ -f /etc/shadow ] && echo "$name:!:19000:0:99999:7:::" >>/etc/shadow
mkdir -p "$home" && chown "$uid:$gid" "$home"
"""
ADDGROUP = r"""#!/bin/sh
# addgroup stand-in (busybox semantics, the options the BuildKit suite uses)
gid=
while [ $# -gt 1 ]; do
  case "$1" in
    -S) shift ;;
    -g) gid=$2; shift 2 ;;
    *) break ;;
  esac
done
if [ $# -eq 2 ]; then  # addgroup USER GROUP: add USER to GROUP
  sed -i "/^$2:/ { s/:\$/:$1/; t; s/\$/,$1/ }" /etc/group
  exit 0
fi
name=$1
[ -n "$name" ] || { echo "usage: addgroup [-g GID] GROUP" >&2; exit 1; }
if grep -q "^$name:" /etc/group; then echo "addgroup: group '$name' in use" >&2; exit 1; fi
[ -n "$gid" ] || gid=$(awk -F: 'BEGIN{m=999} $3>m && $3<60000 {m=$3} END{print m+1}' /etc/group)
echo "$name:x:$gid:" >>/etc/group
"""


def busybox_layer(busybox, full_paths):
    import subprocess
    layer = Layer()
    with open(busybox, "rb") as f:
        layer.file("bin/busybox", f.read(), 0o755)
    if full_paths:
        applets = subprocess.run([busybox, "--list-full"], check=True, capture_output=True,
                                 text=True).stdout.split()
        for d in ("bin", "sbin", "usr/bin", "usr/sbin"):
            layer.dir(d)
    else:
        applets = ["bin/" + a for a in subprocess.run([busybox, "--list"], check=True,
                                                       capture_output=True, text=True).stdout.split()]
    for a in applets:
        if a == "bin/busybox":
            continue
        layer.symlink(a, "/bin/busybox")
    for d in ("dev", "proc", "sys", "root", "home", "var", "var/spool/mail", "var/www", "etc"):
        layer.dir(d, 0o700 if d == "root" else 0o755)
    layer.dir("tmp", 0o1777)
    layer.file("etc/passwd", PASSWD.encode())
    layer.file("etc/group", GROUP.encode())
    layer.file("etc/shadow", SHADOW.encode(), 0o640)
    layer.file("etc/hostname", b"localhost\n")
    layer.file("etc/hosts", b"127.0.0.1\tlocalhost\n")
    sbin = "usr/sbin" if full_paths else "bin"
    layer.file(f"{sbin}/adduser", ADDUSER.encode(), 0o755)
    layer.file(f"{sbin}/addgroup", ADDGROUP.encode(), 0o755)
    return layer


def cmd_standin(kind, out, busybox):
    if kind == "busybox":
        layer = busybox_layer(busybox, False)
        env = ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]
    elif kind == "alpine":
        layer = busybox_layer(busybox, True)
        layer.file("etc/alpine-release", b"3.23.0\n")
        layer.file("etc/os-release", b'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.23.0\n'
                   b'PRETTY_NAME="Alpine Linux v3.23 (stand-in: Debian busybox-static)"\n')
        env = [f"PATH={DEFAULT_PATH}"]
    elif kind == "debian":
        layer = busybox_layer(busybox, False)
        layer.file("etc/debian_version", b"11.6\n")
        layer.file("etc/os-release", b'PRETTY_NAME="Debian GNU/Linux 11 (bullseye) (stand-in)"\n'
                   b'NAME="Debian GNU/Linux"\nVERSION_ID="11"\nID=debian\n')
        env = [f"PATH={DEFAULT_PATH}"]
    elif kind == "hellofs":
        # The real one is a FUSE demo binary; the test using it needs the internet anyway.
        layer = Layer()
        layer.file("hellofs", b"#!/bin/sh\necho 'hellofs stand-in: the real tonistiigi/hellofs is not available offline' >&2\nexit 1\n", 0o755)
        env = [f"PATH={DEFAULT_PATH}"]
    else:
        raise SystemExit(f"unknown stand-in kind {kind}")
    history = [
        {"created": CREATED, "created_by": f"/bin/sh -c #(nop) ADD file:{kind}-standin in / "},
        {"created": CREATED, "created_by": '/bin/sh -c #(nop)  CMD ["sh"]', "empty_layer": True},
    ]
    write_oci_tar(out, [layer], {"Env": env, "Cmd": ["sh"]}, history)


# ---------------------------------------------------------------------------------------------
# Log parsing and comparison

RESULT_RE = re.compile(r"^(\s*)--- (PASS|FAIL|SKIP): TestIntegration/(\S+) \(([\d.]+)s\)")
HEADER_RE = re.compile(r"^=== (RUN|CONT|NAME|PAUSE)\s+(\S+)")


def parse_log(log):
    """Returns [(status, name, seconds, output_lines)] in log order.

    With -test.v, a case's output is streamed while it runs, after `=== RUN/CONT/NAME <test>`
    headers (parallel cases interleave); its `--- STATUS` line comes later, indented under its
    parent's. A nested subtest (a t.Run inside a case) counts as part of its case."""
    with open(log, errors="replace") as f:
        lines = f.read().splitlines()
    results = []
    for l in lines:
        m = RESULT_RE.match(l)
        if m and len(m.group(1)) == 4:  # the cases: direct children of TestIntegration
            results.append([m.group(2), m.group(3), float(m.group(4)), []])
    by_name = {r[1]: r for r in results}

    def case_of(test):
        if not test.startswith("TestIntegration/"):
            return None
        name = test[len("TestIntegration/"):]
        while name:
            if name in by_name:
                return by_name[name]
            name = name.rpartition("/")[0]
        return None

    cur = None
    for l in lines:
        h = HEADER_RE.match(l)
        if h:
            cur = case_of(h.group(2))
            continue
        m = RESULT_RE.match(l)
        if m and len(m.group(1)) > 4 and m.group(2) == "FAIL":
            sub = case_of("TestIntegration/" + m.group(3))
            if sub is not None:
                sub[3].append("    subtest FAIL: " + m.group(3))
            continue
        if m or l.startswith("--- ") or l.startswith("=== "):
            continue
        if cur is not None:
            cur[3].append(l)
    return [tuple(r) for r in results]


def key_lines(body, n=5):
    """The lines that say why a case failed: testify's Error/Messages (without the trace), the
    test's own t.Log/t.Fatal lines, and the first error lines of the daemons' logs."""
    picked, daemon, subs = [], [], []
    where = ""
    i = 0
    while i < len(body):
        s = body[i].strip()
        if s.startswith("Error Trace:"):
            where = os.path.basename(s.split()[-1]) + ": "
        elif s.startswith("subtest FAIL:"):
            subs.append(s.split(": ", 1)[1].rsplit("/", 1)[-1])
        elif s.startswith("Error:") or s.startswith("Messages:"):
            picked.append((where if s.startswith("Error:") else "") + re.sub(r"\s+", " ", s)[:300])
            i += 1
            in_stack = False
            # testify's continuation lines: indented, not a new field; the message, not the Go
            # stack that follows it
            while i < len(body) and re.match(r"^\s+\t\s", body[i]) and not re.match(
                    r"^\s+\t(Error|Test|Messages|Error Trace):", body[i]):
                t = body[i].strip()
                if re.match(r"^(\S+\.go:\d+|[\w.\-/]+\.\S*[()]\S*|github\.com/\S+)$", t):
                    in_stack = True
                if t and not in_stack and t not in ("Diff:", "--- Expected", "+++ Actual"):
                    picked.append("  " + re.sub(r"\s+", " ", t)[:300])
                i += 1
            continue
        if re.match(r"^\s+\w+_test\.go:\d+: \S", body[i]):
            picked.append(s[:300])
        elif re.match(r"^\s+sandbox\.go:\d+: .*(level=(error|fatal)|panic:)", body[i]) and len(daemon) < 2:
            daemon.append("daemon: " + s.split(": ", 1)[1][:300])
        i += 1
    if subs:
        picked.insert(0, "failed subtests: " + ", ".join(subs))
    return (picked[: max(n - len(daemon[:1]), 1)] + daemon)[:n] if picked else daemon[:n]


def cmd_parse(log, out_dir):
    results = parse_log(log)
    os.makedirs(os.path.join(out_dir, "failures"), exist_ok=True)
    with open(os.path.join(out_dir, "results.txt"), "w") as f:
        for status, name, secs, body in results:
            f.write(f"{status} {name} {secs:.2f}\n")
            print(f"{status} {name}")
            if status == "FAIL":
                fn = name.replace("/", "__") + ".txt"
                with open(os.path.join(out_dir, "failures", fn), "w") as ff:
                    ff.write("\n".join(body) + "\n")
    counts = {s: sum(1 for r in results if r[0] == s) for s in ("PASS", "FAIL", "SKIP")}
    with open(os.path.join(out_dir, "counts.txt"), "w") as f:
        f.write(f"{len(results)} cases: {counts['PASS']} pass, {counts['FAIL']} fail, {counts['SKIP']} skip\n")
    print(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped")


def read_results(path):
    res = {}
    with open(path) as f:
        for line in f:
            parts = line.split()
            if len(parts) >= 2:
                res[parts[1]] = (parts[0], float(parts[2]) if len(parts) > 2 else 0.0)
    return res


def read_unpassable(path):
    """Lines `NAME  reason` (NAME as in results, without TestIntegration/); # comments."""
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            name, _, reason = line.partition(" ")
            out[name] = reason.strip()
    return out


def cmd_compare(ref_path, ours_path, unpassable_path, out_dir):
    ref, ours = read_results(ref_path), read_results(ours_path)
    unpassable = read_unpassable(unpassable_path)
    report = []

    def say(s=""):
        print(s)
        report.append(s)

    for label, res in (("reference", ref), ("ours", ours)):
        c = {s: sum(1 for v in res.values() if v[0] == s) for s in ("PASS", "FAIL", "SKIP")}
        say(f"{label}: {len(res)} cases: {c['PASS']} pass, {c['FAIL']} fail, {c['SKIP']} skip")
    regress = sorted(n for n, v in ref.items() if v[0] == "PASS" and ours.get(n, ("MISSING",))[0] != "PASS")
    say()
    say(f"pass with the reference, not with ours: {len(regress)}")
    fail_dir = os.path.join(os.path.dirname(ours_path), "failures")
    for n in regress:
        st = ours.get(n, ("MISSING",))[0]
        say(f"  {st} {n}")
        fn = os.path.join(fail_dir, n.replace("/", "__") + ".txt")
        if st == "FAIL" and os.path.exists(fn):
            with open(fn) as f:
                for kl in key_lines(f.read().splitlines()):
                    say(f"      {kl}")
    better = sorted(n for n, v in ours.items() if v[0] == "PASS" and ref.get(n, ("MISSING",))[0] != "PASS")
    say()
    say(f"pass with ours, not with the reference: {len(better)}")
    for n in better:
        say(f"  {ref.get(n, ('MISSING',))[0]} {n}")
    both = sorted(n for n, v in ref.items() if v[0] == "FAIL" and ours.get(n, ("MISSING",))[0] == "FAIL")
    say()
    say(f"fail with both: {len(both)}")
    for n in both:
        reason = unpassable.get(n)
        say(f"  {n}: " + (f"known unpassable here: {reason}" if reason else "NOT in unpassable.txt"))
    missing = sorted(n for n in unpassable if n not in both)
    if missing:
        say()
        say("listed in unpassable.txt but not failing with both in this run:")
        for n in missing:
            say(f"  {n}: ref {ref.get(n, ('MISSING',))[0]}, ours {ours.get(n, ('MISSING',))[0]}")
    quick = sorted((v[1], n) for n, v in ref.items()
                   if v[0] == "PASS" and ours.get(n, ("",))[0] == "PASS")
    with open(os.path.join(out_dir, "pass-both.txt"), "w") as f:
        for secs, n in quick:
            f.write(f"{n} {secs:.2f} {ours[n][1]:.2f}\n")
    with open(os.path.join(out_dir, "compare.txt"), "w") as f:
        f.write("\n".join(report) + "\n")


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "image" and len(args) == 3:
        cmd_image(*args)
    elif cmd == "standin" and len(args) == 3:
        cmd_standin(*args)
    elif cmd == "parse" and len(args) == 2:
        cmd_parse(*args)
    elif cmd == "compare" and len(args) == 4:
        cmd_compare(*args)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
