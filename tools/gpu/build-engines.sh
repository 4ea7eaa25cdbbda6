#!/usr/bin/env bash
# Builds, on the development machine (LLVM/MLIR present), what the GPU check
# needs on a GPU machine that has neither: every golden fixture compiled to a
# GPU engine (fp32 weights, the precision the goldens are checked at) and a
# copy of dsv2-run, all in one folder (default build-gpu/, ignored by git),
# which is what travels. See docs/gpu.md.
#
#   tools/gpu/build-engines.sh [--build DIR] [--target sm_90a] [--out build-gpu]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
build=$root/build
target=sm_90a
out=$root/build-gpu
while [[ $# -gt 0 ]]; do
  case $1 in
    --build) build=$2; shift 2 ;;
    --target) target=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--build DIR] [--target sm_90a|sm_80] [--out DIR]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out"
cp "$build/bin/dsv2-run" "$out/dsv2-run"
# The executor's own GPU test (hand-written PTX; needs no codegen).
if [[ -x $build/bin/dsv2-cuda-unit-tests ]]; then
  cp "$build/bin/dsv2-cuda-unit-tests" "$out/"
fi
for cases in "$root"/test/fixtures/*/golden/cases.json; do
  fixture=$(basename "$(dirname "$(dirname "$cases")")")
  echo "compiling $fixture for $target"
  "$build/bin/dsv2c" compile --model "$root/test/fixtures/$fixture" --dtype fp32 \
    --target "$target" -o "$out/$fixture.dsv2" 2> "$out/$fixture.compile.log" ||
    { echo "  failed; see $out/$fixture.compile.log" >&2; exit 1; }
done
du -sh "$out"
