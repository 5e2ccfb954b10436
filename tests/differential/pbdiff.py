#!/usr/bin/env python3
"""Decodes an LLB Definition (proto/proto/ops.proto, read at start) into plain data and
compares two conversions: definition bytes, ops, op metadata, the source map, the image
config bytes and the error. Used by compare.py; no protobuf package needed.

The decoded form names digests by definition position (op0, op1, ...) so that one differing
op does not make every later op differ, and keeps field order and repetition so that an
encoding difference (field order, an empty map value written or not) is visible too.
"""
import json
import os
import re

HERE = os.path.dirname(os.path.abspath(__file__))
PROTO = os.path.join(HERE, "..", "..", "proto", "proto", "ops.proto")

SCALARS = {"int32", "int64", "uint32", "uint64", "bool", "string", "bytes", "sint32", "sint64"}


def load_schema(path=PROTO):
    """message name -> {field number: (name, type, repeated, map (key, value) or None)}"""
    text = re.sub(r"//[^\n]*", "", open(path).read())
    schema = {}
    enums = set(re.findall(r"\benum\s+(\w+)", text))
    for m in re.finditer(r"\bmessage\s+(\w+)\s*\{", text):
        name = m.group(1)
        depth, i = 1, m.end()
        while depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[m.end():i - 1]
        fields = {}
        for f in re.finditer(r"(repeated\s+)?(map<\s*(\w+)\s*,\s*([\w.]+)\s*>|[\w.]+)\s+(\w+)\s*=\s*(\d+)", body):
            rep, typ, mk, mv, fname, num = f.groups()
            if typ in ("message", "oneof", "enum", "reserved"):
                continue
            typ = typ.split(".")[-1]
            if typ in enums:
                typ = "int32"
            mv = mv.split(".")[-1] if mv else None
            if mv in enums:
                mv = "int32"
            fields[int(num)] = (fname, typ, bool(rep), (mk, mv) if mk else None)
        schema[name] = fields
    return schema


SCHEMA = load_schema()


def varint(b, i):
    shift = v = 0
    while True:
        c = b[i]
        i += 1
        v |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return v, i


def raw_fields(b):
    i = 0
    out = []
    while i < len(b):
        key, i = varint(b, i)
        num, wt = key >> 3, key & 7
        if wt == 0:
            v, i = varint(b, i)
        elif wt == 2:
            n, i = varint(b, i)
            v, i = b[i:i + n], i + n
        elif wt == 1:
            v, i = b[i:i + 8], i + 8
        elif wt == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError("wire type %d" % wt)
        out.append((num, wt, v))
    return out


def scalar(typ, wt, v):
    if typ == "string":
        return v.decode("utf-8", "replace")
    if typ == "bytes":
        try:
            return v.decode("utf-8")
        except UnicodeDecodeError:
            return "0x" + v.hex()
    if typ == "bool":
        return bool(v)
    if typ in ("int32", "int64") and v >= 1 << 63:
        return v - (1 << 64)
    return v


def decode(msg, b):
    """A message as a list of [field name, value] in wire order (order is part of the bytes),
    except map entries: sorted by key, where the first was. Go marshals the Definition
    without the deterministic option, so its maps (metadata, descriptions, source locations)
    come in random order; the daemon digests only the ops, whose maps are sorted."""
    fields = SCHEMA.get(msg, {})
    out = []
    maps = []
    for num, wt, v in raw_fields(b):
        if num not in fields:
            out.append(["#%d" % num, v.hex() if isinstance(v, bytes) else v])
            continue
        name, typ, rep, mp = fields[num]
        if mp:
            ent = dict((n, (w, x)) for n, w, x in raw_fields(v))
            k = scalar(mp[0], *ent[1]) if 1 in ent else "(no key)"
            if 2 not in ent:
                val = "(no value)"
            elif mp[1] in SCALARS:
                val = scalar(mp[1], *ent[2])
            else:
                val = decode(mp[1], ent[2][1])
            out.append([name, [k, val]])
            maps.append(len(out) - 1)
        elif typ in SCALARS:
            out.append([name, scalar(typ, wt, v)])
        else:
            out.append([name, decode(typ, v)])
    if maps:
        entries = sorted((out[i] for i in maps), key=lambda e: (e[0], str(e[1][0])))
        for i, e in zip(maps, entries):
            out[i] = e
    return out


def get(fields, name):
    return [v for n, v in fields if n == name]


