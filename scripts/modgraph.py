#!/usr/bin/env python3
"""The file- and module-level dependency graph of the Rust sources, and its rules.

    scripts/modgraph.py [--cycles]   strongly connected components (size > 1) of the file graph,
                                     with the lines making each edge (exit 1 if any)
    scripts/modgraph.py --modules    the top-level-module graph of each crate, checked against the
                                     layering rules (CHAIN, MUST_NOT, IO_* below; exit 1 on a
                                     violation); `--cycles --modules` runs both
    scripts/modgraph.py --dot        the file graph as Graphviz (with --modules: the module graph)
    --tests                          also read test code (default: left out, see below)
    --through-reexports              follow each name through the `use` items of the file it is
                                     named in to the file it comes from (a `pub use` is then no
                                     edge): the cycles that remain are between defining files
    --root DIR                       another checkout (default: this script's repository)

Standard library only; no recursion (use trees, the module tree and Tarjan's algorithm are
walked with explicit stacks).

Crates read: frontend/src (lib.rs and main.rs, two crate roots), llb/src, proto/src. The module
tree is found by following `mod x;` declarations from each root (`#[path]` honoured), but a `mod`
declaration is never an edge. Edges come from `use crate::…`, `use super::…`, `use self::…`,
`use child::…` (a child module of the current module), `use other_crate::…`, and from the same
paths written inline in code (`crate::a::b::f()`, `super::x::T`, `child::f()`); comments and
string literals are stripped first, `use` groups (`{a, b::{c, self}}`) may span lines, and
`super` is resolved against the module the path is written in (inline `mod m { … }` included).
A path maps to the deepest existing file among its prefixes: `crate::a::b::C` -> `a/b.rs`,
`a/b/mod.rs`, `a.rs`, `a/mod.rs`, then the crate root. So a name re-exported by `a/mod.rs` is an
edge to `a/mod.rs`, and `pub use child::X` in `a/mod.rs` is an edge to the child.

Test code is left out unless --tests: files whose name ends with `tests.rs`, files (and
directories) declared by a `#[cfg(test)] mod`, and `#[cfg(test)]` items inside other files
(inline `mod tests { … }`).

Module-level names: the top-level module of the file in its crate (`convert`, `gateway`, …; `lib`
and `main` for the roots; `cli` and `heap` are modules of the binary crate, whose paths
`dockerfile_frontend::x` lead to the library's `x`). Other crates appear as `llb`
(`buildkit_llb`) and `proto` (`buildkit_proto`, and `buildkit_llb::pb`, the same types).
"""

import argparse
import bisect
import os
import re
import signal
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# package -> (source directory, {crate root file: the crate's name as paths write it})
PACKAGES = {
    "frontend": ("frontend/src", {"lib.rs": "dockerfile_frontend", "main.rs": "bin"}),
    "llb": ("llb/src", {"lib.rs": "buildkit_llb"}),
    "proto": ("proto/src", {"lib.rs": "buildkit_proto"}),
}
# crate name as written in paths -> module-level node
EXTERNAL = {"buildkit_llb": "llb", "buildkit_proto": "proto"}

# ---- layering rules (module level) -----------------------------------------------------------

# The language pipeline, lowest first: a module may use the ones before it, never the ones after.
CHAIN = ["shell", "syntax", "instructions", "convert", "lint", "subrequests", "gateway"]
# package -> module -> modules (or the crates `llb`/`proto`) it must not use, beyond what CHAIN
# says; "*" is a leaf: nothing else in its crate (other crates are fine).
MUST_NOT = {
    "frontend": {
        "gocompat": "*",
        "heap": "*",
        "shell": {"llb", "proto", "error", "options", "image", "dockerignore"},
        "syntax": {"llb", "proto", "error", "options", "image", "dockerignore"},
        "instructions": {"llb", "proto", "error", "options", "image", "dockerignore"},
        "convert": {"proto", "error"},  # the wire protocol only through `llb`
        "lint": {"proto", "error"},
        "image": set(CHAIN) | {"error", "options", "dockerignore", "proto"},
        "dockerignore": set(CHAIN) | {"error", "options", "image", "proto"},
        "options": set(CHAIN[3:]) | {"error", "image", "dockerignore"},
        "error": set(CHAIN[2:]) | {"options", "image", "dockerignore", "llb"},
        "cli": {"gateway"},  # the offline tool: no daemon, no async
    },
    "llb": {"digest": "*"},
}
# Only these modules may do I/O or be async; the rest of the library is a pure converter.
IO_ALLOWED = {"gateway", "main", "cli", "heap"}
IO_PATHS = [
    ("tokio",), ("futures",), ("hyper_util",), ("tower",), ("tonic",),
    ("std", "fs"), ("std", "process"), ("std", "thread"), ("std", "net", "TcpStream"),
    ("std", "net", "TcpListener"), ("std", "net", "UdpSocket"), ("std", "os"),
    ("std", "env", "var"), ("std", "env", "var_os"), ("std", "env", "vars"),
    ("std", "env", "args"), ("std", "env", "args_os"), ("std", "env", "set_var"),
    ("std", "env", "current_dir"), ("std", "io", "stdin"), ("std", "io", "stdout"),
    ("std", "io", "stderr"),
]
IO_EXCEPT = [("tonic", "Status"), ("tonic", "Code")]  # data types, used to read a gRPC error


