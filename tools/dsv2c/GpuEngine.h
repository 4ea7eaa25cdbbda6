//===- GpuEngine.h - Compile a step module into GPU kernels -----*- C++ -*-===//
//
// Kernel formation and GPU code generation of an optimized step module: the
// launch plan plus either the PTX of every kernel (targets sm_80, sm_90a) or
// a host shared library of the same kernels for the SIMT emulator (targets
// sm_80-emu, sm_90a-emu), with each kernel's block size and shared memory.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_GPUENGINE_H
#define TOOLS_DSV2C_GPUENGINE_H

#include "tools/dsv2c/CpuEngine.h"

#include <optional>

namespace dsv2::tools {

struct GpuTarget {
  /// "sm_80" or "sm_90a".
  std::string chip;
  /// The kernels compiled for the host and run by the SIMT emulator.
  bool emulated = false;
  std::string name() const { return emulated ? chip + "-emu" : chip; }
};

/// "sm_90a" -> {sm_90a}, "sm_90a-emu" -> {sm_90a, emulated}; nullopt for
/// anything else (including "cpu").
std::optional<GpuTarget> parseGpuTarget(const std::string &target);

/// The targets `dsv2c compile --target` takes, for help and errors.
std::string gpuTargetList();

struct GpuEngineOptions {
  GpuTarget target;
  int64_t maxContext = 4096;
  /// bf16 weights: their GEMMs run on tensor cores with bf16 activations
  /// (codegen/gpu SimtOptions::bf16Activations); f32 weights keep exact
  /// f32 FMA dots.
  bool bf16Weights = true;
  /// --quantize int8 / int8-experts: those weights in int8 [N, K] rows with
  /// per-row scales (KernelFormationOptions::weightQuantization); their
  /// GEMMs take the weights' activations as above (int8 is exact in bf16).
  mlir::dsv2::WeightQuantization weightQuantization =
      mlir::dsv2::WeightQuantization::None;
  std::vector<std::string> keepWeights;
  /// The cubin beside the PTX (PtxAssembler.h): Auto when a ptxas is found
  /// (a failing one is a warning), Require (an error without one or when
  /// it fails), Off.
  enum class Cubin { Auto, Require, Off };
  Cubin cubin = Cubin::Auto;
  /// Where emulator libraries and cubins are kept between runs; null: none.
  const KernelCache *kernelCache = nullptr;
};

llvm::Expected<CompiledCpuKernels>
compileGpuKernels(mlir::ModuleOp module, const GpuEngineOptions &options);

/// The same for the ranks of a parallel engine (dsv2-shard's modules, in
/// rank order): one plan per rank, one PTX module (or emulator library)
/// with every rank's kernels, each generated once (compileCpuKernels'
/// rule: equal names are equal kernels).
llvm::Expected<CompiledCpuKernels>
compileGpuKernels(llvm::ArrayRef<mlir::ModuleOp> rankModules,
                  const GpuEngineOptions &options);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_GPUENGINE_H
