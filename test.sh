#!/usr/bin/env bash
# Builds dsv2c from nothing (installing Debian packages when missing) and runs
# every test: gtest suites and lit/FileCheck suites, all through ctest.
# Extra arguments go to ctest (e.g. ./test.sh -R lit-dialect).
set -euo pipefail
cd "$(dirname "$0")"
source tools/dev/bootstrap.sh

start=$(date +%s)
dsv2_bootstrap
dsv2_build
dsv2_log "build finished in $(( $(date +%s) - start )) s; running ctest"
cd "$DSV2_BUILD_DIR"
status=0
ctest --output-on-failure -j "$DSV2_JOBS" "$@" || status=$?
# The fuzz smoke run (30 s per target, about 4-5 min with its clang-built
# folder; docs/robustness.md) follows the full suite; DSV2_FUZZ_SMOKE=0
# skips it, and a run of selected tests (./test.sh -R ...) leaves it out
# unless DSV2_FUZZ_SMOKE=1.
fuzz_default=1
[ $# -gt 0 ] && fuzz_default=0
if [ "${DSV2_FUZZ_SMOKE:-$fuzz_default}" = 1 ]; then
  "$DSV2_ROOT/tools/dev/fuzz.sh" 30 || status=1
fi
exit "$status"
