//===- CpuEngine.h - Compile a step module into CPU kernels -----*- C++ -*-===//
//
// Kernel formation and CPU code generation of an optimized step module: a
// launch plan plus the image of a shared library of its kernels. `dsv2c
// compile` writes both into an engine file; `dsv2c eval --engine cpu` runs
// them in memory.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_CPUENGINE_H
#define TOOLS_DSV2C_CPUENGINE_H

#include "tools/dsv2c/KernelCache.h"
#include "tools/dsv2c/ModelSource.h"

#include "runtime/cpu/CpuExecutor.h"
#include "runtime/engine/EngineFormat.h"

#include "codegen/cpu/ObjectEmitter.h"
#include "passes/kernel_formation/KernelFormation.h"

#include "mlir/IR/BuiltinOps.h"

namespace dsv2::tools {

struct CpuEngineOptions {
  int64_t maxContext = 4096;
  int threads = 0;
  /// LLVM CPU name, or "host" (see codegen/cpu/ObjectEmitter.h).
  std::string cpu = "host";
  /// Threads compiling the kernels (0: one per hardware thread).
  unsigned codegenThreads = 0;
  /// --quantize: int8 projection weights.
  mlir::dsv2::WeightQuantization weightQuantization =
      mlir::dsv2::WeightQuantization::None;
  /// --quantize-keep.
  std::vector<std::string> keepWeights;
  /// --quantize-activations int16 or f32; nullopt: int16 where the target
  /// CPU has VNNI.
  std::optional<bool> int16Activations;
  /// Where generated kernel libraries are kept between runs; null: none.
  const KernelCache *kernelCache = nullptr;
};

struct CompiledCpuKernels {
  /// Rank 0's plan (the only one of a single-rank engine).
  dsv2::runtime::LaunchPlan plan;
  /// Every rank's plan, in rank order (plan is rankPlans[0]).
  std::vector<dsv2::runtime::LaunchPlan> rankPlans;
  /// The kernels' shared library (ELF), as bytes.
  std::vector<uint8_t> image;
  dsv2::runtime::KernelModuleInfo module;
  /// The int8 linears take int16 activations (the resolved
  /// --quantize-activations).
  bool int16Activations = false;
  double formationSeconds = 0, codegenSeconds = 0;
  /// The image (CPU and emulated GPU engines) or the cubin came from the
  /// kernel cache.
  bool imageCached = false, cubinCached = false;
  /// GPU targets: what became of the cubin ("ptxas PATH, 1.2 MiB in 3.1 s"
  /// or why there is none); empty for CPU targets.
  std::string cubinNote;
};

/// Links lowered kernels (LLVM dialect, host code) into a shared library in
/// a fresh temporary directory and returns its bytes; nothing is left on
/// disk. With a `cache`, the library of the same kernels for the same
/// target is taken from it when there (`cached` is then set) and stored
/// there when not.
llvm::Expected<std::vector<uint8_t>>
linkKernelImage(mlir::ModuleOp kernels,
                const mlir::dsv2::cpu::CpuTargetOptions &target,
                const KernelCache *cache = nullptr, bool *cached = nullptr);

/// Kernel formation of the optimized `module`; `seconds` gets its wall
/// time.
llvm::Expected<mlir::dsv2::FormedKernels>
formEngineKernels(mlir::ModuleOp module,
                  const mlir::dsv2::KernelFormationOptions &formation,
                  double &seconds);

/// Kernel formation of every rank's module (one module for a single-rank
/// engine): each rank's plan into `compiled.rankPlans` and the formation
/// time into `compiled.formationSeconds`; returns the first rank's formed
/// kernels with every later rank's kernels that it lacks added (instances
/// are named by all their parameters, so equal names are equal kernels and
/// each is generated once).
llvm::Expected<mlir::dsv2::FormedKernels>
formRankKernels(llvm::ArrayRef<mlir::ModuleOp> rankModules,
                const mlir::dsv2::KernelFormationOptions &formation,
                CompiledCpuKernels &compiled);

/// Forms kernels for `module` and generates their CPU code. Errors name the
/// stage that failed.
llvm::Expected<CompiledCpuKernels>
compileCpuKernels(mlir::ModuleOp module, const CpuEngineOptions &options);

/// The same for the ranks of a parallel engine (dsv2-shard's modules, in
/// rank order): one plan per rank, one library with every rank's kernels
/// (instances are named by all their parameters, so equal names are equal
/// kernels and each is generated once).
llvm::Expected<CompiledCpuKernels>
compileCpuKernels(llvm::ArrayRef<mlir::ModuleOp> rankModules,
                  const CpuEngineOptions &options);

/// Builds an in-memory CPU executor for the optimized `module` with the
/// weights of `source`.
llvm::Expected<std::unique_ptr<dsv2::runtime::CpuExecutor>>
buildCpuEngine(mlir::ModuleOp module, const ModelSource &source,
               const CpuEngineOptions &options);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_CPUENGINE_H
