#!/usr/bin/env python3
"""Registers, spills and shared memory of every kernel in a PTX file.

Runs `ptxas -v` (the CUDA toolkit's assembler) on PTX written by `dsv2c emit
--stage ptx` or `dsv2-translate-gpu --emit=ptx`, and prints one row per
kernel: threads per block and dynamic shared-memory bytes (from the
`// dsv2 kernel` lines dsv2c writes at the top of the PTX), registers per
thread, spill stores/loads, stack frame and static shared memory, and its
global load instructions by the bytes each moves (from the PTX). Exit code
1 when ptxas fails or, with --max-spill-bytes N, when a kernel spills more.

    tools/gpu/ptx_resources.py tiny.ptx --arch sm_90a [--ptxas PATH] [--json]
"""

import argparse
import json
import re
import shutil
import subprocess
import sys


def parse_launch(ptx_text):
    launch = {}
    for match in re.finditer(
            r"^// dsv2 kernel (\S+) threads=(\d+) shared_bytes=(\d+)$",
            ptx_text, re.M):
        launch[match.group(1)] = (int(match.group(2)), int(match.group(3)))
    return launch


GLOBAL_LOAD = re.compile(r"\bld\.global(?:\.nc)?(?:\.v(\d))?\.[bsuf](\d+)")


def global_load_widths(ptx_text):
    """Per kernel: how many global load instructions move 1, 2, 4, 8 and 16
    bytes (a run of neighbouring elements is one 8- or 16-byte load; the
    scalar fallbacks of misaligned runs are counted too)."""
    widths = {}
    entries = list(re.finditer(r"\.entry (\S+)\(", ptx_text))
    for index, entry in enumerate(entries):
        end = entries[index + 1].start() if index + 1 < len(entries) else None
        counts = {1: 0, 2: 0, 4: 0, 8: 0, 16: 0}
        for match in GLOBAL_LOAD.finditer(ptx_text[entry.end():end]):
            lanes = int(match.group(1) or 1)
            size = lanes * int(match.group(2)) // 8
            counts[size] = counts.get(size, 0) + 1
        widths[entry.group(1)] = counts
    return widths


def parse_ptxas(report):
    kernels = {}
    current = None
    for line in report.splitlines():
        match = re.search(r"Compiling entry function '([^']+)'", line)
        if match:
            current = kernels.setdefault(match.group(1), {})
            continue
        match = re.search(r"Function properties for (\S+)", line)
        if match:
            current = kernels.setdefault(match.group(1), {})
            continue
        if current is None:
            continue
        match = re.search(r"(\d+) bytes stack frame, (\d+) bytes spill stores, "
                          r"(\d+) bytes spill loads", line)
        if match:
            current["stack"], current["spill_stores"], current["spill_loads"] = (
                int(g) for g in match.groups())
        match = re.search(r"Used (\d+) registers", line)
        if match:
            current["registers"] = int(match.group(1))
            smem = re.search(r"(\d+) bytes smem", line)
            current["static_smem"] = int(smem.group(1)) if smem else 0
    return kernels


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ptx")
    parser.add_argument("--arch", default="sm_90a")
    parser.add_argument("--ptxas", default=shutil.which("ptxas") or
                        "/usr/local/cuda/bin/ptxas")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--max-spill-bytes", type=int, default=None)
    args = parser.parse_args()

    with open(args.ptx) as f:
        text = f.read()
    launch = parse_launch(text)
    widths = global_load_widths(text)
    run = subprocess.run([args.ptxas, "-v", f"-arch={args.arch}", args.ptx,
                          "-o", "/dev/null"], capture_output=True, text=True)
    if run.returncode != 0:
        sys.stderr.write(run.stdout + run.stderr)
        print(f"ptx_resources: ptxas -arch={args.arch} failed on {args.ptx}",
              file=sys.stderr)
        return 1
    kernels = parse_ptxas(run.stdout + run.stderr)
    rows = []
    for name, info in sorted(kernels.items()):
        threads, shared = launch.get(name, (None, None))
        rows.append(dict(kernel=name, threads=threads, dynamic_smem=shared,
                         registers=info.get("registers"),
                         spill_stores=info.get("spill_stores", 0),
                         spill_loads=info.get("spill_loads", 0),
                         stack=info.get("stack", 0),
                         static_smem=info.get("static_smem", 0),
                         global_loads_by_bytes=widths.get(name, {})))
    if args.json:
        print(json.dumps(dict(arch=args.arch, kernels=rows), indent=1))
    else:
        print(f"{'kernel':56} {'threads':>7} {'regs':>5} {'spill st/ld':>12} "
              f"{'stack':>6} {'smem dyn':>9}  ld.global 1/2/4/8/16 B")
        for row in rows:
            loads = "/".join(str(row["global_loads_by_bytes"].get(size, 0))
                             for size in (1, 2, 4, 8, 16))
            print(f"{row['kernel']:56} {row['threads'] or '?':>7} "
                  f"{row['registers']:>5} "
                  f"{row['spill_stores']:>5}/{row['spill_loads']:<6} "
                  f"{row['stack']:>6} {row['dynamic_smem'] or 0:>9}  {loads}")
        worst = max((r["spill_stores"] + r["spill_loads"] for r in rows),
                    default=0)
        total = sum(sum(r["global_loads_by_bytes"].values()) for r in rows)
        wide = sum(r["global_loads_by_bytes"].get(size, 0)
                   for r in rows for size in (8, 16))
        print(f"{len(rows)} kernels for {args.arch}; largest spill "
              f"{worst} bytes; most registers "
              f"{max((r['registers'] or 0 for r in rows), default=0)}; "
              f"{wide} of {total} global loads move 8 or 16 bytes")
    if args.max_spill_bytes is not None and any(
            r["spill_stores"] + r["spill_loads"] > args.max_spill_bytes
            for r in rows):
        print("ptx_resources: a kernel spills more than "
              f"{args.max_spill_bytes} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
