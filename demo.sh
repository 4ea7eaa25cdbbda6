#!/usr/bin/env bash
# The main job, as far as the project has come: build the tools, then take the
# built-in tiny DeepSeek-V2 with random weights through the compiler and
# generate with it on the CPU: greedy generation on the reference
# interpreter, then the same sequence through the compiled CPU engine
# (kernel formation -> tile kernels -> CPU code), whose greedy tokens must
# agree. `dsv2c compile` and `dsv2-run` (an engine file) come next.
set -euo pipefail
cd "$(dirname "$0")"
source tools/dev/bootstrap.sh

dsv2_bootstrap
dsv2_build dsv2c dsv2-opt
bin="$DSV2_BUILD_DIR/bin"

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "The tiny preset: parameters and KV cache"
"$bin/dsv2c" report --preset tiny

section "Its dsv2 graph (first lines of one decoder layer)"
"$bin/dsv2c" emit --preset tiny --stage graph | grep -m 12 -E 'dsv2\.(rms_norm|mla_attention|add|moe_gate|moe_experts|mlp)' \
  | cut -c 1-160

section "Greedy generation with random weights (seed 0), reference interpreter"
prompt="1,17,42,7"
tokens="$prompt"
for _ in $(seq 1 12); do
  next=$("$bin/dsv2c" eval --preset tiny --random-weights 0 --tokens "$tokens" 2>/dev/null \
         | sed -n 's/^greedy next tokens: //p' | tr ',' '\n' | tail -n 1)
  tokens="$tokens,$next"
done
echo "prompt:    $prompt"
echo "generated: ${tokens#"$prompt",}"

section "The same sequence through the compiled CPU engine (prefill + decode steps)"
reference=$("$bin/dsv2c" eval --preset tiny --random-weights 0 --tokens "$tokens" \
  --decode-split 4 2>/dev/null | sed -n 's/^greedy next tokens: //p')
compiled=$("$bin/dsv2c" eval --preset tiny --random-weights 0 --tokens "$tokens" \
  --decode-split 4 --engine cpu --timings | sed -n 's/^greedy next tokens: //p')
echo "reference interpreter greedy: $reference"
echo "compiled CPU engine greedy:   $compiled"
if [ "$reference" = "$compiled" ]; then
  echo "the compiled engine agrees with the reference interpreter"
else
  echo "MISMATCH between the compiled engine and the reference interpreter" >&2
  exit 1
fi

section "The full DeepSeek-V2 graph (60 layers, no weights needed)"
start=$(date +%s.%N)
"$bin/dsv2c" emit --preset deepseek-v2 --stage graph -o "$DSV2_BUILD_DIR/deepseek-v2.mlir"
"$bin/dsv2-opt" "$DSV2_BUILD_DIR/deepseek-v2.mlir" > /dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v f="$DSV2_BUILD_DIR/deepseek-v2.mlir" -v n="$(wc -c < "$DSV2_BUILD_DIR/deepseek-v2.mlir")" \
  'BEGIN { printf "emitted and re-verified %s (%d bytes) in %.2f s\n", f, n, e - s }'
"$bin/dsv2c" report --preset deepseek-v2 --pipeline dsv2-optimize