# ---- lexing ----------------------------------------------------------------------------------

RAW_STR = re.compile(r'(?:b|c)?r(#*)"')
TOKEN = re.compile(r"([^\W\d]\w*)|(\d\w*)|(::|\S)")


def strip(text):
    """Text with comments removed and each string literal replaced by `__STR<k>__` (contents
    kept in the returned list), char literals by `0`; newlines are kept for line numbers."""
    out, strings = [], []
    i, n = 0, len(text)
    ident = lambda k: k >= 0 and (text[k].isalnum() or text[k] == "_")  # noqa: E731
    while i < n:
        c = text[i]
        if c == "/" and text.startswith("//", i):
            j = text.find("\n", i)
            i = n if j < 0 else j
            continue
        if c == "/" and text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth, j = depth + 1, j + 2
                elif text.startswith("*/", j):
                    depth, j = depth - 1, j + 2
                else:
                    j += 1
            out.append(" " + "\n" * text.count("\n", i, j))
            i = j
            continue
        m = RAW_STR.match(text, i) if c in "bcr" and not ident(i - 1) else None
        if m:
            close = '"' + m.group(1)
            j = text.find(close, m.end())
            j = n if j < 0 else j
            strings.append(text[m.end():j])
            out.append(" __STR%d__ " % (len(strings) - 1) + "\n" * text.count("\n", i, j))
            i = j + len(close)
            continue
        if c == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            strings.append(text[i + 1:j])
            out.append(" __STR%d__ " % (len(strings) - 1) + "\n" * text.count("\n", i, j))
            i = j + 1
            continue
        if c == "'":
            if i + 1 < n and text[i + 1] == "\\":
                j = text.find("'", i + 3)
                i = n if j < 0 else j + 1
                out.append(" 0 ")
                continue
            if i + 2 < n and text[i + 2] == "'":
                out.append(" 0 ")
                i += 3
                continue
        out.append(c)
        i += 1
    return "".join(out), strings


def tokenize(code):
    starts = [0] + [m.end() for m in re.finditer("\n", code)]
    toks = []
    for m in TOKEN.finditer(code):
        line = bisect.bisect_right(starts, m.start())
        toks.append((m.group(0), line, m.group(1) is not None))
    return toks


def is_cfg_test(attr):
    words = [t for t, _, _ in attr]
    return bool(words) and words[0] == "cfg" and "test" in words and "not" not in words


def item_end(toks, i):
    """Index just past the item starting at toks[i] (for `#[cfg(test)]` items)."""
    n, d, j = len(toks), 0, i
    k = i + 1 if toks[i][0] == "pub" else i
    if k > i and k < n and toks[k][0] == "(":
        while k < n and toks[k][0] != ")":
            k += 1
        k += 1
    is_use = k < n and toks[k][0] == "use"
    while j < n:
        t = toks[j][0]
        if t in "([{":
            d += 1
        elif t in ")]}":
            d -= 1
            if d < 0:
                return j
            if d == 0 and t == "}" and not is_use:
                return j + 1
        elif t == ";" and d == 0:
            return j + 1
        j += 1
    return n


