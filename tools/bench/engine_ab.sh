#!/usr/bin/env bash
# Two engines of one model side by side (e.g. `dsv2c compile --quantize int8`
# against the bf16 engine): prefill and decode tokens/s of the same prompts,
# the two runs alternated BENCH_REPEAT times so both see the same machine;
# prints every command, each run, best and median of each, B / A as ratios,
# the weight bytes each maps, and how many generated ids of B equal A's
# (greedy; a quantized engine may part from the other after a close call).
#
# A benchmark, not a test (./test.sh does not run it). It builds and
# compiles nothing: give two engines and a --tokens-file of prompts (one
# sequence per line).
#
# Usage: tools/bench/engine_ab.sh PROMPTS ENGINE_A ENGINE_B
# Environment: DSV2_BIN_DIR (default $DSV2_BUILD_DIR/bin, default build/bin),
#              BENCH_REPEAT (5), BENCH_DECODE (32 new tokens), BENCH_THREADS
#              (nproc), BENCH_RUN_FLAGS (extra dsv2-run flags, both engines),
#              BENCH_ENV_A / BENCH_ENV_B (NAME=VALUE ... set for A's / B's
#              runs only: one engine under two runtime settings, e.g.
#              BENCH_ENV_A=DSV2_THREAD_SPIN_US=0 with ENGINE_A = ENGINE_B).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir=${DSV2_BIN_DIR:-${DSV2_BUILD_DIR:-$root/build}/bin}
run=$bin_dir/dsv2-run
if [[ $# -ne 3 ]]; then
  echo "usage: $0 PROMPTS ENGINE_A ENGINE_B" >&2
  exit 2
fi
prompts=$1 engines=("$2" "$3")
for f in "$run" "$prompts" "${engines[@]}"; do
  [[ -e $f ]] || { echo "engine_ab: $f not found" >&2; exit 1; }
done
repeat=${BENCH_REPEAT:-5}
decode=${BENCH_DECODE:-32}
threads=${BENCH_THREADS:-$(nproc)}
read -r -a flags <<<"${BENCH_RUN_FLAGS:-}"
read -r -a envA <<<"${BENCH_ENV_A:-}"
read -r -a envB <<<"${BENCH_ENV_B:-}"
# env with side's settings (env with no assignment runs the command as is).
side_env() { if [[ $1 == 0 ]]; then echo "${envA[@]}"; else echo "${envB[@]}"; fi; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
source "$root/tools/bench/stats.sh"

echo "== machine: nproc $(nproc)"
for side in 0 1; do
  label=$([[ $side == 0 ]] && echo A || echo B)
  echo "$label: \$ $(side_env $side) $run ${engines[$side]} --tokens-file $prompts --max-new-tokens $decode --ignore-eos --threads $threads ${flags[*]}"
  "$run" "${engines[$side]}" --info | grep -E '^(weights|model):' | sed "s/^/   /"
done
echo
printf '%-4s %-3s %14s %14s\n' run "" "prefill tok/s" "decode tok/s"
for ((i = 1; i <= repeat; ++i)); do
  for side in 0 1; do
    label=$([[ $side == 0 ]] && echo A || echo B)
    read -r -a sideEnv <<<"$(side_env $side)"
    env "${sideEnv[@]}" "$run" "${engines[$side]}" --tokens-file "$prompts" \
      --max-new-tokens "$decode" --ignore-eos --threads "$threads" "${flags[@]}" \
      > /dev/null 2> "$tmp/$label.$i.log"
    prefill=$(sed -n 's/^  prefill:.* = \([0-9.]*\) tokens\/s.*/\1/p' "$tmp/$label.$i.log")
    rate=$(sed -n 's/^  decode:.* = \([0-9.]*\) tokens\/s.*/\1/p' "$tmp/$label.$i.log")
    printf '%-4s %-3s %14s %14s\n' "$i" "$label" "$prefill" "$rate"
    echo "$prefill $rate" >> "$tmp/$label.figures"
  done
done

read -r ap apm <<<"$(stats 1 "$tmp/A.figures" max)"
read -r bp bpm <<<"$(stats 1 "$tmp/B.figures" max)"
read -r ad adm <<<"$(stats 2 "$tmp/A.figures" max)"
read -r bd bdm <<<"$(stats 2 "$tmp/B.figures" max)"
echo
echo "prefill tokens/s: A best $ap, median $apm; B best $bp, median $bpm"
echo "decode tokens/s:  A best $ad, median $adm; B best $bd, median $bdm"
awk -v a="$bp" -v b="$ap" -v c="$bpm" -v d="$apm" -v e="$bd" -v f="$ad" \
    -v g="$bdm" -v h="$adm" 'BEGIN {
  printf "B / A: prefill %.2fx best, %.2fx median; decode %.2fx best, %.2fx median\n",
         a / b, c / d, e / f, g / h }'
# Generated ids (one --quiet run each: one line per sequence): per
# sequence, how many leading ids B shares with A.
for side in 0 1; do
  label=$([[ $side == 0 ]] && echo A || echo B)
  read -r -a sideEnv <<<"$(side_env $side)"
  env "${sideEnv[@]}" "$run" "${engines[$side]}" --tokens-file "$prompts" \
    --max-new-tokens "$decode" --ignore-eos --threads "$threads" --quiet \
    "${flags[@]}" > "$tmp/$label.ids"
done
paste -d'|' "$tmp/A.ids" "$tmp/B.ids" | awk -F'|' '
  { n = split($1, a, ","); split($2, b, ","); same = 0
    while (same < n && a[same + 1] == b[same + 1]) ++same
    total += n; agree += same
    printf "sequence %d: the first %d of %d generated ids equal\n", NR - 1, same, n }
  END { printf "generated ids: %d of %d equal before the first difference\n", agree, total }'
