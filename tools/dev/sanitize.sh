#!/usr/bin/env bash
# Builds everything with AddressSanitizer + UndefinedBehaviorSanitizer
# (DSV2_ENABLE_SANITIZERS, the default compiler) in build-asan/ and runs the
# test suite there. Extra arguments go to ctest (e.g. -R runtime, -L lit).
#
# What is and is not checked (docs/robustness.md has the details):
#  - our code (tools, runtime, dialects, passes) is instrumented; Debian's
#    LLVM/MLIR/abseil libraries and the kernels our compiler generates (which
#    the CPU executor dlopens) are not;
#  - UBSan stops the process at the first report (halt_on_error), so a report
#    fails its test instead of scrolling past;
#  - leaks are detected (LSan): the tools free what they allocate or keep it
#    reachable from globals.
#
# Environment:
#   DSV2_ASAN_BUILD_DIR  build folder (default: build-asan)
#   DSV2_JOBS            parallel build and test jobs (default: nproc)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
export DSV2_BUILD_DIR="${DSV2_ASAN_BUILD_DIR:-$root/build-asan}"
source "$root/tools/dev/bootstrap.sh"

start=$(date +%s)
dsv2_install_packages
if [ ! -f "$DSV2_BUILD_DIR/build.ninja" ]; then
  launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  # -O1, as ASan recommends: about half the compile time of -O3, and reports
  # point at the right lines. NDEBUG stays: LLVM's headers must match its
  # libraries.
  cmake -S "$root" -B "$DSV2_BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG" "-DCMAKE_C_FLAGS_RELEASE=-O1 -DNDEBUG" \
    -DDSV2_ENABLE_SANITIZERS=ON "${launcher[@]}"
fi
dsv2_build
dsv2_log "sanitizer build finished in $(( $(date +%s) - start )) s; running ctest"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=0}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
cd "$DSV2_BUILD_DIR"
status=0
ctest --output-on-failure -j "$DSV2_JOBS" "$@" || status=$?
dsv2_log "sanitizer build and tests took $(( $(date +%s) - start )) s"
exit "$status"
