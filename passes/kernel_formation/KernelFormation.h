//===- KernelFormation.h - dsv2 step -> tile kernels + launch plan -*- C++ -*-===//
//
// Partitions the optimized step function (latent KV cache, absorbed decode,
// fused MoE) into tile kernels instantiated from the catalog
// (codegen/kernels) and a launch plan (runtime/engine/LaunchPlan.h): the
// buffers of the step and, for a prefill and for a decode step, the kernel
// launches with grids that depend on the step's sizes.
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_KERNEL_FORMATION_KERNELFORMATION_H
#define PASSES_KERNEL_FORMATION_KERNELFORMATION_H

#include "dialect/dsv2/WeightQuantization.h"
#include "runtime/engine/LaunchPlan.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace mlir::dsv2 {

struct FormedKernels {
  /// One func.func per kernel instance, each with a tile.kernel attribute.
  OwningOpRef<ModuleOp> kernels;
  ::dsv2::runtime::LaunchPlan plan;
};

struct KernelFormationOptions {
  /// Positions the KV cache holds (the engine's maximum context).
  int64_t maxContext = 4096;
  /// Tile sizes for the GPU code generator (TileHeuristics.h) instead of
  /// the CPU's.
  bool gpuTiles = false;
  /// Int8 projection weights with per-row scales
  /// (dialect/dsv2/WeightQuantization.h says which weights): column panels
  /// on CPUs, [N, K] rows on GPUs (gpuTiles).
  WeightQuantization weightQuantization = WeightQuantization::None;
  /// Weights whose name contains one of these keep their dtype
  /// (--quantize-keep).
  std::vector<std::string> keepWeights;
  /// Linears of int8 weights (GEMMs and single-row GEMVs; not the routed
  /// experts' kernels) quantize their input rows to int16 and multiply in
  /// integer arithmetic (quantize_rows_i16, then linear_panel_i16 or
  /// gemv_panel_i16); false keeps f32 activations (linear_panel and
  /// gemv_panel with W = i8). CPU engines only: GPU kernels multiply int8
  /// weights widened to f32 (bf16 on tensor cores).
  bool int16Activations = true;
  /// The widest vector registers of the CPU the kernels are for, in bits
  /// (512 with AVX-512F, else 256): how many accumulator rows the CPU's
  /// panel kernels keep in registers (TileHeuristics.h); dsv2c sets it
  /// from cpu::cpuLoweringFor(features), as the lowering. Not for gpuTiles.
  int64_t cpuVectorBits = 256;
};

/// Forms kernels for `step` (the module's func.func @step after
/// dsv2-optimize). Fails with a message naming the op that cannot be formed
/// (e.g. a per-head cache: run dsv2-kv-latent-compression first).
FailureOr<FormedKernels> formKernels(ModuleOp module,
                                     const KernelFormationOptions &options,
                                     std::string &error);

} // namespace mlir::dsv2

#endif // PASSES_KERNEL_FORMATION_KERNELFORMATION_H
