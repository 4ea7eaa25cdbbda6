#!/usr/bin/env bash
# dsv2c against PyTorch: compile time of the full DeepSeek-V2 graph to PTX, and the CPU
# engine's prefill / decode tokens/s against Hugging Face transformers (eager) on PyTorch
# CPU on the same Lite-shaped random checkpoint, the memory roofline, peak memory.
#
# A benchmark, not a test (./test.sh does not run it). It builds nothing: it runs dsv2c and
# dsv2-run from $DSV2_BIN_DIR (default: $DSV2_BUILD_DIR/bin, default build/bin). Python
# packages (torch transformers safetensors numpy) are installed with
# `pip install --user` only when missing. Every command it runs is printed after `$ `.
#
# Usage: tools/bench/pytorch_compare.sh
# Environment (defaults in brackets):
#   DSV2_BIN_DIR / DSV2_BUILD_DIR  where dsv2c and dsv2-run are [build/bin]
#   BENCH_WORKDIR    checkpoint + engines, kept between runs [/tmp/dsv2-pytorch-compare]
#   BENCH_LAYERS     decoder layers of the checkpoint [4] (layer 0 dense, the rest MoE)
#   BENCH_SEED       weight seed [0]
#   BENCH_DTYPES     engine / torch weight dtypes [bf16 fp32]
#   BENCH_BATCHES    batch sizes [1]
#   BENCH_CONTEXTS   prompt lengths (= context) [128]
#   BENCH_CASES      explicit BATCH:CONTEXT pairs, e.g. "1:128 8:128 1:2048"; replaces the
#                    BENCH_BATCHES x BENCH_CONTEXTS product
#   BENCH_DECODE     tokens generated per sequence [16] (1 from the prefill, the rest decoded)
#   BENCH_MAX_CONTEXT  the engines' --max-context [2048]; a prompt is cut to MAX_CONTEXT - DECODE
#                    tokens when CONTEXT + DECODE would not fit, so the last token sits at MAX_CONTEXT
#   BENCH_THREADS    threads for dsv2-run, torch.set_num_threads and the bandwidth test [nproc]
#   BENCH_SKIP       space-separated parts to skip: compile-time membw engine torch
#   BENCH_MEMBW_REPEAT  passes of the bandwidth test, best kept [10]
#   BENCH_REPEAT     runs of each side per case, alternating ours and torch; the best
#                    prefill and decode tokens/s of each side are compared [1]
#   BENCH_PROFILE    1: also run the first bf16 case with DSV2_PROFILE_LAUNCHES=1 [0]
#   BENCH_FRESH      1: rewrite the checkpoint and recompile the engines even when present [0]
#   BENCH_RUN_FLAGS  extra dsv2-run flags for our side, e.g. --huge-pages [none]
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir=${DSV2_BIN_DIR:-${DSV2_BUILD_DIR:-$root/build}/bin}
dsv2c=$bin_dir/dsv2c
dsv2run=$bin_dir/dsv2-run
for b in "$dsv2c" "$dsv2run"; do
  if [[ ! -x $b ]]; then
    echo "pytorch_compare: $b not found; build it first (or set DSV2_BIN_DIR / DSV2_BUILD_DIR)" >&2
    exit 1
  fi
done

work=${BENCH_WORKDIR:-/tmp/dsv2-pytorch-compare}
read -r -a run_flags <<<"${BENCH_RUN_FLAGS:-}"
layers=${BENCH_LAYERS:-4}
seed=${BENCH_SEED:-0}
dtypes=${BENCH_DTYPES:-bf16 fp32}
batches=${BENCH_BATCHES:-1}
contexts=${BENCH_CONTEXTS:-128}
decode=${BENCH_DECODE:-16}
threads=${BENCH_THREADS:-$(nproc)}
max_context=${BENCH_MAX_CONTEXT:-2048}
skip=" ${BENCH_SKIP:-} "
fresh=${BENCH_FRESH:-0}
repeat=${BENCH_REPEAT:-1}
helper=$root/tools/bench/pytorch_compare.py
mkdir -p "$work"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

skipped() { [[ $skip == *" $1 "* ]]; }

# show CMD...: prints and runs a command, stdout/stderr passing through.
show() {
  echo "\$ $*"
  "$@"
}

# timed NAME CMD...: prints the command, runs it with stdout/stderr to $tmp/NAME.{out,err},
# prints the wall time and sets $wall.
timed() {
  local name=$1
  shift
  echo "\$ $*"
  local start end
  start=$(date +%s.%N)
  if ! "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; then
    tail -20 "$tmp/$name.err" >&2
    echo "pytorch_compare: '$name' failed" >&2
    exit 1
  fi
  end=$(date +%s.%N)
  wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.2f", e - s }')
  echo "  wall: $wall s"
}