def use_paths(toks, i):
    """Expand the use tree starting after `use` at toks[i] (iteratively: a stack of group
    prefixes). Returns ([(segments, line, alias)], end); alias is the `as` name, `*` for a glob,
    or None."""
    n, paths = len(toks), []
    stack, cur, alias, line = [[]], [], None, toks[i][1] if i < len(toks) else 0
    j = i
    while j < n:
        t, ln, isid = toks[j]
        if t == ";":
            j += 1
            break
        if t == "as" and j + 1 < n:
            alias = toks[j + 1][0]
            j += 2
            continue
        if isid:
            if not cur:
                line = ln
            cur.append(t)
        elif t == "{":
            stack.append(stack[-1] + cur)
            cur = []
        elif t in (",", "}"):
            if cur:
                paths.append((stack[-1] + cur, line, alias))
            cur, alias = [], None
            if t == "}":
                stack.pop()
                if not stack:
                    stack = [[]]
        elif t == "*":
            paths.append((stack[-1] + cur, ln, "*"))
            cur, alias = [], None
        j += 1
    if cur:
        paths.append((stack[-1] + cur, line, alias))
    out = []
    for segs, ln, al in paths:
        if len(segs) > 1 and segs[-1] == "self":
            segs = segs[:-1]
        if segs:
            out.append((segs, ln, al))
    return out, j


def scan(toks):
    """Walk a file's tokens. Returns (refs, mods, asyncs):
    refs:   (segments, inline module path, line, in_test, use) where use is None for a path
            in code, else (alias, is_pub) for a `use` item
    mods:   (name, inline module path, path attribute or None, in_test) for `mod x;`
    asyncs: (line, in_test) of `async`/`await`."""
    refs, mods, asyncs = [], [], []
    n, i, depth = len(toks), 0, 0
    inline = []  # (name, depth inside its braces)
    test_until = -1  # tokens before this index are test code (a `#[cfg(test)]` item)
    pending_test, pending_path = False, None
    prev = None
    while i < n:
        t, line, isid = toks[i]
        in_test = i < test_until
        if t == "#" and i + 1 < n and toks[i + 1][0] in ("[", "!"):
            j = i + 1 + (toks[i + 1][0] == "!")
            if j < n and toks[j][0] == "[":
                d, k = 0, j
                while k < n:
                    if toks[k][0] in "[(":
                        d += 1
                    elif toks[k][0] in "])":
                        d -= 1
                        if d == 0:
                            break
                    k += 1
                attr = toks[j + 1:k]
                if is_cfg_test(attr):
                    if toks[i + 1][0] == "!":
                        test_until = n  # #![cfg(test)]: the whole file
                    else:
                        pending_test = True
                elif attr and attr[0][0] == "path" and len(attr) >= 3:
                    pending_path = attr[2][0]
                i, prev = k + 1, "]"
                continue
        if pending_test:
            test_until = max(test_until, item_end(toks, i))
            in_test = True
            pending_test = False
        if t == "mod" and i + 2 < n and toks[i + 1][2]:
            name, nxt = toks[i + 1][0], toks[i + 2][0]
            if nxt == ";":
                mods.append((name, [m for m, _ in inline], pending_path, in_test))
                pending_path = None
                i, prev = i + 3, ";"
                continue
            if nxt == "{":
                depth += 1
                inline.append((name, depth))
                i, prev = i + 3, "{"
                continue
        if t == "{":
            depth += 1
        elif t == "}":
            if inline and inline[-1][1] == depth:
                inline.pop()
            depth -= 1
        elif t == "use" and prev not in ("::", "."):
            paths, j = use_paths(toks, i + 1)
            here = [m for m, _ in inline]
            back = [x[0] for x in toks[max(0, i - 6):i]]
            is_pub = prev == "pub" or (prev == ")" and "pub" in back)
            for segs, ln, alias in paths:
                refs.append((segs, here, ln, in_test, (alias, is_pub)))
            i, prev = j, ";"
            continue
        elif t in ("async", "await"):
            asyncs.append((line, in_test))
        elif isid and i + 2 < n and toks[i + 1][0] == "::" and toks[i + 2][2] \
                and prev not in ("::", ".", "$"):
            segs, j = [t], i + 1
            while j + 1 < n and toks[j][0] == "::" and toks[j + 1][2]:
                segs.append(toks[j + 1][0])
                j += 2
            refs.append((segs, [m for m, _ in inline], line, in_test, None))
            i, prev = j, segs[-1]
            continue
        if t in (";", "{", "}"):
            pending_path = None
        prev = t
        i += 1
    return refs, mods, asyncs


# ---- the module tree -------------------------------------------------------------------------

class File:
    def __init__(self, rel, pkg, crate, modpath, test):
        self.rel, self.pkg, self.crate, self.modpath, self.test = rel, pkg, crate, modpath, test
        with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
            self.lines = f.read().split("\n")
        code, self.strings = strip("\n".join(self.lines))
        self.refs, self.mods, self.asyncs = scan(tokenize(code))

    def top(self):
        if self.modpath:
            return self.modpath[0]
        return "main" if self.crate == "bin" else "lib"

    def source_line(self, line):
        return self.lines[line - 1].strip() if 0 < line <= len(self.lines) else ""


