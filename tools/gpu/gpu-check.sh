#!/usr/bin/env bash
# The GPU check, run on a machine with an NVIDIA GPU, its driver, Python and
# PyTorch (no LLVM/MLIR): every prebuilt GPU engine of tools/gpu/
# build-engines.sh against the fixtures' golden logits (golden_check.py's
# criterion), decode tokens/s of each engine, our kernels at
# DeepSeek-V2-Lite shapes (GB/s, TFLOP/s; tools/gpu/kernel_bench.py), and
# PyTorch's copy bandwidth and bf16 matmul TFLOP/s as the roofline to
# compare them with.
# Results: $OUT/gpu-check.json and $OUT/gpu-check.txt (also printed).
#
#   tools/gpu/gpu-check.sh [ENGINE_DIR=build-gpu] [--skip-torch] [--budget SECONDS]
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
engines=${1:-$root/build-gpu}
[[ $# -gt 0 ]] && shift
out=${OUT:-$root/build-gpu/results}
mkdir -p "$out"
exec python3 "$root/tools/gpu/gpu_check.py" --root "$root" --engines "$engines" \
  --out "$out" "$@"
