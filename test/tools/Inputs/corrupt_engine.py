#!/usr/bin/env python3
"""Copies an engine and its weight file into OUT_DIR and damages one of them.

Kinds: truncate (the engine cut to two thirds), flip-flatbuffer (one byte
inside the flatbuffer XORed), schema-version (the header's version set to
99), weights-missing, weights-truncated (the last 100 bytes cut),
weights-flip (one byte of the first tensor XORed), weights-from
(the weight file replaced by OTHER's, another compile of the same model).
"""

import argparse
import os
import shutil
import struct


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engine", required=True)
    parser.add_argument("--kind", required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--other", help="engine whose weight file weights-from uses")
    args = parser.parse_args()

    os.makedirs(args.out_dir, exist_ok=True)
    name = os.path.basename(args.engine)
    engine = os.path.join(args.out_dir, name)
    weights = engine + ".rank0.weights"
    shutil.copyfile(args.engine, engine)
    shutil.copyfile(args.engine + ".rank0.weights", weights)

    def xor_byte(path, offset):
        with open(path, "r+b") as f:
            f.seek(offset)
            byte = f.read(1)[0]
            f.seek(offset)
            f.write(bytes([byte ^ 0x5A]))

    if args.kind == "truncate":
        size = os.path.getsize(engine)
        os.truncate(engine, size * 2 // 3)
    elif args.kind == "flip-flatbuffer":
        xor_byte(engine, 64 + (os.path.getsize(engine) - 64) // 2)
    elif args.kind == "schema-version":
        with open(engine, "r+b") as f:
            f.seek(8)
            f.write(struct.pack("<I", 99))
    elif args.kind == "weights-missing":
        os.remove(weights)
    elif args.kind == "weights-truncated":
        os.truncate(weights, os.path.getsize(weights) - 100)
    elif args.kind == "weights-flip":
        xor_byte(weights, 4096 + 1)
    elif args.kind == "weights-from":
        shutil.copyfile(args.other + ".rank0.weights", weights)
    else:
        raise SystemExit(f"unknown kind {args.kind}")


if __name__ == "__main__":
    main()
