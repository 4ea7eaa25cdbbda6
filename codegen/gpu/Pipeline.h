//===- Pipeline.h - tile kernels -> PTX or emulated host code ---*- C++ -*-===//
//
// Part of dsv2c. The GPU code generator's entry points:
//
//   lowerTileToNVVM      tile kernels -> LLVM dialect + NVVM ops (one thread)
//   emitPtx              -> LLVM IR -> NVPTX backend -> PTX text
//   lowerNVVMToEmulation -> host LLVM dialect calling the SIMT emulator,
//                           for codegen/cpu's emitSharedLibrary
//
// See codegen/gpu/README.md.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_GPU_PIPELINE_H
#define CODEGEN_GPU_PIPELINE_H

#include "codegen/gpu/SimtEmitter.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace mlir::dsv2::gpu {

/// Name of the registered pipeline (dsv2-opt --dsv2-lower-tile-to-nvvm).
inline constexpr const char *kLowerTileToNVVMPipeline =
    "dsv2-lower-tile-to-nvvm";

void buildLowerTileToNVVMPipeline(OpPassManager &pm,
                                  const SimtOptions &options = {});

/// Lowers every kernel of `module` and returns their launch shapes in
/// module order.
FailureOr<std::vector<SimtKernelInfo>>
lowerTileToNVVM(ModuleOp module, const SimtOptions &options = {});

/// The launch shapes recorded on the lowered kernels of `module`.
std::vector<SimtKernelInfo> collectKernelInfos(ModuleOp module);

/// A GPU the PTX is generated for.
struct GpuTargetOptions {
  /// "sm_80" or "sm_90a" (any sm_XX[a] the NVPTX backend knows).
  std::string chip = "sm_90a";
  /// PTX ISA version of the `.version` line, times ten: 8.0 is what sm_90a
  /// needs and what every CUDA 12+ driver JIT-compiles.
  unsigned ptxVersion = 80;
  unsigned optLevel = 3;
};

/// The chips `--target` accepts.
const std::vector<std::string> &supportedGpuChips();

/// PTX text of `module` (the output of lowerTileToNVVM).
llvm::Expected<std::string> emitPtx(ModuleOp module,
                                    const GpuTargetOptions &options);

/// Rewrites the output of lowerTileToNVVM for the SIMT emulator.
LogicalResult lowerNVVMToEmulation(ModuleOp module);

void registerDsv2GpuPipelines();

} // namespace mlir::dsv2::gpu

#endif // CODEGEN_GPU_PIPELINE_H
