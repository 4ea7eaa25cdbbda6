#!/usr/bin/env bash
# Shared by ./demo.sh and ./test.sh: install what the build needs (Debian
# packages, idempotent), configure into build/ and build incrementally.
#
# Environment:
#   DSV2_BUILD_DIR    build folder (default: build)
#   DSV2_CMAKE_ARGS   extra arguments for the first configure
#   DSV2_JOBS         parallel build jobs (default: nproc)

set -euo pipefail

DSV2_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
DSV2_BUILD_DIR="${DSV2_BUILD_DIR:-$DSV2_ROOT/build}"
DSV2_JOBS="${DSV2_JOBS:-$(nproc)}"

# LLVM/MLIR are pinned to 22; everything else is Debian 12's own.
DSV2_PACKAGES=(
  cmake ninja-build g++ python3
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools
  flatbuffers-compiler libflatbuffers-dev libabsl-dev libgtest-dev
  nlohmann-json3-dev libpcre2-dev
  # Multi-rank engines: the MPI collectives plugin and `mpirun` (dsv2-run
  # itself never links MPI; single-rank engines do not need it).
  libopenmpi-dev openmpi-bin
)

# Only for tools/dev/fuzz.sh and tools/dev/sanitize.sh: clang with libFuzzer
# and the sanitizer runtimes (./test.sh's normal path does not need them).
DSV2_CLANG_PACKAGES=(clang-22 libclang-rt-22-dev)

dsv2_log() { printf '\033[1m[dsv2]\033[0m %s\n' "$*" >&2; }

# dsv2_install_packages [PACKAGE...]: installs the packages given (default:
# DSV2_PACKAGES) that are missing.
dsv2_install_packages() {
  local wanted=("$@") missing=()
  if [ ${#wanted[@]} -eq 0 ]; then
    wanted=("${DSV2_PACKAGES[@]}")
  fi
  for pkg in "${wanted[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
      missing+=("$pkg")
    fi
  done
  if [ ${#missing[@]} -eq 0 ]; then
    return 0
  fi
  dsv2_log "installing: ${missing[*]}"
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    sudo="sudo"
  fi
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

dsv2_configure() {
  if [ -f "$DSV2_BUILD_DIR/build.ninja" ]; then
    return 0
  fi
  local launcher=()
  if command -v ccache >/dev/null 2>&1; then
    launcher=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  fi
  dsv2_log "configuring into $DSV2_BUILD_DIR"
  # shellcheck disable=SC2086
  cmake -S "$DSV2_ROOT" -B "$DSV2_BUILD_DIR" -G Ninja \
    -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" ${DSV2_CMAKE_ARGS:-}
}

dsv2_build() {
  dsv2_log "building ($DSV2_JOBS jobs): ${*:-all}"
  cmake --build "$DSV2_BUILD_DIR" -j "$DSV2_JOBS" ${1:+--target "$@"}
}

dsv2_bootstrap() {
  dsv2_install_packages
  dsv2_configure
}

# For the fuzz and sanitizer builds: everything the build needs plus clang.
dsv2_bootstrap_clang() {
  dsv2_install_packages "${DSV2_PACKAGES[@]}" "${DSV2_CLANG_PACKAGES[@]}"
}
