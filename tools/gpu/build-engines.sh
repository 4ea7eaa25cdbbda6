#!/usr/bin/env bash
# Builds, on the development machine (LLVM/MLIR present), what the GPU check
# needs on a GPU machine that has neither: every golden fixture compiled to a
# GPU engine (fp32 weights, the precision the goldens are checked at), three
# int8 and three int4-experts engines with their reference logits, a
# DeepSeek-V2-Lite-shaped
# benchmark engine (bench/), and a copy of dsv2-run, all in one folder
# (default build-gpu/, ignored by git), which is what travels.
# See docs/gpu.md.
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
# Quantized engines (the GPU's int8 kernels; its int4 expert kernels),
# checked against the reference interpreter on the same weights, whose
# logits are computed here (the GPU machine has no dsv2c): f32 activations
# on a dense and an MoE fixture, and a bf16 one (the GEMMs on tensor cores).
for spec in int8:dense-mix:fp32 int8:qlora-grouped-yarn:fp32 int8:gready-norope-bf16:bf16 \
            int4-experts:dense-mix:fp32 int4-experts:lite-greedy-sharded:fp32 \
            int4-experts:gready-norope-bf16:bf16; do
  IFS=: read -r scheme fixture dtype <<< "$spec"
  echo "compiling $fixture for $target (--quantize $scheme, $dtype)"
  "$build/bin/dsv2c" compile --model "$root/test/fixtures/$fixture" --dtype "$dtype" \
    --quantize "$scheme" --target "$target" -o "$out/$fixture-$scheme.dsv2" \
    2> "$out/$fixture-$scheme.compile.log" ||
    { echo "  failed; see $out/$fixture-$scheme.compile.log" >&2; exit 1; }
  python3 "$root/test/e2e/golden_check.py" --dsv2c "$build/bin/dsv2c" \
    --fixture "$root/test/fixtures/$fixture" --golden-eval "--quantize $scheme" \
    --write-goldens "$out/$scheme-goldens/$fixture"
done
# Kernel benchmarks at real shapes (tools/gpu/kernel_bench.py): a two-layer
# DeepSeek-V2-Lite-shaped engine whose weights are all 0.01, so its 2 GiB
# weight file gzips to a few MiB for the trip. Not for the emulator (far
# too slow at these shapes).
if [[ $target != *-emu ]]; then
  mkdir -p "$out/bench"
  echo "compiling the DeepSeek-V2-Lite-shaped benchmark engine for $target"
  "$build/bin/dsv2c" compile --preset deepseek-v2-lite --num-layers 2 --fill-weights 0.01 \
    --target "$target" --max-context 4096 --max-batch 1 -o "$out/bench/lite2.dsv2" \
    2> "$out/bench/lite2.compile.log" ||
    { echo "  failed; see $out/bench/lite2.compile.log" >&2; exit 1; }
  gzip -1 -f "$out/bench/lite2.dsv2.rank0.weights"
  # Its twin with the routed experts in int4: decode tokens/s side by side.
  echo "compiling its --quantize int4-experts twin for $target"
  "$build/bin/dsv2c" compile --preset deepseek-v2-lite --num-layers 2 --fill-weights 0.01 \
    --quantize int4-experts --target "$target" --max-context 4096 --max-batch 1 \
    -o "$out/bench/lite2-int4.dsv2" 2> "$out/bench/lite2-int4.compile.log" ||
    { echo "  failed; see $out/bench/lite2-int4.compile.log" >&2; exit 1; }
  gzip -1 -f "$out/bench/lite2-int4.dsv2.rank0.weights"
  # ... and its twin with an f32 latent cache (decode attention on FMAs,
  # where lite2's bf16 cache runs it on tensor cores).
  echo "compiling its --kv-cache-dtype f32 twin for $target"
  "$build/bin/dsv2c" compile --preset deepseek-v2-lite --num-layers 2 --fill-weights 0.01 \
    --kv-cache-dtype f32 --target "$target" --max-context 4096 --max-batch 1 \
    -o "$out/bench/lite2-f32cache.dsv2" 2> "$out/bench/lite2-f32cache.compile.log" ||
    { echo "  failed; see $out/bench/lite2-f32cache.compile.log" >&2; exit 1; }
  gzip -1 -f "$out/bench/lite2-f32cache.dsv2.rank0.weights"
  cat > "$out/bench/lite2.json" <<'JSON'
{"model": "DeepSeek-V2-Lite (2 layers, bf16, every weight 0.01)", "vocab": 102400,
 "prompt": 2048, "decode": 32, "top_k": 6, "int4_experts": "lite2-int4.dsv2",
 "f32_cache": "lite2-f32cache.dsv2"}
JSON
fi
du -sh "$out"
