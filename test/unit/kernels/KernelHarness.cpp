//===- KernelHarness.cpp - Compile catalog kernels, run their grids --------===//

#include "test/unit/kernels/KernelHarness.h"

#include "codegen/cpu/GridEntryPoints.h"
#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "codegen/gpu/Pipeline.h"
#include "dialect/tile/TileDialect.h"
#include "runtime/cpu/KernelLibrary.h"
#include "runtime/io/Bf16.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dsv2::test {

GuardedBytes::GuardedBytes(size_t bytes) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t dataPages = (std::max<size_t>(bytes, 1) + page - 1) / page * page;
  mappedBytes = dataPages + page;
  mapped = mmap(nullptr, mappedBytes, PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapped == MAP_FAILED) {
    mapped = nullptr;
    ADD_FAILURE() << "mmap of " << bytes << " bytes failed";
    return;
  }
  char *guard = static_cast<char *>(mapped) + dataPages;
  mprotect(guard, page, PROT_NONE);
  // Keep 16-byte alignment; the guard then sits at most 15 bytes later.
  end = reinterpret_cast<void *>(
      reinterpret_cast<uintptr_t>(guard - bytes) & ~uintptr_t(15));
}

GuardedBytes::~GuardedBytes() {
  if (mapped)
    munmap(mapped, mappedBytes);
}

KernelArgs &KernelArgs::push(const void *value, size_t size) {
  uint64_t slot = 0;
  std::memcpy(&slot, value, size);
  slots.push_back(slot);
  return *this;
}

void **KernelArgs::data() {
  pointers.clear();
  for (uint64_t &slot : slots)
    pointers.push_back(&slot);
  return pointers.data();
}

struct KernelSuite::State {
  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  std::unique_ptr<runtime::KernelLibrary> library;
  std::string diagnostics;
  std::unique_ptr<mlir::ScopedDiagnosticHandler> handler;

  static mlir::DialectRegistry registry() {
    mlir::DialectRegistry registry;
    registry.insert<mlir::tile::TileDialect, mlir::func::FuncDialect,
                    mlir::arith::ArithDialect, mlir::math::MathDialect,
                    mlir::scf::SCFDialect, mlir::vector::VectorDialect,
                    mlir::LLVM::LLVMDialect, mlir::cf::ControlFlowDialect,
                    mlir::ub::UBDialect, mlir::NVVM::NVVMDialect>();
    return registry;
  }
  State() : context(registry()) {
    context.loadAllAvailableDialects();
    handler = std::make_unique<mlir::ScopedDiagnosticHandler>(
        &context, [this](mlir::Diagnostic &diagnostic) {
          diagnostics += diagnostic.str() + "\n";
          return mlir::success();
        });
    module = mlir::ModuleOp::create(mlir::UnknownLoc::get(&context));
  }
};

KernelSuite::KernelSuite() : state(std::make_unique<State>()) {}
KernelSuite::~KernelSuite() = default;

void KernelSuite::add(const std::string &label, const std::string &kind,
                      const mlir::dsv2::KernelParams &params) {
  std::string kernelError;
  mlir::FailureOr<mlir::func::FuncOp> kernel = mlir::dsv2::instantiateKernel(
      *state->module, kind, params, kernelError);
  if (mlir::failed(kernel)) {
    error += label + ": " + kernelError + "\n" + state->diagnostics;
    return;
  }
  instances[label] = kernel->getSymName().str();
}

void KernelSuite::addSource(const std::string &label,
                            const std::string &source) {
  mlir::OwningOpRef<mlir::ModuleOp> parsed =
      mlir::parseSourceString<mlir::ModuleOp>(source, &state->context);
  if (!parsed) {
    error += label + ": the kernel does not parse\n" + state->diagnostics;
    return;
  }
  auto kernels = llvm::to_vector(parsed->getOps<mlir::func::FuncOp>());
  if (kernels.size() != 1) {
    error += label + ": the module must hold exactly one kernel\n";
    return;
  }
  mlir::func::FuncOp kernel = kernels.front();
  kernel->moveBefore(state->module->getBody(), state->module->getBody()->end());
  instances[label] = kernel.getSymName().str();
}

