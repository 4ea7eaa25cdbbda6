//===- CpuKernelsTest.cpp - Compiled tile kernels against C++
//---------------===//
//
// Compiles the example kernels of test/dialect/tile-ops.mlir (copied to
// test/codegen/Inputs/) with the CPU code generator into shared libraries,
// runs every program of their grids, and compares with straightforward C++
// at sizes that are not multiples of the tiles. Buffers end at a
// PROT_NONE page and carry sentinels, so an unmasked read past the end
// faults and an unmasked write is seen.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/GridEntryPoints.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "dialect/tile/TileDialect.h"
#include "runtime/io/Bf16.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#ifndef DSV2_CODEGEN_INPUTS
#error "DSV2_CODEGEN_INPUTS must name test/codegen/Inputs"
#endif

namespace {

using dsv2::runtime::bf16ToFloat32;
using dsv2::runtime::float32ToBf16;

//===----------------------------------------------------------------------===//
// Buffers that fault on reads past their end
//===----------------------------------------------------------------------===//

/// `count` elements of T that end right before a PROT_NONE page.
template <typename T> class GuardedBuffer {
public:
  explicit GuardedBuffer(size_t count) : count(count) {
    size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    size_t bytes = std::max<size_t>(count * sizeof(T), 1);
    dataPages = (bytes + page - 1) / page * page;
    mapped = mmap(nullptr, dataPages + page, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED) {
      mapped = nullptr;
      return;
    }
    char *guard = static_cast<char *>(mapped) + dataPages;
    mprotect(guard, page, PROT_NONE);
    elements = reinterpret_cast<T *>(guard - count * sizeof(T));
  }
  ~GuardedBuffer() {
    if (mapped)
      munmap(mapped, dataPages + static_cast<size_t>(sysconf(_SC_PAGESIZE)));
  }
  GuardedBuffer(const GuardedBuffer &) = delete;
  GuardedBuffer &operator=(const GuardedBuffer &) = delete;

  T *data() { return elements; }
  T &operator[](size_t i) { return elements[i]; }
  size_t size() const { return count; }
  bool ok() const { return mapped != nullptr; }

private:
  size_t count;
  size_t dataPages = 0;
  void *mapped = nullptr;
  T *elements = nullptr;
};

/// A random bf16 bit pattern of a value in [-range, range].
uint16_t randomBf16(std::mt19937 &rng, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  return float32ToBf16(dist(rng));
}

//===----------------------------------------------------------------------===//
// Compiling the kernels
//===----------------------------------------------------------------------===//

/// The launch arguments every kernel takes after its own.
struct Launch {
  int32_t x, y, z, nx, ny, nz;
};

/// `name_grid` of runtime/engine/KernelAbi.h.
using GridFunction = void (*)(void **args, int32_t gridX, int32_t gridY,
                              int32_t gridZ, int64_t first, int64_t last);

/// One input module compiled into a shared library in a temporary folder.
class CompiledKernels {
public:
  explicit CompiledKernels(const std::string &inputName) {
    llvm::SmallString<128> directory;
    if (llvm::sys::fs::createUniqueDirectory("dsv2-codegen-test", directory)) {
      error = "cannot create a temporary directory";
      return;
    }
    folder = directory.str().str();
    libraryPath = folder + "/lib" + inputName + ".so";

    mlir::DialectRegistry registry;
    registry.insert<mlir::tile::TileDialect, mlir::vector::VectorDialect,
                    mlir::LLVM::LLVMDialect, mlir::cf::ControlFlowDialect,
                    mlir::ub::UBDialect>();
    mlir::MLIRContext context(registry);
    context.loadAllAvailableDialects();
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler handler(
        &context, [&](mlir::Diagnostic &diagnostic) {
          diagnostics += diagnostic.str() + "\n";
          return mlir::success();
        });
    std::string inputPath =
        std::string(DSV2_CODEGEN_INPUTS) + "/" + inputName + ".mlir";
    mlir::OwningOpRef<mlir::ModuleOp> module =
        mlir::parseSourceFile<mlir::ModuleOp>(inputPath, &context);
    if (!module) {
      error = "cannot parse " + inputPath + ": " + diagnostics;
      return;
    }
    std::vector<std::string> names;
    for (auto function : module->getOps<mlir::func::FuncOp>())
      if (function->hasAttr(mlir::tile::TileDialect::getKernelAttrName()))
        names.push_back(function.getSymName().str());
    if (mlir::failed(mlir::dsv2::cpu::lowerTileToLLVM(*module))) {
      error = "lowering failed: " + diagnostics;
      return;
    }
    if (mlir::failed(mlir::dsv2::cpu::addGridEntryPoints(*module, names))) {
      error = "grid entry points failed: " + diagnostics;
      return;
    }
    if (llvm::Error failure =
            mlir::dsv2::cpu::emitSharedLibrary(*module, libraryPath)) {
      error = llvm::toString(std::move(failure));
      return;
    }
    handle = dlopen(libraryPath.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle)
      error = std::string("dlopen: ") + dlerror();
  }