echo "== machine"
echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), nproc $(nproc)"
echo "memory: $(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "dsv2c: $dsv2c"
echo "dsv2-run: $dsv2run"
echo "threads: $threads"

# --------------------------------------------------------------------------------------
if ! skipped compile-time; then
  echo
  echo "== compile time: full deepseek-v2 preset (60 layers), no weights"
  echo "(each stage runs the stages before it: the difference to the previous line is its own cost)"
  declare -A stage_s
  for stage in graph optimized tile ptx; do
    extra=()
    [[ $stage == ptx ]] && extra=(--target sm_90a)
    timed "emit-$stage" "$dsv2c" emit --preset deepseek-v2 --stage "$stage" "${extra[@]}" \
      -o "$tmp/v2.$stage"
    stage_s[$stage]=$wall
    echo "  output: $(wc -c <"$tmp/v2.$stage") bytes"
  done
  echo "summary: graph ${stage_s[graph]} s, optimized ${stage_s[optimized]} s," \
       "tile ${stage_s[tile]} s, ptx ${stage_s[ptx]} s (target <= 5 s:" \
       "$(awk -v t="${stage_s[ptx]}" 'BEGIN { print (t <= 5 ? "met" : "NOT met") }'))"
fi

# --------------------------------------------------------------------------------------
# measure_membw: streaming-read bandwidth, best of $membw_repeat over 1 GiB; appends GB/s to
# $membw_all. Measured before, after every case (right after our decode) and at the end: on a
# shared machine the bandwidth moves by tens of percent, and the roofline takes the best.
membw_all=""
membw_repeat=${BENCH_MEMBW_REPEAT:-10}
measure_membw() {
  echo
  echo "== memory read bandwidth (streaming sum of 1 GiB, best of $membw_repeat) ($1)"
  local line
  if [[ ! -x $tmp/membw ]] &&
     cc -O3 -march=native -fopenmp "$root/tools/bench/membw.c" -o "$tmp/membw" 2>"$tmp/cc.err"; then
    echo "\$ cc -O3 -march=native -fopenmp tools/bench/membw.c -o membw"
  fi
  if [[ -x $tmp/membw ]]; then
    echo "\$ OMP_NUM_THREADS=1 membw 1 $membw_repeat"
    OMP_NUM_THREADS=1 "$tmp/membw" 1 "$membw_repeat"
    echo "\$ OMP_NUM_THREADS=$threads membw 1 $membw_repeat"
    line=$(OMP_NUM_THREADS=$threads "$tmp/membw" 1 "$membw_repeat")
  else
    echo "(no C compiler with OpenMP; numpy, one thread)"
    echo "\$ python3 $helper membw"
    line=$(python3 "$helper" membw)
  fi
  echo "$line"
  membw_all="$membw_all $(sed 's/.*membw_gbs=\([0-9.]*\).*/\1/' <<<"$line")"
}
skipped membw || measure_membw "before the runs"

# --------------------------------------------------------------------------------------
need_python=0
skipped torch || need_python=1
ckpt=$work/ckpt-l$layers-s$seed
[[ -f $ckpt/model.safetensors && $fresh != 1 ]] || need_python=1
if [[ $need_python == 1 ]] &&
   ! python3 -c 'import torch, transformers, safetensors, numpy
from transformers.models.deepseek_v2 import DeepseekV2ForCausalLM' 2>/dev/null; then
  echo
  echo "== installing Python packages"
  show python3 -m pip install --user torch transformers safetensors numpy
fi
if [[ $need_python == 1 ]]; then
  python3 -c 'import torch, transformers; print("python:", torch.__version__, "torch,", transformers.__version__, "transformers")'
fi

echo
echo "== checkpoint: DeepSeek-V2-Lite shapes, $layers layers, random bf16 weights (seed $seed)"
if [[ ! -f $ckpt/model.safetensors || $fresh == 1 ]]; then
  show python3 "$helper" make-ckpt "$ckpt" --layers "$layers" --seed "$seed" --dtype bf16
else
  echo "(reusing $ckpt; BENCH_FRESH=1 rewrites it)"
fi
echo "\$ $dsv2c report --model $ckpt"
"$dsv2c" report --model "$ckpt" | tee "$tmp/report.txt"

