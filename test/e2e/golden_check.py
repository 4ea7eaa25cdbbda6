#!/usr/bin/env python3
"""Checks `dsv2c eval`, or a compiled engine under `dsv2-run`, against a
fixture's golden logits (standard library only).

For every case in FIXTURE/golden/cases.json, runs one prefill and each
--decode-split K, and requires max|logits - golden| <= tol * max|golden|
and the same greedy (argmax) token at every position. With --engine ENGINE
the runs are `dsv2-run ENGINE --max-new-tokens 0 --dump-logits ...` (after
--launcher, e.g. mpirun, for a multi-rank engine), and
--greedy-new-tokens N also generates N ids from each case's prompt
(tokens[:prompt_len]) with `--quiet` and requires the fixture's greedy
continuation (tokens[prompt_len:][:N]). With --batch (and --engine) every
case runs in one batch (`--tokens-file`, each case's logits to its own
`.i.npy`): the prompts share batched prefill steps and, past a
--decode-split, batched decode steps. With --golden-eval ARGS the
goldens are not the fixture's but `dsv2c eval --model FIXTURE ARGS` of
each case (e.g. "--quantize int8": the reference interpreter on the
weights an int8 engine holds); --write-goldens DIR writes those into DIR
and exits, and --golden-dir DIR reads them back on a machine without
dsv2c (tools/gpu/gpu-check.sh). Prints one line per run; exits 1 if any
run failed.
"""

import argparse
import array
import ast
import json
import os
import subprocess
import sys
import tempfile


def read_npy_f32(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:6] != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file")
    major = data[6]
    if major == 1:
        header_len = int.from_bytes(data[8:10], "little")
        start = 10
    else:
        header_len = int.from_bytes(data[8:12], "little")
        start = 12
    header = ast.literal_eval(data[start:start + header_len].decode("latin1"))
    if header["descr"] != "<f4" or header["fortran_order"]:
        raise ValueError(f"{path}: expected little-endian float32 C order")
    values = array.array("f")
    values.frombytes(data[start + header_len:])
    return tuple(header["shape"]), values


def golden_path(args, case, tmp):
    """The case's golden logits: the fixture's, `dsv2c eval` with
    --golden-eval's arguments (written once into tmp), or --golden-dir's
    file of the same name (written beforehand, e.g. by --write-goldens)."""
    if args.golden_dir:
        return os.path.join(args.golden_dir, case["logits"])
    if args.golden_eval is None:
        return os.path.join(args.fixture, "golden", case["logits"])
    path = os.path.join(tmp, "golden-" + case["logits"])
    if not os.path.exists(path):
        cmd = [args.dsv2c, "eval", "--model", args.fixture, "--tokens",
               ",".join(map(str, case["tokens"])), "--dump-logits", path]
        cmd += args.golden_eval.split()
        result = subprocess.run(cmd, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} exited {result.returncode}: "
                               f"{result.stderr.strip()}")
    return path


def argmax_rows(values, rows, cols):
    out = []
    for r in range(rows):
        row = values[r * cols:(r + 1) * cols]
        out.append(max(range(cols), key=row.__getitem__))
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dsv2c", default="dsv2c")
    parser.add_argument("--fixture", required=True)
    parser.add_argument("--decode-splits", default="",
                        help="comma-separated K values (each clipped to the case length)")
    parser.add_argument("--tolerance", type=float, default=1e-4)
    parser.add_argument("--extra", default="", help="extra dsv2c eval arguments")
    parser.add_argument("--engine", help="run this engine with dsv2-run instead of dsv2c eval")
    parser.add_argument("--dsv2-run", dest="dsv2_run", default="dsv2-run")
    parser.add_argument("--greedy-new-tokens", type=int, default=0)
    parser.add_argument("--batch", action="store_true",
                        help="with --engine: all cases in one dsv2-run batch")
    parser.add_argument("--run-args", default="",
                        help="with --batch: extra dsv2-run arguments")
    parser.add_argument("--golden-eval", dest="golden_eval", default=None,
                        help="goldens from `dsv2c eval --model FIXTURE` with these "
                             "arguments instead of the fixture's golden/*.npy")
    parser.add_argument("--golden-dir", dest="golden_dir", default=None,
                        help="goldens from DIR/<case logits>.npy (made by "
                             "--write-goldens DIR on a machine with dsv2c)")
    parser.add_argument("--write-goldens", dest="write_goldens", default=None,
                        help="write --golden-eval's goldens into DIR and exit")
    parser.add_argument("--launcher", default="",
                        help="command line that starts dsv2-run (e.g. 'mpirun -np 2' "
                             "for a multi-rank engine)")
    args = parser.parse_args()

    with open(os.path.join(args.fixture, "golden", "cases.json")) as f:
        cases = json.load(f)["cases"]
    splits = [int(k) for k in args.decode_splits.split(",") if k]
    if args.write_goldens:
        # For a machine without dsv2c (tools/gpu/gpu-check.sh): the goldens
        # of --golden-eval, computed here.
        if args.golden_eval is None:
            parser.error("--write-goldens needs --golden-eval")
        os.makedirs(args.write_goldens, exist_ok=True)
        for case in cases:
            path = golden_path(args, case, args.write_goldens)
            os.replace(path, os.path.join(args.write_goldens, case["logits"]))
        return 0
    if args.batch:
        if not args.engine:
            parser.error("--batch needs --engine")
        return check_batch(args, cases, splits)
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            tokens = case["tokens"]
            shape, golden = read_npy_f32(golden_path(args, case, tmp))
            rows, vocab = shape
            scale = max(abs(v) for v in golden)
            runs = [None] + sorted({min(k, len(tokens)) for k in splits})
            for split in runs:
                out = os.path.join(tmp, "logits.npy")
                if args.engine:
                    cmd = args.launcher.split() + [
                           args.dsv2_run, args.engine, "--max-new-tokens", "0", "--quiet",
                           "--tokens", ",".join(map(str, tokens)), "--dump-logits", out]
                else:
                    cmd = [args.dsv2c, "eval", "--model", args.fixture,
                           "--tokens", ",".join(map(str, tokens)), "--dump-logits", out]
                if split is not None:
                    cmd += ["--decode-split", str(split)]
                cmd += args.extra.split()
                label_tool = "dsv2-run" if args.engine else "dsv2c"
                result = subprocess.run(cmd, capture_output=True, text=True)
                label = f"{os.path.basename(os.path.normpath(args.fixture))}/{case['name']} " \
                        f"(T={len(tokens)}, {'prefill' if split is None else f'decode-split {split}'})"
                if result.returncode != 0:
                    print(f"FAIL {label}: {label_tool} exited {result.returncode}: {result.stderr.strip()}")
                    failures += 1
                    continue
                got_shape, got = read_npy_f32(out)
                if got_shape != shape:
                    print(f"FAIL {label}: shape {got_shape}, golden {shape}")
                    failures += 1
                    continue
                max_diff = max(abs(a - b) for a, b in zip(got, golden))
                same_greedy = argmax_rows(got, rows, vocab) == argmax_rows(golden, rows, vocab)
                ok = max_diff <= args.tolerance * scale and same_greedy
                print(f"{'PASS' if ok else 'FAIL'} {label}: max|diff| {max_diff:.3e} "
                      f"= {max_diff / scale:.2e} x max|golden| ({scale:.3f}); "
                      f"greedy {'equal' if same_greedy else 'DIFFERENT'}")
                failures += 0 if ok else 1
            if args.engine and args.greedy_new_tokens:
                failures += check_greedy(args, case)
    return 1 if failures else 0


