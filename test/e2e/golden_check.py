#!/usr/bin/env python3
"""Checks `dsv2c eval` against a fixture's golden logits (standard library only).

For every case in FIXTURE/golden/cases.json, runs one prefill and each
--decode-split K, and requires max|logits - golden| <= tol * max|golden|
and the same greedy (argmax) token at every position. Prints one line per
run; exits 1 on the first mismatch.
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
    args = parser.parse_args()

    with open(os.path.join(args.fixture, "golden", "cases.json")) as f:
        cases = json.load(f)["cases"]
    splits = [int(k) for k in args.decode_splits.split(",") if k]
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        for case in cases:
            tokens = case["tokens"]
            shape, golden = read_npy_f32(os.path.join(args.fixture, "golden", case["logits"]))
            rows, vocab = shape
            scale = max(abs(v) for v in golden)
            runs = [None] + sorted({min(k, len(tokens)) for k in splits})
            for split in runs:
                out = os.path.join(tmp, "logits.npy")
                cmd = [args.dsv2c, "eval", "--model", args.fixture,
                       "--tokens", ",".join(map(str, tokens)), "--dump-logits", out]
                if split is not None:
                    cmd += ["--decode-split", str(split)]
                cmd += args.extra.split()
                result = subprocess.run(cmd, capture_output=True, text=True)
                label = f"{os.path.basename(os.path.normpath(args.fixture))}/{case['name']} " \
                        f"(T={len(tokens)}, {'prefill' if split is None else f'decode-split {split}'})"
                if result.returncode != 0:
                    print(f"FAIL {label}: dsv2c exited {result.returncode}: {result.stderr.strip()}")
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
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
