#!/usr/bin/env python3
"""Reads `buildctl debug dump-llb` output and prints one op per line, keys sorted, with each
digest replaced by the op's position (op0, op1, …) so a diff shows what differs, not its
cascade of digests. The last line lists the digests in order for byte-level comparison."""
import json
import sys

ops = [json.loads(line) for line in sys.stdin if line.strip()]
names = {op["Digest"]: f"op{i}" for i, op in enumerate(ops)}


def rename(v):
    if isinstance(v, dict):
        return {k: rename(x) for k, x in v.items()}
    if isinstance(v, list):
        return [rename(x) for x in v]
    if isinstance(v, str) and v in names:
        return names[v]
    return v


for i, op in enumerate(ops):
    d = rename(op)
    d.pop("Digest", None)
    print(f"op{i}: " + json.dumps(d, sort_keys=True))
