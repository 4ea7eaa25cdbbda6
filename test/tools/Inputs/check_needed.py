#!/usr/bin/env python3
"""Fails unless every NEEDED entry of an ELF file (from `readelf -d`) is in
the allowed list; prints them."""

import subprocess
import sys

ALLOWED = {"libc.so.6", "libm.so.6", "libdl.so.2", "libpthread.so.0",
           "librt.so.1", "ld-linux-x86-64.so.2", "ld-linux-aarch64.so.1"}

output = subprocess.run(["readelf", "-d", sys.argv[1]], capture_output=True,
                        text=True, check=True).stdout
needed = [line.split("[")[1].rstrip("]") for line in output.splitlines()
          if "(NEEDED)" in line]
bad = [lib for lib in needed if lib not in ALLOWED]
print("NEEDED: " + " ".join(needed))
if bad:
    print("NOT ALLOWED: " + " ".join(bad))
    sys.exit(1)
print("OK")