def definition(b):
    """{"ops": [decoded op], "metadata": {opN: decoded}, "source": decoded, "order": [...]}
    with every digest string replaced by its op's position name."""
    from hashlib import sha256
    top = raw_fields(b)
    ops = [v for n, w, v in top if n == 1]
    names = {"sha256:" + sha256(o).hexdigest(): "op%d" % i for i, o in enumerate(ops)}

    def rename(x):
        if isinstance(x, str):
            return names.get(x, x)
        if isinstance(x, list):
            return [rename(y) for y in x]
        return x

    d = rename(decode("Definition", b))
    # Progress group ids: the reference draws a random one per COPY --link group, ours derives
    # it from the step (documented in frontend/tests/golden/README.md); compared by which ops
    # share a group, not by value.
    groups = {}

    def regroup(x):
        if isinstance(x, list):
            if len(x) == 2 and x[0] == "progress_group" and isinstance(x[1], list):
                return ["progress_group", [["id", "group%d" % groups.setdefault(v, len(groups))] if n == "id" else [n, v]
                                           for n, v in x[1]]]
            return [regroup(y) for y in x]
        return x

    d = regroup(d)
    return {
        "ops": get(d, "def") and [rename(decode("Op", o)) for o in ops],
        "op_bytes": [o.hex() for o in ops],
        "metadata": get(d, "metadata"),
        "source": get(d, "Source") or get(d, "source"),
        "fields": [n for n, _ in d],
    }


def first_diff(a, b, path=""):
    """The first path where two decoded values differ, with both values there."""
    if type(a) is not type(b):
        return path, a, b
    if isinstance(a, list):
        # a message: fields by name; a pair [k, v]; or a list
        if all(isinstance(x, list) and len(x) == 2 and isinstance(x[0], str) for x in a + b) and a and b:
            an = [x[0] for x in a]
            bn = [x[0] for x in b]
            if an != bn and sorted(an) == sorted(bn):
                return path + " (field order)", an, bn
            for x, y in zip(a, b):
                if x[0] != y[0]:
                    return path + "." + x[0] + "|" + y[0], x, y
                p, u, v = first_diff(x[1], y[1], path + "." + x[0])
                if p is not None:
                    return p, u, v
            if len(a) != len(b):
                return path + " (fields)", an, bn
            return None, None, None
        for i, (x, y) in enumerate(zip(a, b)):
            p, u, v = first_diff(x, y, path + "[%d]" % i)
            if p is not None:
                return p, u, v
        if len(a) != len(b):
            return path + " (length)", len(a), len(b)
        return None, None, None
    if a != b:
        return path, a, b
    return None, None, None


def kind_of(path):
    """The mismatch class of a path: indexes and map keys dropped."""
    k = re.sub(r"\[\d+\]", "", path)
    k = re.sub(r"op\d+", "opN", k)
    return k


def source_locations(decoded_source):
    """{op name: [[(start line, start char, end line, end char), ...] per Location]}, infos"""
    locs, infos = {}, []
    for src in decoded_source:
        for name, val in src:
            if name == "locations":
                key, ls = val
                out = []
                for n2, loc in ls:
                    ranges = []
                    for n3, rg in loc:
                        if n3 != "ranges":
                            continue
                        d = dict(rg)
                        st, en = dict(d.get("start", [])), dict(d.get("end", []))
                        ranges.append((st.get("line", 0), st.get("character", 0), en.get("line", 0), en.get("character", 0)))
                    out.append(ranges)
                locs[key] = out
            elif name == "infos":
                infos.append(val)
    return locs, infos


def per_line(ranges):
    """Ranges split one per line, as the reference gives a multi-line instruction's lines."""
    out = []
    for r in ranges:
        sl, sc, el, ec = r
        if el > sl:
            out += [(l, 0, l, 0) for l in range(sl, el + 1)]
        else:
            out.append(r)
    return out


def compare_sources(o_src, r_src):
    """A list of (kind, detail) for the source maps."""
    out = []
    (ol, oi), (rl, ri) = source_locations(o_src), source_locations(r_src)
    if oi != ri:
        p, u, v = first_diff(oi, ri)
        out.append(("llb.sourcemap.infos" + kind_of(p or ""), "%s: ours %s / reference %s" % (p, short(u), short(v))))
    empty_only_ref = sorted(k for k in rl if k not in ol and not rl[k])
    empty_only_ours = sorted(k for k in ol if k not in rl and not ol[k])
    if empty_only_ref:
        out.append(("llb.sourcemap.empty-entry-only-in-reference",
                    "reference has an empty Locations entry for %s (an op without a location); ours has none" % ", ".join(empty_only_ref)))
    if empty_only_ours:
        out.append(("llb.sourcemap.empty-entry-only-in-ours", "ours: empty Locations entry for %s" % ", ".join(empty_only_ours)))
    keys = sorted(set(ol) | set(rl))
    perline, other = [], []
    for k in keys:
        if k in empty_only_ref or k in empty_only_ours:
            continue
        o, r = ol.get(k), rl.get(k)
        if o == r:
            continue
        if o is not None and r is not None and [per_line(x) for x in o] == r:
            perline.append("%s: ours %s / reference %s" % (k, o, r))
        else:
            other.append("%s: ours %s / reference %s" % (k, o, r))
    if perline:
        out.append(("llb.sourcemap.multi-line-range-not-per-line", perline[0]))
    if other:
        out.append(("llb.sourcemap.locations", other[0]))
    return out


