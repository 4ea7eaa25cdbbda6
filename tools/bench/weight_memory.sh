#!/usr/bin/env bash
# A CPU engine's weights read into 2 MiB huge pages (dsv2-run --huge-pages)
# against the mapped weight file (the default): load seconds and decode tokens/s
# of one engine, the two runs alternated BENCH_REPEAT times so both see the
# same machine; prints every command, each run, best and median of each,
# and huge / mapped as ratios.
#
# A benchmark, not a test (./test.sh does not run it). It builds and
# compiles nothing: give an engine (e.g. the Lite-shaped one
# tools/bench/pytorch_compare.sh leaves in its work directory) and a
# --tokens-file of prompts (one sequence per line).
#
# Usage: tools/bench/weight_memory.sh ENGINE PROMPTS
# Environment: DSV2_BIN_DIR (default $DSV2_BUILD_DIR/bin, default build/bin),
#              BENCH_REPEAT (5), BENCH_DECODE (32 new tokens), BENCH_THREADS
#              (nproc).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
bin_dir=${DSV2_BIN_DIR:-${DSV2_BUILD_DIR:-$root/build}/bin}
run=$bin_dir/dsv2-run
if [[ $# -ne 2 ]]; then
  echo "usage: $0 ENGINE PROMPTS" >&2
  exit 2
fi
engine=$1 prompts=$2
for f in "$run" "$engine" "$prompts"; do
  [[ -e $f ]] || { echo "weight_memory: $f not found" >&2; exit 1; }
done
repeat=${BENCH_REPEAT:-5}
decode=${BENCH_DECODE:-32}
threads=${BENCH_THREADS:-$(nproc)}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

echo "== machine"
echo "nproc: $(nproc); transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo unknown)"
common=("$run" "$engine" --tokens-file "$prompts" --max-new-tokens "$decode"
        --ignore-eos --threads "$threads")
echo "\$ ${common[*]} --huge-pages  # huge pages"
echo "\$ ${common[*]}               # mapped (default)"
echo
printf '%-7s %-7s %10s %14s\n' run weights "load s" "decode tok/s"
for ((i = 1; i <= repeat; ++i)); do
  for mode in huge mapped; do
    extra=()
    [[ $mode == huge ]] && extra=(--huge-pages)
    "${common[@]}" "${extra[@]}" > "$tmp/$mode.$i.ids" 2> "$tmp/$mode.$i.log"
    load=$(sed -n 's/^  load: *\([0-9.]*\) s.*/\1/p' "$tmp/$mode.$i.log")
    rate=$(sed -n 's/^  decode:.* = \([0-9.]*\) tokens\/s.*/\1/p' "$tmp/$mode.$i.log")
    grep -q 'load:.*weights mapped' "$tmp/$mode.$i.log" && held=mapped || held=huge
    if [[ $mode == huge && $held == mapped ]]; then
      echo "weight_memory: --huge-pages mapped the weights: $(grep 'load:' "$tmp/$mode.$i.log")" >&2
    fi
    printf '%-7s %-7s %10s %14s\n' "$i" "$mode" "$load" "$rate"
    echo "$load $rate" >> "$tmp/$mode.figures"
  done
  cmp -s "$tmp/huge.$i.ids" "$tmp/mapped.$i.ids" ||
    { echo "weight_memory: run $i generated different ids" >&2; exit 1; }
done

source "$root/tools/bench/stats.sh"
read -r hb hm <<<"$(stats 2 "$tmp/huge.figures" max)"
read -r mb mm <<<"$(stats 2 "$tmp/mapped.figures" max)"
read -r hl _ <<<"$(stats 1 "$tmp/huge.figures" min)"
read -r ml _ <<<"$(stats 1 "$tmp/mapped.figures" min)"
echo
echo "decode tokens/s: huge pages best $hb, median $hm; mapped best $mb, median $mm"
awk -v a="$hb" -v b="$mb" -v c="$hm" -v d="$mm" 'BEGIN {
  printf "huge / mapped: %.2fx best, %.2fx median\n", a / b, c / d }'
echo "load seconds (best): huge pages $hl, mapped $ml"
