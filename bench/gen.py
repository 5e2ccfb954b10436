#!/usr/bin/env python3
"""Generates the benchmark Dockerfiles (deterministic: the same files every run).

  stages-N.Dockerfile   N stages, each: FROM, ARG, ENV, RUN, and COPY --from the stage before
                        (so the last stage needs all of them)
  instr-N.Dockerfile    one stage of N instructions cycling through ENV, ARG, RUN, COPY,
                        WORKDIR and LABEL (keys repeat, so the environment stays small)
  parallel-N.Dockerfile N independent stages that each sleep, joined by a last stage

Usage: gen.py OUT_DIR
"""
import os
import sys

BASE = "ARG BASE=busybox:latest\n"


def stages(n: int) -> str:
    out = [BASE]
    for i in range(n):
        out.append(f"\nFROM ${{BASE}} AS s{i}\n")
        out.append(f"ARG A{i}=arg-{i}\n")
        out.append(f"ENV E{i}=env-${{A{i}}} PATH=/usr/local/bin:/usr/bin:/bin\n")
        out.append(f'RUN echo "stage {i} $E{i}" > /out-{i}\n')
        if i > 0:
            out.append(f"COPY --from=s{i - 1} /out-{i - 1} /prev/\n")
    return "".join(out)


def instructions(n: int) -> str:
    out = [BASE, "FROM ${BASE}\n"]
    for i in range(n):
        k = i % 6
        if k == 0:
            out.append(f"ENV K{i % 16}=value-{i} L{i % 7}=${{K{(i + 3) % 16}:-unset}}\n")
        elif k == 1:
            out.append(f"ARG A{i % 16}=arg-{i}\n")
        elif k == 2:
            out.append(f'RUN echo "{i} $K{i % 16} ${{A{i % 16}}}" > /f{i % 64} && cat /f{i % 64}\n')
        elif k == 3:
            out.append(f"COPY src/f{i % 8}.txt /dst/{i}/\n")
        elif k == 4:
            out.append(f"WORKDIR /w/{i % 10}\n")
        else:
            out.append(f'LABEL l{i % 16}="label {i}"\n')
    return "".join(out)


def parallel(n: int, seconds: int) -> str:
    """N stages sleeping `seconds` each, side by side; NONCE defeats the cache between runs."""
    out = [BASE, "ARG NONCE=0\n"]
    for i in range(n):
        out.append(f"\nFROM ${{BASE}} AS p{i}\nARG NONCE\nRUN sleep {seconds} && echo {i} $NONCE > /done-{i}\n")
    out.append("\nFROM ${BASE}\n")
    for i in range(n):
        out.append(f"COPY --from=p{i} /done-{i} /\n")
    return "".join(out)


STAGE_COUNTS = (1, 10, 100, 1000)
INSTRUCTIONS = 10000
FILES = [f"stages-{n}.Dockerfile" for n in STAGE_COUNTS] + [f"instr-{INSTRUCTIONS}.Dockerfile"]


def write_all(out_dir: str) -> None:
    os.makedirs(out_dir, exist_ok=True)
    files = {f"stages-{n}.Dockerfile": stages(n) for n in STAGE_COUNTS}
    files[f"instr-{INSTRUCTIONS}.Dockerfile"] = instructions(INSTRUCTIONS)
    for name, text in files.items():
        with open(os.path.join(out_dir, name), "w") as f:
            f.write(text)


def main() -> None:
    write_all(sys.argv[1])


if __name__ == "__main__":
    main()
