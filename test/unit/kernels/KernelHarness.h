//===- KernelHarness.h - Compile catalog kernels, run their grids -*- C++ -*-===//
//
// A KernelSuite collects the kernel instances one test suite needs into one
// module, compiles it once (lowerTileToLLVM, addGridEntryPoints,
// emitSharedLibrary) and hands out the `<instance>_grid` entries of
// runtime/engine/KernelAbi.h. Compile time dominates, so test suites build
// their KernelSuite in a static SetUpTestSuite.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_KERNELS_KERNELHARNESS_H
#define TEST_UNIT_KERNELS_KERNELHARNESS_H

#include "codegen/kernels/KernelCatalog.h"
#include "runtime/engine/KernelAbi.h"
#include "runtime/io/WeightPanels.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace dsv2::test {

/// `count` elements of T that end right before a PROT_NONE page, so an
/// unmasked read or write past the end faults.
class GuardedBytes {
public:
  explicit GuardedBytes(size_t bytes);
  ~GuardedBytes();
  GuardedBytes(const GuardedBytes &) = delete;
  GuardedBytes &operator=(const GuardedBytes &) = delete;
  void *data() const { return end; }

private:
  void *mapped = nullptr;
  size_t mappedBytes = 0;
  void *end = nullptr;
};

template <typename T> class Buffer {
public:
  explicit Buffer(size_t count, T fill = T())
      : count(count), bytes(count * sizeof(T)) {
    for (size_t i = 0; i < count; ++i)
      data()[i] = fill;
  }
  T *data() { return static_cast<T *>(bytes.data()); }
  const T *data() const { return static_cast<const T *>(bytes.data()); }
  T &operator[](size_t i) { return data()[i]; }
  const T &operator[](size_t i) const { return data()[i]; }
  size_t size() const { return count; }
  std::vector<T> vector() const { return std::vector<T>(data(), data() + count); }

private:
  size_t count;
  GuardedBytes bytes;
};

/// The argument array of a `_grid` call: args[i] points at the buffer
/// pointer or at the i32/f32 scalar.
class KernelArgs {
public:
  KernelArgs &ptr(void *p) { return push(&p, sizeof(p)); }
  template <typename T> KernelArgs &buf(Buffer<T> &b) { return ptr(b.data()); }
  KernelArgs &i32(int32_t v) { return push(&v, sizeof(v)); }
  KernelArgs &f32(float v) { return push(&v, sizeof(v)); }
  void **data();

private:
  KernelArgs &push(const void *value, size_t size);
  std::vector<uint64_t> slots;
  std::vector<void *> pointers;
};

class KernelSuite {
public:
  KernelSuite();
  ~KernelSuite();
  /// Instantiates `kind` with `params` under `label`.
  void add(const std::string &label, const std::string &kind,
           const mlir::dsv2::KernelParams &params);
  /// Adds the one kernel of the module `source` (tile IR written by the
  /// test, not a catalog template) under `label`.
  void addSource(const std::string &label, const std::string &source);
  /// Compiles every instance into one shared library and opens it.
  void compile(const std::string &suiteName);
  /// Runs the whole gx x gy x gz grid of the kernel added as `label`.
  void run(const std::string &label, KernelArgs &args, int32_t gx,
           int32_t gy = 1, int32_t gz = 1);
  /// Runs the programs with linear ids [first, last) of that grid
  /// (runtime/engine/KernelAbi.h), for callers that spread a grid over
  /// threads.
  void runRange(const std::string &label, KernelArgs &args, int32_t gx,
                int32_t gy, int32_t gz, int64_t first, int64_t last);
  std::string error;
  double compileSeconds = 0;
  /// Emulated GPU build only: run bf16-weight GEMMs on mma.sync with the
  /// activations rounded to bf16 (set before compile()).
  bool bf16Activations = false;
  /// CPU build only: the instructions of tile.pair_dot ("generic", "avx2",
  /// "avx512bw"; set before compile()).
  std::string pairDot = "generic";
  /// CPU build only: lower with the knobs dsv2c picks for this machine
  /// (cpu::cpuLoweringFor its features: pair-dot, vector-bits), as engines
  /// compiled here are, instead of the portable defaults above (benchmarks;
  /// set before compile()).
  bool hostLowering = false;

private:
  struct State;
  std::unique_ptr<State> state;
  std::map<std::string, std::string> instances;
  std::map<std::string, runtime::KernelGridFunction> entries;
};

// --- data and comparisons --------------------------------------------------

std::vector<float> randomFloats(std::mt19937 &rng, size_t count, float range);

/// Stacked [experts, n, k] weights with each expert in column panels
/// (runtime/io/WeightPanels.h), the layout of the CPU's *_panel kernels.
template <typename T>
std::vector<T> stackedPanels(const std::vector<T> &w, int64_t experts,
                             int64_t n, int64_t k) {
  std::vector<T> out;
  for (int64_t e = 0; e < experts; ++e) {
    std::vector<T> one = runtime::toWeightPanels(w.data() + e * n * k, n, k);
    out.insert(out.end(), one.begin(), one.end());
  }
  return out;
}

/// A guarded copy of `values`.
template <typename T> void fill(Buffer<T> &buffer, const std::vector<T> &values) {
  std::copy(values.begin(), values.end(), buffer.data());
}
/// bf16 bit patterns of random values, and their f32 values.
std::vector<uint16_t> randomBf16(std::mt19937 &rng, size_t count, float range,
                                 std::vector<float> &asFloat);

/// Expects |got[i] - expected[i]| <= tolerance * max|expected| for all i and
/// returns the largest error relative to max|expected|.
double expectClose(const float *got, const float *expected, size_t count,
                   const std::string &what, double tolerance = 1e-5);
inline double expectClose(const std::vector<float> &got,
                          const std::vector<float> &expected,
                          const std::string &what, double tolerance = 1e-5) {
  EXPECT_EQ(got.size(), expected.size()) << what;
  return expectClose(got.data(), expected.data(),
                     std::min(got.size(), expected.size()), what, tolerance);
}

std::string floatText(double value);
int64_t nextPowerOfTwo(int64_t value);

} // namespace dsv2::test

#endif // TEST_UNIT_KERNELS_KERNELHARNESS_H