def load():
    """All files reachable from the crate roots: {rel: File}, {crate: {modpath tuple: rel}}."""
    files, modmap = {}, {}
    for pkg, (src, roots) in PACKAGES.items():
        for root, crate in roots.items():
            modmap[crate] = {}
            todo = [(os.path.join(src, root), (), False)]
            while todo:
                rel, modpath, test = todo.pop()
                test = test or os.path.basename(rel).endswith("tests.rs")
                if rel in files or not os.path.isfile(os.path.join(ROOT, rel)):
                    continue
                f = File(rel, pkg, crate, list(modpath), test)
                files[rel] = f
                modmap[crate][modpath] = rel
                base = os.path.dirname(rel)
                owner = os.path.basename(rel) in ("mod.rs", "lib.rs", "main.rs")
                for name, inl, path_attr, in_test in f.mods:
                    if path_attr is not None and not inl:
                        f_path = f.strings[int(path_attr[5:-2])] if path_attr.startswith("__STR") \
                            else path_attr
                        cands = [os.path.normpath(os.path.join(base, f_path))]
                    else:
                        d = base if owner else os.path.join(base, os.path.basename(rel)[:-3])
                        d = os.path.join(d, *inl) if inl else d
                        cands = [os.path.join(d, name + ".rs"), os.path.join(d, name, "mod.rs")]
                    for c in cands:
                        if os.path.isfile(os.path.join(ROOT, c)):
                            todo.append((c, modpath + tuple(inl) + (name,), test or in_test))
                            break
    for pkg, (src, _) in PACKAGES.items():
        for d, _, names in os.walk(os.path.join(ROOT, src)):
            for nm in names:
                rel = os.path.relpath(os.path.join(d, nm), ROOT)
                if nm.endswith(".rs") and rel not in files:
                    print("warning: %s is not reached from a crate root" % rel, file=sys.stderr)
    return files, modmap


def resolve(f, inl, segs, modmap, files):
    """('file', rel, rest) | ('ext', module-level name) | ('other', segs) | None; rest is what
    follows the file's module in the path (the item named, and what is inside it)."""
    cur = f.modpath + inl
    crate, first = f.crate, segs[0]
    if first == "crate":
        full = segs[1:]
    elif first == "self":
        full = cur + segs[1:]
    elif first == "super":
        k = 0
        while k < len(segs) and segs[k] == "super":
            k += 1
        if k > len(cur):
            return None
        full = cur[:len(cur) - k] + segs[k:]
    elif tuple(cur + [first]) in modmap[crate]:
        full = cur + segs  # a child module, named without `self::`
    elif first in modmap and first != crate:
        if first in EXTERNAL:
            if first == "buildkit_llb" and len(segs) > 1 and segs[1] == "pb":
                return ("ext", "proto")
            return ("ext", EXTERNAL[first])
        crate, full = first, segs[1:]
    else:
        return ("other", segs)
    mm = modmap[crate]
    for k in range(len(full), -1, -1):
        rel = mm.get(tuple(full[:k]))
        if rel is not None:
            return ("file", rel, full[k:])
    return None


def imports(f, include_tests):
    """{name: segments} of the file's own `use` items (not globs, not in inline modules)."""
    out = {}
    for segs, inl, _, in_test, use in f.refs:
        if use is None or inl or (in_test and not include_tests) or use[0] == "*":
            continue
        name = use[0] or segs[-1]
        if name != "_":
            out[name] = segs
    return out


def follow(r, modmap, files, include_tests, cache):
    """Where a resolved path really leads: while the item it names was brought into its file by
    a `use`, resolve that `use` instead (a re-export, or a name a child reaches with super::)."""
    seen = set()
    while r and r[0] == "file" and r[2] and (r[1], r[2][0]) not in seen:
        rel, rest = r[1], r[2]
        seen.add((rel, rest[0]))
        if rel not in cache:
            cache[rel] = imports(files[rel], include_tests)
        segs = cache[rel].get(rest[0])
        if segs is None:
            break
        nxt = resolve(files[rel], [], segs, modmap, files)
        if nxt is None or nxt[0] == "other":
            break
        r = nxt if nxt[0] == "ext" else ("file", nxt[1], nxt[2] + rest[1:])
    return r


