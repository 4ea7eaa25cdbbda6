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
ctest --output-on-failure -j "$DSV2_JOBS" "$@"