def compare(label, got_path, golden_path, tolerance):
    """Prints PASS/FAIL for one run's logits; returns the failure count."""
    shape, golden = read_npy_f32(golden_path)
    rows, vocab = shape
    scale = max(abs(v) for v in golden)
    got_shape, got = read_npy_f32(got_path)
    if got_shape != shape:
        print(f"FAIL {label}: shape {got_shape}, golden {shape}")
        return 1
    max_diff = max(abs(a - b) for a, b in zip(got, golden))
    same_greedy = argmax_rows(got, rows, vocab) == argmax_rows(golden, rows, vocab)
    ok = max_diff <= tolerance * scale and same_greedy
    print(f"{'PASS' if ok else 'FAIL'} {label}: max|diff| {max_diff:.3e} "
          f"= {max_diff / scale:.2e} x max|golden| ({scale:.3f}); "
          f"greedy {'equal' if same_greedy else 'DIFFERENT'}")
    return 0 if ok else 1


def check_batch(args, cases, splits):
    """All cases as one dsv2-run batch, once per run (prefill, each split)."""
    fixture = os.path.basename(os.path.normpath(args.fixture))
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        prompts = os.path.join(tmp, "prompts.txt")
        with open(prompts, "w") as f:
            for case in cases:
                f.write(",".join(map(str, case["tokens"])) + "\n")
        for split in [None] + sorted(set(splits)):
            out = os.path.join(tmp, "logits.npy")
            cmd = args.launcher.split() + [
                args.dsv2_run, args.engine, "--max-new-tokens", "0", "--quiet",
                "--tokens-file", prompts, "--dump-logits", out]
            if split is not None:
                cmd += ["--decode-split", str(split)]
            cmd += args.run_args.split()
            run = "prefill" if split is None else f"decode-split {split}"
            result = subprocess.run(cmd, capture_output=True, text=True)
            if result.returncode != 0:
                print(f"FAIL {fixture} batch of {len(cases)} ({run}): dsv2-run "
                      f"exited {result.returncode}: {result.stderr.strip()}")
                failures += 1
                continue
            for i, case in enumerate(cases):
                label = (f"{fixture}/{case['name']} (T={len(case['tokens'])}, "
                         f"{run}, batch of {len(cases)})")
                failures += compare(label, os.path.join(tmp, f"logits.{i}.npy"),
                                    golden_path(args, case, tmp),
                                    args.tolerance)
    return 1 if failures else 0


def check_greedy(args, case):
    """dsv2-run --quiet generation from the case's prompt must continue it
    exactly as the fixture's greedy tokens do."""
    prompt = case["tokens"][:case["prompt_len"]]
    expected = case["tokens"][case["prompt_len"]:][:args.greedy_new_tokens]
    if len(expected) < args.greedy_new_tokens:
        return 0
    cmd = args.launcher.split() + [
        args.dsv2_run, args.engine, "--tokens", ",".join(map(str, prompt)),
        "--max-new-tokens", str(args.greedy_new_tokens), "--quiet"]
    result = subprocess.run(cmd, capture_output=True, text=True)
    label = f"{os.path.basename(os.path.normpath(args.fixture))}/{case['name']} " \
            f"(greedy {args.greedy_new_tokens} new tokens)"
    lines = result.stdout.splitlines()
    if result.returncode != 0 or len(lines) != 1:
        print(f"FAIL {label}: dsv2-run exited {result.returncode}, "
              f"{len(lines)} lines: {result.stderr.strip()}")
        return 1
    got = [int(t) for t in lines[0].split(",")] if lines[0] else []
    ok = got == expected
    print(f"{'PASS' if ok else 'FAIL'} {label}: {lines[0]}"
          f"{'' if ok else ' expected ' + ','.join(map(str, expected))}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