def build(include_tests, through_reexports=False):
    files, modmap = load()
    cache = {}
    nodes = sorted(r for r, f in files.items() if include_tests or not f.test)
    edges = {}  # (src, dst) -> [(line, text)]
    ext = {}    # (src, external module) -> [(line, text)]
    io = []     # (rel, line, what)
    for rel in nodes:
        f = files[rel]
        for segs, inl, line, in_test, use in f.refs:
            if in_test and not include_tests:
                continue
            r = resolve(f, inl, segs, modmap, files)
            if r is None:
                continue
            if through_reexports:
                if use is not None and use[1]:
                    continue  # a `pub use` only passes names on
                r = follow(r, modmap, files, include_tests, cache)
            if r[0] == "file":
                dst = r[1]
                if dst == rel or (files[dst].test and not include_tests):
                    continue
                edges.setdefault((rel, dst), []).append((line, f.source_line(line)))
            elif r[0] == "ext":
                ext.setdefault((rel, r[1]), []).append((line, f.source_line(line)))
            else:
                s = tuple(segs)
                if any(s[:len(p)] == p for p in IO_PATHS) and \
                        not any(s[:len(p)] == p for p in IO_EXCEPT):
                    io.append((rel, line, "::".join(segs)))
        for line, in_test in f.asyncs:
            if include_tests or not in_test:
                io.append((rel, line, "async/await"))
    return files, nodes, edges, ext, io


# ---- graphs ----------------------------------------------------------------------------------

def tarjan(nodes, succ):
    """Strongly connected components, iteratively (no recursion)."""
    index, low, on, stack, comps, counter = {}, {}, set(), [], [], 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(succ.get(root, ())))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on.add(root)
        while work:
            v, it = work[-1]
            w = next(it, None)
            if w is not None:
                if w not in index:
                    index[w] = low[w] = counter
                    counter += 1
                    stack.append(w)
                    on.add(w)
                    work.append((w, iter(succ.get(w, ()))))
                elif w in on:
                    low[v] = min(low[v], index[w])
                continue
            work.pop()
            if work:
                u = work[-1][0]
                low[u] = min(low[u], low[v])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                comps.append(sorted(comp))
    return comps


def successors(edges):
    succ = {}
    for a, b in sorted(edges):
        succ.setdefault(a, []).append(b)
    return succ


def cmd_cycles(files, nodes, edges, followed=None):
    comps = [c for c in tarjan(nodes, successors(edges)) if len(c) > 1]
    if not comps:
        print("no cycles between files (%d files, %d edges)" % (len(nodes), len(edges)))
        return 0
    comps.sort(key=lambda c: (-len(c), c))
    print("%d file cycle(s) (%d files, %d edges)" % (len(comps), len(nodes), len(edges)))
    for k, comp in enumerate(comps, 1):
        inside = set(comp)
        print("\ncycle %d: %d files" % (k, len(comp)))
        for rel in comp:
            print("  " + rel)
        print("  edges inside it (the lines that make them):")
        for (a, b), locs in sorted(edges.items()):
            if a in inside and b in inside:
                print("    %s -> %s" % (a, b))
                seen = set()
                for line, text in locs:
                    if line not in seen:
                        seen.add(line)
                        print("      %s:%d: %s" % (a, line, text))
    if followed is not None:
        left = [c for c in tarjan(nodes, successors(followed)) if len(c) > 1]
        print("\nwith --through-reexports (each name at the file that defines it, `pub use` no"
              " edge): %d cycle(s)" % len(left))
        for c in left:
            d = os.path.commonpath(c)
            print("  %s/: %s" % (d, ", ".join(os.path.relpath(r, d) for r in c)))
    return 1


def module_graph(files, edges, ext):
    medges = {}  # pkg -> {(a, b): [(rel, line, text)]}
    for (a, b), locs in edges.items():
        fa, fb = files[a], files[b]
        target = fb.top() if fa.pkg == fb.pkg else fb.pkg  # another package: its name
        if target == fa.top():
            continue
        g = medges.setdefault(fa.pkg, {})
        g.setdefault((fa.top(), target), []).extend((a, ln, t) for ln, t in locs)
    for (a, name), locs in ext.items():
        fa = files[a]
        g = medges.setdefault(fa.pkg, {})
        g.setdefault((fa.top(), name), []).extend((a, ln, t) for ln, t in locs)
    return medges