void KernelSuite::compile(const std::string &suiteName) {
  if (!error.empty())
    return;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> names;
  for (auto kernel : state->module->getOps<mlir::func::FuncOp>())
    names.push_back(kernel.getSymName().str());
#ifdef DSV2_KERNEL_TESTS_EMULATED
  // The GPU kernels (the code PTX is generated from) under the SIMT
  // emulator. DSV2_EMU_INJECT_MISSING_BARRIER=1 compiles them without the
  // barrier after shared-memory writes: the suites must then fail.
  // DSV2_EMU_INJECT_BAD_MMA_LAYOUT=1 swaps rows of every mma A fragment;
  // DSV2_EMU_INJECT_UNCHECKED_ALIGNMENT=1 drops the run-time alignment check
  // of wide accesses (misaligned ones must trap in the emulator);
  // DSV2_EMU_BF16_ACTIVATIONS=1 runs bf16-weight GEMMs on mma.sync with
  // activations rounded to bf16 (the GPU engines' policy for bf16).
  auto flag = [](const char *name) {
    const char *value = std::getenv(name);
    return value && std::string(value) == "1";
  };
  mlir::dsv2::gpu::SimtOptions simt;
  simt.injectMissingBarrier = flag("DSV2_EMU_INJECT_MISSING_BARRIER");
  simt.injectBadMmaLayout = flag("DSV2_EMU_INJECT_BAD_MMA_LAYOUT");
  simt.injectUncheckedAlignment = flag("DSV2_EMU_INJECT_UNCHECKED_ALIGNMENT");
  simt.bf16Activations = bf16Activations || flag("DSV2_EMU_BF16_ACTIVATIONS");
  if (mlir::failed(mlir::dsv2::gpu::lowerTileToNVVM(*state->module, simt)) ||
      mlir::failed(mlir::dsv2::gpu::lowerNVVMToEmulation(*state->module))) {
    error = "GPU lowering failed: " + state->diagnostics;
    return;
  }
#else
  mlir::dsv2::cpu::CpuLoweringOptions lowering;
  lowering.pairDot = pairDot;
  if (hostLowering) {
    auto host = mlir::dsv2::cpu::describeCpuTarget(
        {}, mlir::dsv2::cpu::cpuLoweringFeatures());
    if (!host) {
      error = llvm::toString(host.takeError());
      return;
    }
    lowering = mlir::dsv2::cpu::cpuLoweringFor(host->features);
  }
  if (mlir::failed(mlir::dsv2::cpu::lowerTileToLLVM(*state->module, lowering))) {
    error = "lowering failed: " + state->diagnostics;
    return;
  }
  if (mlir::failed(mlir::dsv2::cpu::addGridEntryPoints(*state->module, names))) {
    error = "grid entry points failed: " + state->diagnostics;
    return;
  }
#endif
  llvm::SmallString<128> directory;
  if (llvm::sys::fs::createUniqueDirectory("dsv2-kernel-test", directory)) {
    error = "cannot create a temporary directory";
    return;
  }
  llvm::SmallString<128> library(directory);
  llvm::sys::path::append(library, "lib" + suiteName + ".so");
  if (llvm::Error failure =
          mlir::dsv2::cpu::emitSharedLibrary(*state->module, library)) {
    error = llvm::toString(std::move(failure));
    return;
  }
  auto opened = runtime::KernelLibrary::open(library.str().str());
  llvm::sys::fs::remove(library);
  llvm::sys::fs::remove(directory);
  if (!opened.ok()) {
    error = std::string(opened.status().message());
    return;
  }
  state->library = std::move(*opened);
  for (const auto &[label, name] : instances) {
    auto entry = state->library->lookup(name);
    if (!entry.ok()) {
      error += std::string(entry.status().message()) + "\n";
      continue;
    }
    entries[label] = *entry;
  }
  compileSeconds = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - start)
                       .count();
  std::printf("[kernels] %s: %zu instances compiled in %.2f s\n",
              suiteName.c_str(), instances.size(), compileSeconds);
}

void KernelSuite::run(const std::string &label, KernelArgs &args, int32_t gx,
                      int32_t gy, int32_t gz) {
  runRange(label, args, gx, gy, gz, 0, int64_t(gx) * gy * gz);
}

void KernelSuite::runRange(const std::string &label, KernelArgs &args,
                           int32_t gx, int32_t gy, int32_t gz, int64_t first,
                           int64_t last) {
  auto it = entries.find(label);
  ASSERT_NE(it, entries.end()) << "no compiled kernel " << label;
  it->second(args.data(), gx, gy, gz, first, last);
}

std::vector<float> randomFloats(std::mt19937 &rng, size_t count, float range) {
  std::uniform_real_distribution<float> dist(-range, range);
  std::vector<float> values(count);
  for (float &v : values)
    v = dist(rng);
  return values;
}

std::vector<uint16_t> randomBf16(std::mt19937 &rng, size_t count, float range,
                                 std::vector<float> &asFloat) {
  std::vector<float> values = randomFloats(rng, count, range);
  std::vector<uint16_t> bits(count);
  asFloat.resize(count);
  for (size_t i = 0; i < count; ++i) {
    bits[i] = runtime::float32ToBf16(values[i]);
    asFloat[i] = runtime::bf16ToFloat32(bits[i]);
  }
  return bits;
}

double expectClose(const float *got, const float *expected, size_t count,
                   const std::string &what, double tolerance) {
  double scale = 0;
  for (size_t i = 0; i < count; ++i)
    scale = std::max(scale, std::abs(double(expected[i])));
  if (scale == 0)
    scale = 1;
  double worst = 0;
  size_t failures = 0;
  for (size_t i = 0; i < count; ++i) {
    double relative = std::abs(double(got[i]) - double(expected[i])) / scale;
    if (!(relative <= tolerance)) { // NaN fails too
      if (++failures <= 5)
        ADD_FAILURE() << what << ": element " << i << " got " << got[i]
                      << ", expected " << expected[i] << " (error "
                      << relative << " of max |ref| " << scale << ")";
      worst = std::max(worst, std::isnan(relative) ? 1e30 : relative);
      continue;
    }
    worst = std::max(worst, relative);
  }
  if (failures > 5)
    ADD_FAILURE() << what << ": " << failures << " elements out of " << count
                  << " differ";
  std::printf("[kernels] %s: max error %.3g of max |ref|\n", what.c_str(),
              worst);
  return worst;
}

std::string floatText(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.9e", value);
  return text;
}

int64_t nextPowerOfTwo(int64_t value) {
  int64_t power = 1;
  while (power < value)
    power <<= 1;
  return power;
}

} // namespace dsv2::test