# --------------------------------------------------------------------------------------
declare -A engine_of
for dt in $dtypes; do
  engine=$work/engine-l$layers-s$seed-$dt-m$max_context.dsv2e
  engine_of[$dt]=$engine
  if skipped engine; then continue; fi
  echo
  echo "== compile the $dt engine"
  if [[ -f $engine && $fresh != 1 && $engine -nt $dsv2c && $engine -nt $ckpt/model.safetensors ]]; then
    echo "(reusing $engine: newer than dsv2c and the checkpoint; BENCH_FRESH=1 recompiles)"
  else
    timed "compile-$dt" "$dsv2c" compile --model "$ckpt" --dtype "$dt" --max-context "$max_context" \
      --max-batch 8 -o "$engine"
    cat "$tmp/compile-$dt.err" "$tmp/compile-$dt.out" | tail -5
  fi
  echo "\$ $dsv2run $engine --info"
  "$dsv2run" "$engine" --info | tee "$tmp/info-$dt.txt"
  # "kv cache: latent, 576 values/token/layer (f32), 9216 bytes/token, ..."
  kv_line=$(grep '^kv cache:' "$tmp/info-$dt.txt" || true)
  kv_per_token=$(sed -n 's/.* \([0-9]*\) bytes\/token.*/\1/p' <<<"$kv_line")
  kv_elem=$(sed -n 's/.*(\(f32\|bf16\|f16\)).*/\1/p' <<<"$kv_line")
done
kv_per_token=${kv_per_token:-}
case ${kv_elem:-f32} in f32) kvbytes=4 ;; *) kvbytes=2 ;; esac

# --------------------------------------------------------------------------------------
# Prompts: sequence b, position i -> ((b * ctx + i) * 7919 + 13) % 102400.
prompts() {
  awk -v B="$1" -v C="$2" 'BEGIN { for (b = 0; b < B; ++b) { line = "";
    for (i = 0; i < C; ++i) line = line (i ? "," : "") ((b * C + i) * 7919 + 13) % 102400;
    print line } }'
}

# num FILE KEY: the number after KEY= in FILE.
num() { sed -n "s/.*\b$2=\([0-9.eE+-]*\).*/\1/p" "$1" | head -1; }
# best A B: the larger of two tokens/s figures (A may be "nan": none yet).
best() { awk -v a="$1" -v b="$2" 'BEGIN { if (a == "nan" || b + 0 > a + 0) print b; else print a }'; }

results=$tmp/results.txt
: >"$results"
profiled=0
cases=${BENCH_CASES:-}
if [[ -z $cases ]]; then
  for B in $batches; do for C in $contexts; do cases="$cases $B:$C"; done; done
