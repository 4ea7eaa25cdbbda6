#!/usr/bin/env bash
# The main job: build the tools, compile the built-in tiny DeepSeek-V2 (random
# weights) into an engine file with `dsv2c compile`, and generate with it on
# the CPU with `dsv2-run` (which links no LLVM/MLIR). The generated ids are
# cross-checked against the reference interpreter.
set -euo pipefail
cd "$(dirname "$0")"
source tools/dev/bootstrap.sh

dsv2_bootstrap
dsv2_build dsv2c dsv2-opt dsv2-run
bin="$DSV2_BUILD_DIR/bin"

section() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

section "The tiny preset: parameters and KV cache"
"$bin/dsv2c" report --preset tiny

section "Its dsv2 graph (first lines of one decoder layer)"
"$bin/dsv2c" emit --preset tiny --stage graph | grep -m 12 -E 'dsv2\.(rms_norm|mla_attention|add|moe_gate|moe_experts|mlp)' \
  | cut -c 1-160

demo="$DSV2_BUILD_DIR/demo"
mkdir -p "$demo"
engine="$demo/tiny.dsv2"

section "dsv2c compile: the tiny preset with random weights (seed 0) -> $engine"
"$bin/dsv2c" compile --preset tiny --random-weights 0 -o "$engine"
"$bin/dsv2-run" "$engine" --info

section "dsv2-run: greedy generation, streamed"
prompt="1,17,42,7"
"$bin/dsv2-run" "$engine" --tokens "$prompt" --max-new-tokens 12
generated=$("$bin/dsv2-run" "$engine" --tokens "$prompt" --max-new-tokens 12 --quiet)

section "The same ids from the reference interpreter (fp32 oracle, no kernels)"
# Its greedy prediction at every position of prompt + generated must
# reproduce the generated ids (the last prediction is one id further).
predicted=$("$bin/dsv2c" eval --preset tiny --random-weights 0 \
  --tokens "$prompt,$generated" 2>/dev/null | sed -n 's/^greedy next tokens: //p')
expected=$(echo "$predicted" | cut -d, -f4-15)
echo "dsv2-run:              $generated"
echo "reference interpreter: $expected"
if [ "$generated" = "$expected" ]; then
  echo "the engine agrees with the reference interpreter"
else
  echo "MISMATCH between the engine and the reference interpreter" >&2
  exit 1
fi

section "Text in, text out: the engine carries the tiny preset's tokenizer (DeepSeek's BPE structure)"
echo "(random weights: the text is noise; the path is the real one)"
"$bin/dsv2-run" "$engine" --prompt "What is Multi-head Latent Attention?" --chat \
  --max-new-tokens 24 --temperature 0.8 --seed 2

section "A batch of three prompts of different lengths, sampled (temperature 0.8, top-p 0.9, seed 1)"
printf '1,17,42,7\n5\n300,301,302,303,304,305,306,307\n' > "$demo/prompts.txt"
"$bin/dsv2-run" "$engine" --tokens-file "$demo/prompts.txt" --max-new-tokens 8 \
  --temperature 0.8 --top-p 0.9 --seed 1

section "The full DeepSeek-V2 graph (60 layers, no weights needed)"
start=$(date +%s.%N)
"$bin/dsv2c" emit --preset deepseek-v2 --stage graph -o "$DSV2_BUILD_DIR/deepseek-v2.mlir"
"$bin/dsv2-opt" "$DSV2_BUILD_DIR/deepseek-v2.mlir" > /dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v f="$DSV2_BUILD_DIR/deepseek-v2.mlir" -v n="$(wc -c < "$DSV2_BUILD_DIR/deepseek-v2.mlir")" \
  'BEGIN { printf "emitted and re-verified %s (%d bytes) in %.2f s\n", f, n, e - s }'
"$bin/dsv2c" report --preset deepseek-v2 --pipeline dsv2-optimize