def violations(files, medges, io):
    out = []
    for pkg, rules in MUST_NOT.items():
        for (a, b), locs in sorted(medges.get(pkg, {}).items()):
            why = None
            if pkg == "frontend" and a in CHAIN and b in CHAIN and \
                    CHAIN.index(b) > CHAIN.index(a):
                why = "%s is below %s in %s" % (a, b, " <- ".join(CHAIN))
            rule = rules.get(a)
            if rule == "*" and b not in PACKAGES:
                why = "%s is a leaf: it must not depend on %s" % (a, b)
            elif rule and rule != "*" and b in rule:
                why = "%s must not depend on %s" % (a, b)
            if why:
                out.append((why, locs))
    for (a, b), locs in sorted(medges.get("llb", {}).items()):
        if b not in ("proto",) and b not in {files[r].top() for r in files
                                             if files[r].pkg == "llb"}:
            out.append(("llb must know nothing of Dockerfiles (%s)" % b, locs))
    for pkg in ("llb", "proto"):
        with open(os.path.join(ROOT, pkg, "Cargo.toml"), encoding="utf-8") as fh:
            if "dockerfile-frontend" in fh.read():
                out.append(("%s/Cargo.toml depends on dockerfile-frontend" % pkg, []))
    for rel, line, what in sorted(io):
        f = files[rel]
        if (f.pkg == "frontend" and f.top() not in IO_ALLOWED) or f.pkg == "llb":
            out.append(("I/O or async outside gateway and the binary: %s" % what,
                        [(rel, line, f.source_line(line))]))
    return out


def cmd_modules(files, edges, ext, io):
    medges = module_graph(files, edges, ext)
    for pkg in PACKAGES:
        g = medges.get(pkg, {})
        print("%s:" % pkg)
        for a, b in sorted(g):
            print("  %s -> %s" % (a, b))
    bad = violations(files, medges, io)
    print()
    if not bad:
        print("layering: ok (%s; gocompat, heap and llb's digest leaves; convert uses the wire"
              " protocol only through llb; llb knows no Dockerfile; I/O and async only in %s)"
              % (" <- ".join(CHAIN), ", ".join(sorted(IO_ALLOWED))))
        return 0
    print("layering: %d violation(s)" % len(bad))
    for why, locs in bad:
        print("  " + why)
        for rel, line, text in sorted(set(locs))[:20]:
            print("    %s:%d: %s" % (rel, line, text))
    return 1


def cmd_dot(files, nodes, edges, ext, modules):
    print("digraph deps {\n  rankdir=LR;\n  node [shape=box, fontsize=10];")
    if modules:
        for pkg, g in module_graph(files, edges, ext).items():
            for a, b in sorted(g):
                dst = b if b in PACKAGES else "%s:%s" % (pkg, b)  # another crate: its name
                print('  "%s:%s" -> "%s";' % (pkg, a, dst))
    else:
        by_pkg = {}
        for rel in nodes:
            by_pkg.setdefault(files[rel].pkg, []).append(rel)
        for pkg, rels in by_pkg.items():
            print('  subgraph "cluster_%s" {\n    label="%s";' % (pkg, pkg))
            for rel in rels:
                print('    "%s";' % rel)
            print("  }")
        for a, b in sorted(edges):
            print('  "%s" -> "%s";' % (a, b))
    print("}")
    return 0


def main():
    global ROOT
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = ap.add_mutually_exclusive_group()
    mode.add_argument("--cycles", action="store_true", help="file cycles (default)")
    mode.add_argument("--dot", action="store_true", help="Graphviz of the file graph")
    ap.add_argument("--modules", action="store_true",
                    help="module graph and layering rules (with --dot: its Graphviz)")
    ap.add_argument("--tests", action="store_true", help="read test code too")
    ap.add_argument("--through-reexports", action="store_true",
                    help="attribute a name to the file it comes from, seen through the `use` "
                         "items (re-exports) of the file it is named in; `pub use` is no edge")
    ap.add_argument("--root", default=ROOT, help="the repository (default: this script's)")
    args = ap.parse_args()
    ROOT = os.path.abspath(args.root)
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)
    files, nodes, edges, ext, io = build(args.tests, args.through_reexports)
    if args.dot:
        return cmd_dot(files, nodes, edges, ext, args.modules)
    status = 0
    if not args.modules or args.cycles:
        followed = None if args.through_reexports else build(args.tests, True)[2]
        status = cmd_cycles(files, nodes, edges, followed)
    if args.modules:
        if args.cycles:
            print()
        status = max(status, cmd_modules(files, edges, ext, io))
    return status


if __name__ == "__main__":
    sys.exit(main())
