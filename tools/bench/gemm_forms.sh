#!/usr/bin/env bash
# The CPU's prefill GEMM kernels side by side, in one run: the tile.dot form
# `linear` (8 x 32 x 16 blocks, the GPU's template with the CPU's old tiles)
# against the panel form `linear_panel` with 6 rows x one 16-column weight
# panel (what kernel formation picks for AVX2 CPUs) and with 8 rows x two
# panels (AVX-512 CPUs), in groups of 16 row blocks, and torch.matmul when
# PyTorch is importable, on the DeepSeek-V2-Lite prefill shapes, f32 and
# bf16 weights. Prints every command, GFLOP/s, and panel / linear, two
# panels / one and panel / torch as ratios.
#
# A benchmark, not a test (./test.sh does not run it). It builds nothing: it
# uses dsv2-translate-cpu from $DSV2_BUILD_DIR/bin (default: build/bin) and
# the host C compiler for tools/bench/gemm_grid.c.
#
# Usage: tools/bench/gemm_forms.sh
# Environment: DSV2_BUILD_DIR, BENCH_THREADS (nproc), BENCH_TOKENS (128, the
#              prompt rows), BENCH_EXPERT_ROWS (12: 128 tokens x top-6 / 64
#              experts), BENCH_REPEAT (5, best of), BENCH_DTYPES ("f32 bf16"),
#              BENCH_GROUP (16: linear_panel's GROUP, kPanelGroup).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${DSV2_BUILD_DIR:-$root/build}
translate=$build_dir/bin/dsv2-translate-cpu
if [[ ! -x $translate ]]; then
  echo "gemm_forms: $translate not found; build the project first" \
       "(or set DSV2_BUILD_DIR)" >&2
  exit 1
fi
threads=${BENCH_THREADS:-$(nproc)}
tokens=${BENCH_TOKENS:-128}
expert_rows=${BENCH_EXPERT_ROWS:-12}
repeat=${BENCH_REPEAT:-5}
dtypes=${BENCH_DTYPES:-f32 bf16}
group=${BENCH_GROUP:-16}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "\$ cc -O2 tools/bench/gemm_grid.c -o gemm_grid -ldl -lpthread -lm"
cc -O2 "$root/tools/bench/gemm_grid.c" -o "$tmp/gemm_grid" -ldl -lpthread -lm

have_torch=0
if python3 -c "import torch" 2>/dev/null; then
  have_torch=1
fi

pow2() { local p=1; while ((p < $1)); do p=$((p * 2)); done; echo "$p"; }
min() { (($1 < $2)) && echo "$1" || echo "$2"; }

# build KIND W N K BM BN [--param NAME=VALUE ...]: instantiates and
# compiles one kernel; prints the library path.
build() {
  local kind=$1 w=$2 n=$3 k=$4 bm=$5 bn=$6
  shift 6
  local name=${kind}_${w}_${n}_${k}_${bm}
  python3 "$root/test/codegen/Inputs/instantiate.py" \
    "$root/codegen/kernels/$kind.mlir" --kernel "$name" --param W="$w" \
    --param N="$n" --param K="$k" --param BM="$bm" --param BN="$bn" \
    "$@" > "$tmp/$name.mlir"
  "$translate" "$tmp/$name.mlir" --emit=shared -o "$tmp/$name.so"
  echo "$tmp/$name.so"
}

torch_gflops() { # M N K DTYPE
  python3 - "$@" <<'PY'
import sys, time, torch
m, n, k, dtype = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
torch.set_num_threads(int(sys.argv[5]))
t = torch.float32 if dtype == "f32" else torch.bfloat16
x, w = torch.randn(m, k, dtype=t), torch.randn(n, k, dtype=t)
best = 1e30
for r in range(int(sys.argv[6]) + 1):
    start = time.perf_counter(); y = x @ w.T; elapsed = time.perf_counter() - start
    if r: best = min(best, elapsed)
print("%.1f" % (2.0 * m * n * k / best * 1e-9))
PY
}

echo "== machine: $(nproc) cores, threads $threads, best of $repeat"
echo "\$ for each: instantiate.py codegen/kernels/KIND.mlir --param ...;" \
     "dsv2-translate-cpu KIND.mlir --emit=shared -o KIND.so;" \
     "gemm_grid KIND.so KIND M N K BM BN*P $threads W $repeat [panels]"
[[ $have_torch == 1 ]] && echo "\$ torch: (x @ w.T) with torch.set_num_threads($threads), best of $repeat"
printf "%-11s %-5s %6s %6s %6s | %9s %9s %9s %9s | %8s %8s %8s\n" shape W M N K \
  linear panel panel2x8 torch "pn/lin" "pn2/pn" "pn/torch"
shapes="q_proj:$tokens:3072:2048 kv_a_proj:$tokens:576:2048 o_proj:$tokens:2048:2048"
shapes+=" mlp_up:$tokens:10944:2048 mlp_down:$tokens:2048:10944"
shapes+=" expert_up:$expert_rows:1408:2048 expert_down:$expert_rows:2048:1408"
for w in $dtypes; do
  for shape in $shapes; do
    IFS=: read -r label m n k <<<"$shape"
    lin=$(build linear "$w" "$n" "$k" 8 "$(min 32 "$(pow2 "$n")")" \
      --param BK="$(min 16 "$(pow2 "$k")")")
    pn=$(build linear_panel "$w" "$n" "$k" 6 16 --param GROUP="$group" --param P=1)
    pn2=$(build linear_panel "$w" "$n" "$k" 8 16 --param GROUP="$group" --param P=2)
    read -r _ linGf linErr < <("$tmp/gemm_grid" "$lin" "linear_${w}_${n}_${k}_8" "$m" "$n" "$k" \
      8 "$(min 32 "$(pow2 "$n")")" "$threads" "$w" "$repeat")
    read -r _ pnGf pnErr < <("$tmp/gemm_grid" "$pn" "linear_panel_${w}_${n}_${k}_6" "$m" "$n" "$k" \
      6 16 "$threads" "$w" "$repeat" panels)
    read -r _ pn2Gf pn2Err < <("$tmp/gemm_grid" "$pn2" "linear_panel_${w}_${n}_${k}_8" "$m" "$n" "$k" \
      8 32 "$threads" "$w" "$repeat" panels)
    torchGf=-
    if [[ $have_torch == 1 ]]; then
      torchGf=$(torch_gflops "$m" "$n" "$k" "$w" "$threads" "$repeat")
    fi
    ratio=$(awk -v a="$pnGf" -v b="$linGf" 'BEGIN { printf "%.2fx", a / b }')
    ratio2=$(awk -v a="$pn2Gf" -v b="$pnGf" 'BEGIN { printf "%.2fx", a / b }')
    tratio=-
    [[ $torchGf != - ]] && tratio=$(awk -v a="$pnGf" -v b="$torchGf" 'BEGIN { printf "%.2fx", a / b }')
    printf "%-11s %-5s %6d %6d %6d | %9s %9s %9s %9s | %8s %8s %8s   (max error %s / %s / %s)\n" \
      "$label" "$w" "$m" "$n" "$k" "$linGf" "$pnGf" "$pn2Gf" "$torchGf" "$ratio" "$ratio2" "$tratio" \
      "$linErr" "$pnErr" "$pn2Err"
  done
done
echo "(GFLOP/s = 2 M N K / best time; max error: sampled outputs against a double dot product)"