fi
echo
echo "matrix: dtypes [$dtypes] x batch:context [$cases ], $decode new tokens per sequence"
for dt in $dtypes; do
  wbytes=$([[ $dt == bf16 ]] && echo 2 || echo 4)
  for bc in $cases; do
    B=${bc%%:*}
    C=${bc##*:}
    {
      if ((C + decode > max_context)); then
        echo
        echo "(context $C: prompt cut to $((max_context - decode)) tokens so that prompt + $decode new tokens fit the engine's $max_context positions)"
        C=$((max_context - decode))
      fi
      case=$dt-b$B-c$C
      echo
      echo "== $case: batch $B, prompt $C tokens, $decode new tokens per sequence ($dt weights)"
      prompts "$B" "$C" >"$work/prompts-b$B-c$C.txt"
      echo "prompts: $work/prompts-b$B-c$C.txt (sequence b, position i: ((b*$C+i)*7919+13) % 102400)"
      ours_p=nan; ours_d=nan; ours_rss=nan; torch_p=nan; torch_d=nan; torch_rss=nan
      for ((run = 1; run <= repeat; ++run)); do
        if ((repeat > 1)); then echo "-- run $run of $repeat"; fi
        if ! skipped engine; then
          timed "ours-$case" "$dsv2run" "${engine_of[$dt]}" --tokens-file "$work/prompts-b$B-c$C.txt" \
            --max-new-tokens "$decode" --ignore-eos --threads "$threads" "${run_flags[@]}"
          cat "$tmp/ours-$case.err"
          ours_p=$(best "$ours_p" "$(awk '$1 == "prefill:" { for (i = 1; i <= NF; ++i) if ($(i + 1) == "tokens/s") print $i }' "$tmp/ours-$case.err")")
          ours_d=$(best "$ours_d" "$(awk '$1 == "decode:" { for (i = 1; i <= NF; ++i) if ($(i + 1) == "tokens/s") print $i }' "$tmp/ours-$case.err")")
          ours_rss=$(awk '$1 == "memory:" { print $4 $5 }' "$tmp/ours-$case.err")
          # generated ids, one line per sequence
          if [[ $B == 1 ]]; then
            awk 'NR == 1' "$tmp/ours-$case.out" >"$tmp/ours-ids-$case"
          else
            sed -n 's/^sequence [0-9]*: //p' "$tmp/ours-$case.out" | sed 's/ (eos)//' >"$tmp/ours-ids-$case"
          fi
          if [[ ${BENCH_PROFILE:-0} == 1 && $dt == bf16 && $profiled == 0 ]]; then
            profiled=1
            echo
            echo "== launch profile of $case (DSV2_PROFILE_LAUNCHES=1)"
            echo "\$ DSV2_PROFILE_LAUNCHES=1 $dsv2run ${engine_of[$dt]} --tokens-file $work/prompts-b$B-c$C.txt --max-new-tokens $decode --ignore-eos --threads $threads ${run_flags[*]}"
            DSV2_PROFILE_LAUNCHES=1 "$dsv2run" "${engine_of[$dt]}" --tokens-file "$work/prompts-b$B-c$C.txt" \
              --max-new-tokens "$decode" --ignore-eos --threads "$threads" "${run_flags[@]}" 2>&1 >/dev/null
          fi
        fi
        if ! skipped torch; then
          timed "torch-$case" python3 "$helper" torch "$ckpt" --dtype "$dt" --batch "$B" --ctx "$C" \
            --decode "$decode" --threads "$threads"
          grep -v '^torch_ids' "$tmp/torch-$case.out"
          torch_p=$(best "$torch_p" "$(num "$tmp/torch-$case.out" torch_prefill_tok_s)")
          torch_d=$(best "$torch_d" "$(num "$tmp/torch-$case.out" torch_decode_tok_s)")
          torch_rss="$(num "$tmp/torch-$case.out" peak_rss_mib)MiB"
          sed -n 's/^torch_ids\[[0-9]*\]=//p' "$tmp/torch-$case.out" >"$tmp/torch-ids-$case"
        fi
      done
      if ((repeat > 1)); then
        echo "best of $repeat: ours prefill $ours_p decode $ours_d," \
          "torch prefill $torch_p decode $torch_d tokens/s"
      fi
      agree=-
      if [[ -f $tmp/ours-ids-$case && -f $tmp/torch-ids-$case ]]; then
        agree=$(paste -d' ' <(tr '\n' ',' <"$tmp/ours-ids-$case" | tr ',' '\n' | sed '/^$/d') \
                            <(tr '\n' ',' <"$tmp/torch-ids-$case" | tr ',' '\n' | sed '/^$/d') |
                awk '$1 == $2 { ++n } END { print n + 0 "/" NR }')
        echo "greedy ids equal to torch's at $agree positions"
      fi
      # Bytes one decode step of the batch reads (at the middle of the decoded span): dsv2-run
      # decodes the B sequences of a round in one batched step, so steps/s = tokens/s / B.
      ctx_mid=$((C + decode / 2))
      echo "\$ python3 $helper roofline $ckpt --wbytes $wbytes --kvbytes $kvbytes --ctx $ctx_mid --batch $B"
      rl=$(python3 "$helper" roofline "$ckpt" --wbytes "$wbytes" --kvbytes "$kvbytes" --ctx "$ctx_mid" --batch "$B")
      echo "$rl"
      step_bytes=$(sed 's/.*step_bytes=\([0-9]*\).*/\1/' <<<"$rl")
      echo "$case $ours_p $torch_p $ours_d $torch_d $step_bytes $ours_rss $torch_rss $agree $B" >>"$results"
    }
    skipped membw || measure_membw "after $dt-b$B-c$C"
  done
done

skipped membw || measure_membw "after the runs"
membw=$(tr ' ' '\n' <<<"$membw_all" | sort -g | tail -1)

echo
echo "== summary (tokens/s; ratios = ours / torch)"
echo "roofline = bytes one decode step of the batch reads x our decode steps/s (tokens/s / batch)" \
  "/ the best measured read bandwidth"
[[ -n $kv_per_token ]] && echo "KV cache: $kv_per_token bytes per token, ${kv_elem:-?} latent (dsv2-run --info; dsv2c report above gives the naive and bf16 figures)"
[[ -n $membw ]] && echo "memory read bandwidth: best $membw GB/s of:$membw_all ($threads threads)"
printf '%-14s %9s %9s %7s %9s %9s %7s %9s %8s %10s %10s %7s\n' case prefill torch ratio decode \
  torch ratio "MB/step" roofline "peak ours" "peak torch" "ids="
while read -r c op tp od td sb orss trss ag nb; do
  rp=$(awk -v a="$op" -v b="$tp" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "-" }')
  rd=$(awk -v a="$od" -v b="$td" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "-" }')
  rf=$(awk -v b="$sb" -v d="$od" -v n="$nb" -v bw="${membw:-0}" 'BEGIN {
    if (bw + 0 > 0 && d + 0 > 0) printf "%.0f%%", 100 * b * d / n / 1e9 / bw; else print "-" }')
  mb=$(awk -v b="$sb" 'BEGIN { printf "%.0f", b / 1e6 }')
  printf '%-14s %9s %9s %7s %9s %9s %7s %9s %8s %10s %10s %7s\n' "$c" "$op" "$tp" "$rp" "$od" "$td" \
    "$rd" "$mb" "$rf" "$orss" "$trss" "$ag"
done <"$results"
