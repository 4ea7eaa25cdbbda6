//===- Pipeline.h - tile kernels to the LLVM dialect ------------*- C++ -*-===//
//
// Part of dsv2c. `dsv2-lower-tile-to-llvm`: the whole CPU lowering of a
// module of tile kernels to the LLVM dialect, as a pass pipeline (for
// dsv2-opt and textual pipelines) and as one C++ call.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_PIPELINE_H
#define CODEGEN_CPU_PIPELINE_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace mlir::dsv2::cpu {

/// The name the pipeline is registered under.
inline constexpr llvm::StringLiteral kLowerTileToLLVMPipeline =
    "dsv2-lower-tile-to-llvm";

/// Knobs of the CPU lowering (the defaults are what dsv2c uses).
struct CpuLoweringOptions {
  /// Per-row vector loads/stores for contiguous pointer tiles (gathers and
  /// scatters otherwise).
  bool contiguousAccess = true;
  /// Polynomial approximations of f32 exp/log/sin/cos (else libm per lane).
  bool approximateMath = true;
  /// Tree-ordered lane sums in tile.reduce (else a left-to-right chain).
  bool reassociateFPReductions = true;
  /// Masked loads/stores of 32/64-bit elements stay LLVM intrinsics (AVX
  /// vmaskmov); false expands them into lane loops too (SSE-only targets).
  bool nativeMaskedOps = true;
  /// Instructions of tile.pair_dot: "generic", "avx2" or "avx512bw"
  /// (pairDotIsaFor(target features) picks the widest the target has).
  std::string pairDot = "generic";
  /// The widest vector registers in bits (vectorBitsFor(target features)):
  /// sizes the register blocks of matmul contractions.
  int64_t vectorBits = 256;
};

/// The options dsv2c lowers with for a target with `features` (LLVM feature
/// names): the target-dependent knobs, pair-dot and vector-bits, from
/// pairDotIsaFor and vectorBitsFor; the rest at their defaults. Kernel
/// formation sizes its CPU tiles from the same vectorBits
/// (KernelFormationOptions::cpuVectorBits), so callers take both from here.
CpuLoweringOptions cpuLoweringFor(llvm::ArrayRef<std::string> features);

/// The LLVM feature names cpuLoweringFor reads: the candidates to ask
/// describeCpuTarget about (a feature left out reads as absent).
std::vector<std::string> cpuLoweringFeatures();

/// Appends the lowering to `pm` (anchored on builtin.module):
/// dsv2-convert-tile-to-llvm, canonicalize, cse, dsv2-cpu-lower-vectors,
/// convert-scf-to-cf, dsv2-cpu-convert-to-llvm, reconcile-unrealized-casts,
/// canonicalize.
void buildLowerTileToLLVMPipeline(OpPassManager &pm,
                                  const CpuLoweringOptions &options = {});

/// Lowers every kernel of `module` to the LLVM dialect in place; failures
/// are reported as diagnostics on the module's context.
LogicalResult lowerTileToLLVM(ModuleOp module,
                              const CpuLoweringOptions &options = {});

/// Registers `dsv2-lower-tile-to-llvm` (options: contiguous-access,
/// approximate-math, reassociate-fp-reductions, native-masked-ops, pair-dot,
/// vector-bits) with the pass registry.
void registerDsv2CpuPipelines();

} // namespace mlir::dsv2::cpu

#endif // CODEGEN_CPU_PIPELINE_H
