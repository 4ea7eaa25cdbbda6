#!/usr/bin/env bash
# CPU engine vs reference interpreter: prefill and decode tokens/s.
#
# A benchmark, not a test (./test.sh does not run it). It builds nothing:
# it runs dsv2c from $DSV2_BUILD_DIR/bin (default: build/bin). The model is
# DeepSeek-V2-Lite's shapes (hidden 2048, 16 heads, 64 routed experts top-6,
# the real MLA dims) cut to its first 2 layers (one dense, one MoE), with
# deterministic random bf16 weights (seed 0). Both engines run the same
# 48 tokens: 32 as one prefill step, then 16 single-token decode steps.
#
# Usage: tools/bench/cpu_engine_bench.sh
# Environment: DSV2_BUILD_DIR, BENCH_LAYERS (2), BENCH_PROMPT (32),
#              BENCH_DECODE (16), BENCH_THREADS (nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${DSV2_BUILD_DIR:-$root/build}
dsv2c=$build_dir/bin/dsv2c
if [[ ! -x $dsv2c ]]; then
  echo "cpu_engine_bench: $dsv2c not found; build dsv2c first" \
       "(or set DSV2_BUILD_DIR)" >&2
  exit 1
fi

layers=${BENCH_LAYERS:-2}
prompt=${BENCH_PROMPT:-32}
decode=${BENCH_DECODE:-16}
threads=${BENCH_THREADS:-$(nproc)}
total=$((prompt + decode))

# Deterministic token ids spread over the Lite vocabulary (102400).
tokens=$(awk -v n="$total" 'BEGIN {
  for (i = 0; i < n; ++i) printf "%s%d", (i ? "," : ""), (i * 7919 + 13) % 102400 }')

common=(eval --preset deepseek-v2-lite --num-layers "$layers"
        --random-weights 0 --weight-dtype bf16
        --decode-split "$prompt" --tokens "$tokens" --timings)

echo "== machine"
echo "nproc: $(nproc)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "dsv2c: $dsv2c"
echo "model: deepseek-v2-lite, $layers layers, random bf16 weights (seed 0)"
echo "run: $prompt-token prefill step + $decode decode steps, threads $threads"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME ARGS...: runs dsv2c, keeps stdout/stderr in $tmp/NAME.{out,err}.
run() {
  local name=$1
  shift
  echo
  echo "== $name"
  # The token list is long; print it as $TOKENS.
  local shown="${*//$tokens/\$TOKENS}"
  echo "\$ $dsv2c $shown"
  local start end
  start=$(date +%s.%N)
  if ! "$dsv2c" "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    cat "$tmp/$name.err" >&2
    echo "cpu_engine_bench: $name run failed" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  cat "$tmp/$name.err"
  awk -v s="$start" -v e="$end" 'BEGIN { printf "  wall (whole command): %.1f s\n", e - s }'
}

# field NAME KIND: tokens/s of the prefill or decode line.
field() {
  awk -v kind="$2" '$1 == kind ":" { for (i = 1; i <= NF; ++i)
    if ($(i + 1) == "tokens/s") { print $i; exit } }' "$tmp/$1.err"
}

echo "TOKENS=$tokens"
run reference "${common[@]}" --engine reference
run cpu "${common[@]}" --engine cpu --threads "$threads"

ref_prefill=$(field reference prefill)
ref_decode=$(field reference decode)
cpu_prefill=$(field cpu prefill)
cpu_decode=$(field cpu decode)

echo
echo "== summary (tokens/s)"
printf '%-10s %12s %12s\n' "" prefill decode
printf '%-10s %12s %12s\n' reference "$ref_prefill" "$ref_decode"
printf '%-10s %12s %12s\n' cpu "$cpu_prefill" "$cpu_decode"
awk -v a="$cpu_prefill" -v b="$ref_prefill" -v c="$cpu_decode" -v d="$ref_decode" \
  'BEGIN { printf "%-10s %11.2fx %11.2fx\n", "cpu/ref", a / b, c / d }'

ref_tokens=$(grep '^greedy next tokens:' "$tmp/reference.out")
cpu_tokens=$(grep '^greedy next tokens:' "$tmp/cpu.out")
echo
if [[ $ref_tokens == "$cpu_tokens" ]]; then
  echo "greedy tokens: identical across engines ($total positions)"
else
  same=$(paste -d' ' <(echo "${ref_tokens#*: }" | tr , '\n') \
                     <(echo "${cpu_tokens#*: }" | tr , '\n') |
         awk '$1 == $2 { ++n } END { print n + 0 }')
  echo "greedy tokens: DIFFER ($same of $total positions agree)"
  echo "  reference: ${ref_tokens#*: }"
  echo "  cpu:       ${cpu_tokens#*: }"
fi