def compare_definitions(ours, ref):
    """A list of (kind, detail), empty when the definitions are the same (map entry order
    aside, which Go randomises)."""
    if ours == ref:
        return []
    o, r = definition(ours), definition(ref)
    out = []
    for i, (x, y) in enumerate(zip(o["ops"], r["ops"])):
        p, u, v = first_diff(x, y)
        if p is not None:
            out.append(("llb.op" + kind_of(p), "op%d%s: ours %s / reference %s" % (i, p, short(u), short(v))))
            break
    if not out:
        if len(o["ops"]) != len(r["ops"]):
            out.append(("llb.op-count", "ours %d ops / reference %d" % (len(o["ops"]), len(r["ops"]))))
        elif o["op_bytes"] != r["op_bytes"]:
            if sorted(o["op_bytes"]) == sorted(r["op_bytes"]):
                out.append(("llb.op-order", "same ops, other definition order"))
            else:
                out.append(("llb.op-encoding", "same decoded ops, other bytes"))
    if out:
        return out  # later parts name ops by position: meaningless once ops differ
    p, u, v = first_diff(o["metadata"], r["metadata"])
    if p is not None:
        out.append(("llb.metadata" + kind_of(p), "%s: ours %s / reference %s" % (p, short(u), short(v))))
    out += compare_sources(o["source"], r["source"])
    p, u, v = first_diff(o["fields"], r["fields"])
    if p is not None:
        out.append(("llb.definition-encoding", "%s: ours %s / reference %s" % (p, short(u), short(v))))
    return out


def short(x, n=300):
    s = json.dumps(x, ensure_ascii=False)
    return s if len(s) <= n else s[:n] + "…"


def key_orders(x, path=""):
    """Every object's key order, by path."""
    out = {}
    if isinstance(x, dict):
        out[path or "."] = list(x.keys())
        for k, v in x.items():
            out.update(key_orders(v, path + "." + k))
    elif isinstance(x, list):
        for i, v in enumerate(x):
            out.update(key_orders(v, path + "[]"))
    return out


GO_ESCAPES = {"<": b"\\u003c", ">": b"\\u003e", "&": b"\\u0026"}


def compare_configs(ours, ref):
    """A list of (kind, detail) for the image config bytes."""
    if ours == ref:
        return []
    try:
        o, r = json.loads(ours), json.loads(ref)
    except ValueError as e:
        return [("config.invalid-json", str(e))]
    out = []
    if o != r:
        p, u, v = first_diff(to_pairs(o), to_pairs(r))
        out.append(("config.value" + kind_of(p or ""), "%s: ours %s / reference %s" % (p, short(u), short(v))))
    ko, kr = key_orders(o), key_orders(r)
    diff = [(p, ko[p], kr[p]) for p in ko if p in kr and ko[p] != kr[p] and sorted(ko[p]) == sorted(kr[p])]
    if diff:
        out.append(("config.key-order", "; ".join("%s: ours %s / reference %s" % d for d in diff[:2])))
    esc = [c for c, e in GO_ESCAPES.items() if e in ref and e not in ours]
    if esc:
        out.append(("config.go-html-escaping", "the reference writes %s as %s (Go's json.Marshal), ours raw" % (
            " ".join(esc), " ".join(GO_ESCAPES[c].decode() for c in esc))))
    if not out:
        out.append(("config.encoding", "same values, other bytes: ours %s / reference %s" % first_bytes(ours, ref)))
    return out


def first_bytes(a, b):
    i = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return a[max(0, i - 30):i + 30].decode("utf-8", "replace"), b[max(0, i - 30):i + 30].decode("utf-8", "replace")


def to_pairs(x):
    if isinstance(x, dict):
        return [[k, to_pairs(v)] for k, v in sorted(x.items())]
    if isinstance(x, list):
        return [to_pairs(v) for v in x]
    return x


def lines_of(err):
    return [[[r["start"][0], r["end"][0]] for r in src] for src in err.get("sources", [])]


def compare_errors(ours, ref):
    """Both failed: message, then the sources' line ranges (characters aside: ours has none).
    A list of (kind, detail)."""
    out = []
    if ours["message"] != ref["message"]:
        out.append(("error.message", "ours %s / reference %s" % (short(ours["message"]), short(ref["message"]))))
    lo, lr = lines_of(ours), lines_of(ref)
    if lo != lr:
        split = [[[a, b] for a, _, b, _ in per_line([(x, 0, y, 0) for x, y in src])] for src in lo]
        kind = "error.location.multi-line-range-not-per-line" if split == lr else "error.location"
        msg = short(ref["message"], 160)
        if ours["message"] != ref["message"]:
            msg = "reference %s, ours %s" % (msg, short(ours["message"], 160))
        out.append((kind, "%s: ours %s / reference %s" % (msg, lo, lr)))
    return out
