#!/usr/bin/env bash
# Builds the libFuzzer targets of test/fuzz with clang (ASan + UBSan, in
# build-fuzz/) and runs each for SECONDS (default 30) on a copy of its
# committed corpus and regressions. Fails on any crash, leak, timeout or
# out-of-memory; prints per target the executions and the coverage reached.
#
#   tools/dev/fuzz.sh [SECONDS] [TARGET...]     (targets: see DSV2_FUZZ_TARGETS)
#
# Environment:
#   DSV2_FUZZ_BUILD_DIR  build folder (default: build-fuzz)
#   DSV2_FUZZ_WORK       keep corpora, logs and crash inputs here (default: a
#                        temporary folder, removed when every target passed)
#   DSV2_JOBS            parallel build jobs (default: nproc)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export DSV2_BUILD_DIR="${DSV2_FUZZ_BUILD_DIR:-$root/build-fuzz}"
source "$root/tools/dev/bootstrap.sh"

seconds="${1:-30}"
shift || true
DSV2_FUZZ_TARGETS=(safetensors config engine npy ir tokenizer)
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=("${DSV2_FUZZ_TARGETS[@]}")
fi

# The longest input each target may grow to: a little above its largest
# seed, so mutations stay fast but can still reach every field.
max_len() {
  case "$1" in
    engine) echo 65536 ;;
    npy) echo 1024 ;;
    ir) echo 8192 ;;
    tokenizer) echo 20000 ;;
    *) echo 4096 ;;
  esac
}

start=$(date +%s)
dsv2_bootstrap_clang
launcher=""
if command -v ccache >/dev/null 2>&1; then
  launcher="-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache"
fi
DSV2_CMAKE_ARGS="-DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
  -DDSV2_BUILD_FUZZERS=ON $launcher" dsv2_configure
dsv2_build dsv2-fuzzers
built=$(date +%s)
dsv2_log "fuzzers built in $((built - start)) s; running ${targets[*]} for ${seconds} s each"

work="${DSV2_FUZZ_WORK:-}"
keep_work=1
if [ -z "$work" ]; then
  work="$(mktemp -d -t dsv2-fuzz.XXXXXX)"
  keep_work=0
fi
mkdir -p "$work"

# Stack traces in the logs for UBSan reports too (libFuzzer's ASan and
# UBSan already stop at the first report).
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
failed=()
printf '%-12s %10s %8s %8s %8s %7s  %s\n' target execs exec/s cov ft corpus result
for target in "${targets[@]}"; do
  fuzzer="$DSV2_BUILD_DIR/bin/dsv2-fuzz-$target"
  if [ ! -x "$fuzzer" ]; then
    dsv2_log "no fuzzer $fuzzer (targets: ${DSV2_FUZZ_TARGETS[*]})"
    exit 2
  fi
  # Fuzz a copy: libFuzzer adds every input that finds new coverage to the
  # first corpus folder, and the committed seeds should stay few and small.
  corpus="$work/$target/corpus"
  mkdir -p "$corpus" "$work/$target/crashes"
  for dir in "$root/test/fuzz/corpus/$target" "$root/test/fuzz/regressions/$target"; do
    if [ -d "$dir" ]; then
      find "$dir" -maxdepth 1 -type f ! -name README.md -exec cp {} "$corpus/" \;
    fi
  done
  log="$work/$target/fuzz.log"
  status=0
  # -timeout: seconds for one input; -rss_limit_mb also bounds single
  # allocations (-malloc_limit_mb defaults to it).
  "$fuzzer" "$corpus" -max_total_time="$seconds" -max_len="$(max_len "$target")" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/$target/crashes/" >"$log" 2>&1 || status=$?
  # "#123456 DONE cov: 1234 ft: 5678 corp: 90/12Kb ..." (the last status line)
  last=$(grep -E '^#[0-9]+[[:space:]]+[A-Z]+ +cov: ' "$log" | tail -n 1 || true)
  cov=$(sed -nE 's/.* cov: ([0-9]+).*/\1/p' <<<"$last")
  ft=$(sed -nE 's/.* ft: ([0-9]+).*/\1/p' <<<"$last")
  corp=$(sed -nE 's/.* corp: ([0-9]+)\/.*/\1/p' <<<"$last")
  execs=$(sed -nE 's/^stat::number_of_executed_units: ([0-9]+)/\1/p' "$log")
  rate=$(sed -nE 's/^stat::average_exec_per_sec: +([0-9]+)/\1/p' "$log")
  result=ok
  if [ "$status" -ne 0 ]; then
    result="FAILED (exit $status): $(grep -m 1 -E '^==[0-9]+==ERROR|^SUMMARY|ALARM|out-of-memory|deadly signal' "$log" || echo see log)"
    failed+=("$target")
  fi
  printf '%-12s %10s %8s %8s %8s %7s  %s\n' "$target" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${ft:-?}" "${corp:-?}" "$result"
done

dsv2_log "fuzzing took $(( $(date +%s) - built )) s; total $(( $(date +%s) - start )) s"
if [ ${#failed[@]} -ne 0 ]; then
  dsv2_log "failed: ${failed[*]}; logs and crash inputs in $work/<target>/"
  dsv2_log "reproduce: $DSV2_BUILD_DIR/bin/dsv2-fuzz-<target> <crash file>;" \
    "then add the file to test/fuzz/regressions/<target>/"
  exit 1
fi
if [ "$keep_work" -eq 0 ]; then
  rm -rf "$work"
else
  dsv2_log "corpora and logs kept in $work"
fi