  ~CompiledKernels() {
    if (handle)
      dlclose(handle);
    if (!libraryPath.empty())
      llvm::sys::fs::remove(libraryPath);
    if (!folder.empty())
      llvm::sys::fs::remove(folder);
  }

  template <typename Function> Function lookup(const std::string &name) {
    return handle ? reinterpret_cast<Function>(dlsym(handle, name.c_str()))
                  : nullptr;
  }

  std::string error;

private:
  std::string folder, libraryPath;
  void *handle = nullptr;
};

/// Calls `run(launch)` for every program of a gridX x gridY x gridZ grid.
template <typename Run>
void forEachProgram(int32_t gridX, int32_t gridY, int32_t gridZ, Run run) {
  for (int32_t z = 0; z < gridZ; ++z)
    for (int32_t y = 0; y < gridY; ++y)
      for (int32_t x = 0; x < gridX; ++x)
        run(Launch{x, y, z, gridX, gridY, gridZ});
}

//===----------------------------------------------------------------------===//
// RMSNorm rows
//===----------------------------------------------------------------------===//

using RmsNormRows = void (*)(float *x, uint16_t *w, float *y, int32_t hidden,
                             float eps, int32_t, int32_t, int32_t, int32_t,
                             int32_t, int32_t);

TEST(CpuKernels, RmsNormRowsMatchesReferenceAtUnalignedHiddenSizes) {
  CompiledKernels kernels("rms-norm-rows");
  ASSERT_EQ(kernels.error, "");
  auto kernel = kernels.lookup<RmsNormRows>("rms_norm_rows");
  ASSERT_NE(kernel, nullptr);

  std::mt19937 rng(7);
  const int32_t tokens = 5;
  const float eps = 1e-6f;
  for (int32_t hidden : {1000, 2048, 1400, 7}) {
    SCOPED_TRACE("hidden " + std::to_string(hidden));
    GuardedBuffer<float> x(tokens * hidden), y(tokens * hidden + 16);
    GuardedBuffer<uint16_t> w(hidden);
    ASSERT_TRUE(x.ok() && y.ok() && w.ok());
    std::uniform_real_distribution<float> dist(-2.0f, 2.0f);
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = dist(rng);
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = randomBf16(rng, 1.5f);
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = -12345.0f;

    forEachProgram(tokens, 1, 1, [&](Launch l) {
      kernel(x.data(), w.data(), y.data(), hidden, eps, l.x, l.y, l.z, l.nx,
             l.ny, l.nz);
    });

    double maxRelative = 0;
    for (int32_t t = 0; t < tokens; ++t) {
      double sumsq = 0;
      for (int32_t c = 0; c < hidden; ++c)
        sumsq += double(x[t * hidden + c]) * x[t * hidden + c];
      double rstd = 1.0 / std::sqrt(sumsq / hidden + eps);
      for (int32_t c = 0; c < hidden; ++c) {
        double expected = x[t * hidden + c] * rstd * bf16ToFloat32(w[c]);
        double got = y[t * hidden + c];
        double relative =
            std::abs(got - expected) / std::max(std::abs(expected), 1e-30);
        maxRelative = std::max(maxRelative, relative);
        ASSERT_LE(relative, 1e-5)
            << "token " << t << " column " << c << ": got " << got
            << ", expected " << expected;
      }
    }
    for (size_t i = tokens * hidden; i < y.size(); ++i)
      ASSERT_EQ(y[i], -12345.0f) << "store past the rows at " << i;
    std::printf("rms_norm_rows hidden=%d: max relative error %.3g\n", hidden,
                maxRelative);
  }
}

//===----------------------------------------------------------------------===//
// Linear with bf16 weights
//===----------------------------------------------------------------------===//

using LinearBf16 = void (*)(uint16_t *x, uint16_t *w, float *y, int32_t tokens,
                            int32_t n, int32_t k, int32_t, int32_t, int32_t,
                            int32_t, int32_t, int32_t);

TEST(CpuKernels, LinearBf16MatchesReferenceWithMaskedTiles) {
  CompiledKernels kernels("linear-bf16");
  ASSERT_EQ(kernels.error, "");
  auto kernel = kernels.lookup<LinearBf16>("linear_bf16");
  auto grid = kernels.lookup<GridFunction>("linear_bf16_grid");
  ASSERT_NE(kernel, nullptr);
  ASSERT_NE(grid, nullptr);

  std::mt19937 rng(11);
  struct Size {
    int32_t m, n, k;
  };
  for (Size size : {Size{37, 100, 130}, Size{1, 100, 130}, Size{64, 128, 96},
                    Size{33, 65, 33}}) {
    const int32_t m = size.m, n = size.n, k = size.k;
    SCOPED_TRACE("m " + std::to_string(m) + " n " + std::to_string(n) + " k " +
                 std::to_string(k));
    GuardedBuffer<uint16_t> x(m * k), w(n * k);
    GuardedBuffer<float> y(m * n + 8), yGrid(m * n + 8);
    ASSERT_TRUE(x.ok() && w.ok() && y.ok() && yGrid.ok());
    for (size_t i = 0; i < x.size(); ++i)
      x[i] = randomBf16(rng, 1.0f);
    for (size_t i = 0; i < w.size(); ++i)
      w[i] = randomBf16(rng, 0.5f);
    for (size_t i = 0; i < y.size(); ++i)
      y[i] = yGrid[i] = -777.0f;

    const int32_t gridX = (m + 31) / 32, gridY = (n + 63) / 64;
    forEachProgram(gridX, gridY, 1, [&](Launch l) {
      kernel(x.data(), w.data(), y.data(), m, n, k, l.x, l.y, l.z, l.nx, l.ny,
             l.nz);
    });

    // The same launch through the runtime's entry point, in two ranges.
    uint16_t *xPtr = x.data(), *wPtr = w.data();
    float *yPtr = yGrid.data();
    int32_t mArg = m, nArg = n, kArg = k;
    void *args[] = {&xPtr, &wPtr, &yPtr, &mArg, &nArg, &kArg};
    int64_t programs = int64_t(gridX) * gridY;
    grid(args, gridX, gridY, 1, 0, programs / 2);
    grid(args, gridX, gridY, 1, programs / 2, programs);

    double maxRelative = 0;
    for (int32_t i = 0; i < m; ++i) {
      for (int32_t j = 0; j < n; ++j) {
        // f32 accumulation in K order, like the kernel (bf16 x bf16
        // products are exact in f32, so fused or not makes no difference).
        float acc = 0.0f;
        for (int32_t kk = 0; kk < k; ++kk)
          acc += bf16ToFloat32(x[i * k + kk]) * bf16ToFloat32(w[j * k + kk]);
        float got = y[i * n + j];
        double relative = std::abs(double(got) - acc) /
                          std::max(std::abs(double(acc)), 1e-30);
        maxRelative = std::max(maxRelative, relative);
        ASSERT_LE(relative, 1e-5) << "y[" << i << ", " << j << "]: got " << got
                                  << ", expected " << acc;
        ASSERT_EQ(yGrid[i * n + j], got) << "grid entry point differs";
      }
    }
    for (size_t i = m * n; i < y.size(); ++i) {
      ASSERT_EQ(y[i], -777.0f) << "store past y at " << i;
      ASSERT_EQ(yGrid[i], -777.0f) << "store past y at " << i;
    }
    std::printf("linear_bf16 %dx%dx%d: max relative error %.3g\n", m, n, k,
                maxRelative);
  }
}

//===----------------------------------------------------------------------===//
// SiLU gate
//===----------------------------------------------------------------------===//

using SiluGate = void (*)(uint16_t *gate, uint16_t *up, uint16_t *h, int32_t,
                          int32_t, int32_t, int32_t, int32_t, int32_t);

TEST(CpuKernels, SiluGateMatchesReferenceOverMaskedColumns) {
  CompiledKernels kernels("silu-gate");
  ASSERT_EQ(kernels.error, "");
  auto kernel = kernels.lookup<SiluGate>("silu_gate");
  ASSERT_NE(kernel, nullptr);

  std::mt19937 rng(3);
  const int32_t tokens = 3, columns = 1408;
  GuardedBuffer<uint16_t> gate(tokens * columns), up(tokens * columns),
      h(tokens * columns + 32);
  ASSERT_TRUE(gate.ok() && up.ok() && h.ok());
  for (size_t i = 0; i < gate.size(); ++i) {
    gate[i] = randomBf16(rng, 12.0f);
    up[i] = randomBf16(rng, 3.0f);
  }
  // Edge values: zeros, large magnitudes, infinities.
  gate[0] = float32ToBf16(0.0f);
  gate[1] = float32ToBf16(-0.0f);
  gate[2] = float32ToBf16(90.0f);
  gate[3] = float32ToBf16(-90.0f);
  gate[4] = 0x7f80; // +inf
  for (size_t i = 0; i < h.size(); ++i)
    h[i] = 0xdead;

  forEachProgram(tokens, 2, 1, [&](Launch l) {
    kernel(gate.data(), up.data(), h.data(), l.x, l.y, l.z, l.nx, l.ny, l.nz);
  });

  // The kernel rounds its f32 result to bf16 once. Accept the rounding of
  // any value within 1e-5 (relative) of the f32 reference: bit-exact unless
  // the reference sits within 1e-5 of a rounding boundary.
  int exact = 0;
  double maxRelative = 0;
  for (int32_t i = 0; i < tokens * columns; ++i) {
    float g = bf16ToFloat32(gate[i]), u = bf16ToFloat32(up[i]);
    float expected = g / (1.0f + std::exp(-g)) * u;
    uint16_t got = h[i];
    if (got == float32ToBf16(expected)) {
      ++exact;
      continue;
    }
    bool withinTolerance = got == float32ToBf16(expected * (1.0f - 1e-5f)) ||
                           got == float32ToBf16(expected * (1.0f + 1e-5f));
    ASSERT_TRUE(withinTolerance)
        << "h[" << i << "]: got " << bf16ToFloat32(got) << ", expected "
        << expected << " (gate " << g << ", up " << u << ")";
    maxRelative =
        std::max(maxRelative, std::abs(double(bf16ToFloat32(got)) - expected) /
                                  std::abs(double(expected)));
  }
  for (size_t i = tokens * columns; i < h.size(); ++i)
    ASSERT_EQ(h[i], 0xdead) << "store past h at " << i;
  std::printf("silu_gate: %d of %d bit-exact\n", exact, tokens * columns);
}

//===----------------------------------------------------------------------===//
// Column loads and stores, gathers and scatters
//===----------------------------------------------------------------------===//

using CopyColumns = void (*)(uint16_t *w, uint16_t *y, int32_t n, int32_t k,
                             int32_t, int32_t, int32_t, int32_t, int32_t,
                             int32_t);
using StridedScale = void (*)(float *x, float *y, int32_t n, int32_t, int32_t,
                              int32_t, int32_t, int32_t, int32_t);
using MaskedRowsTail = void (*)(float *x, float *out, int32_t rows, int32_t,
                                int32_t, int32_t, int32_t, int32_t, int32_t);

TEST(CpuKernels, ColumnAndStridedAccessesStayInsideTheirMasks) {
  CompiledKernels kernels("memory-patterns");
  ASSERT_EQ(kernels.error, "");
  auto copyColumns = kernels.lookup<CopyColumns>("copy_columns");
  auto stridedScale = kernels.lookup<StridedScale>("strided_scale");
  auto maskedRowsTail = kernels.lookup<MaskedRowsTail>("masked_rows_tail");
  ASSERT_NE(copyColumns, nullptr);
  ASSERT_NE(stridedScale, nullptr);
  ASSERT_NE(maskedRowsTail, nullptr);

  std::mt19937 rng(5);
  for (auto [n, k] : {std::pair{13, 29}, std::pair{16, 32}, std::pair{1, 1}}) {
    SCOPED_TRACE("n " + std::to_string(n) + " k " + std::to_string(k));
    GuardedBuffer<uint16_t> w(n * k), y(n * k);
    ASSERT_TRUE(w.ok() && y.ok());
    for (int i = 0; i < n * k; ++i) {
      w[i] = randomBf16(rng, 4.0f);
      y[i] = 0xdead;
    }
    copyColumns(w.data(), y.data(), n, k, 0, 0, 0, 1, 1, 1);
    for (int i = 0; i < n * k; ++i)
      ASSERT_EQ(y[i], w[i]) << "element " << i;
  }

  for (int32_t n : {50, 64, 0}) {
    SCOPED_TRACE("n " + std::to_string(n));
    // Lane i reads x[2i]; the last lane read is 2(n-1), so x ends there.
    size_t extent = n > 0 ? 2 * n - 1 : 1;
    GuardedBuffer<float> x(extent), y(extent);
    ASSERT_TRUE(x.ok() && y.ok());
    for (size_t i = 0; i < extent; ++i) {
      x[i] = static_cast<float>(i) + 0.5f;
      y[i] = -3.0f;
    }
    stridedScale(x.data(), y.data(), n, 0, 0, 0, 1, 1, 1);
    for (size_t i = 0; i < extent; ++i) {
      float expected = (i % 2 == 0 && n > 0) ? 2.0f * x[i] : -3.0f;
      ASSERT_EQ(y[i], expected) << "element " << i;
    }
  }

  // Rows of 20 floats read as 16 x 32 blocks: the buffer ends right after
  // the last row (a read of lanes 20..31 past it would fault).
  for (int32_t rows : {12, 16, 33}) {
    SCOPED_TRACE("rows " + std::to_string(rows));
    GuardedBuffer<float> x(rows * 20);
    ASSERT_TRUE(x.ok());
    for (int32_t i = 0; i < rows * 20; ++i)
      x[i] = static_cast<float>(i % 7);
    float out = -1.0f, expected = 0.0f;
    for (int32_t i = 0; i < rows * 20; ++i)
      expected += x[i];
    maskedRowsTail(x.data(), &out, rows, 0, 0, 0, 1, 1, 1);
    ASSERT_EQ(out, expected);
  }
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

TEST(CpuKernels, UnknownCpuIsAClearError) {
  mlir::MLIRContext context;
  context.loadDialect<mlir::LLVM::LLVMDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>("module {}", &context);
  ASSERT_TRUE(module);
  mlir::dsv2::cpu::CpuTargetOptions options;
  options.cpu = "no-such-cpu";
  llvm::Expected<std::string> text =
      mlir::dsv2::cpu::emitLLVMIRText(*module, options);
  ASSERT_FALSE(static_cast<bool>(text));
  std::string message = llvm::toString(text.takeError());
  EXPECT_NE(message.find("'no-such-cpu' is not a CPU"), std::string::npos)
      << message;
}

} // namespace
