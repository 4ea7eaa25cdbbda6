//===- Pipeline.cpp - tile kernels to the LLVM dialect --------------------===//
//
// Part of dsv2c. See Pipeline.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Pipeline.h"
#include "codegen/cpu/ConvertTileToLLVM.h"
#include "codegen/cpu/Passes.h"

#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;
using namespace mlir::dsv2::cpu;

namespace {

struct LowerTileToLLVMPipelineOptions
    : PassPipelineOptions<LowerTileToLLVMPipelineOptions> {
  Option<bool> contiguousAccess{
      *this, "contiguous-access",
      llvm::cl::desc("Per-row vector loads/stores for contiguous pointer "
                     "tiles"),
      llvm::cl::init(true)};
  Option<bool> approximateMath{
      *this, "approximate-math",
      llvm::cl::desc("Polynomial approximations of f32 exp/log/sin/cos"),
      llvm::cl::init(true)};
  Option<bool> reassociateFPReductions{
      *this, "reassociate-fp-reductions",
      llvm::cl::desc("Tree-ordered lane sums in tile.reduce"),
      llvm::cl::init(true)};
  Option<bool> nativeMaskedOps{
      *this, "native-masked-ops",
      llvm::cl::desc("Keep masked loads/stores of 32/64-bit elements as "
                     "LLVM intrinsics (AVX and later)"),
      llvm::cl::init(true)};
  Option<std::string> pairDot{
      *this, "pair-dot",
      llvm::cl::desc("Instructions of tile.pair_dot: generic, avx2 or "
                     "avx512bw"),
      llvm::cl::init("generic")};
  Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Width of the widest vector registers (256 or 512)"),
      llvm::cl::init(256)};
};

} // namespace

CpuLoweringOptions
mlir::dsv2::cpu::cpuLoweringFor(llvm::ArrayRef<std::string> features) {
  CpuLoweringOptions options;
  options.pairDot = pairDotIsaFor(features).str();
  options.vectorBits = vectorBitsFor(features);
  return options;
}

std::vector<std::string> mlir::dsv2::cpu::cpuLoweringFeatures() {
  return {"avx2", "avx512f", "avx512bw"};
}

void mlir::dsv2::cpu::buildLowerTileToLLVMPipeline(
    OpPassManager &pm, const CpuLoweringOptions &options) {
  pm.addPass(createDsv2ConvertTileToLLVMPass(
      Dsv2ConvertTileToLLVMPassOptions{options.contiguousAccess,
                                       options.pairDot}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createDsv2CpuLowerVectorsPass(Dsv2CpuLowerVectorsPassOptions{
      options.approximateMath, options.nativeMaskedOps, options.vectorBits}));
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createDsv2CpuConvertToLLVMPass(
      Dsv2CpuConvertToLLVMPassOptions{options.reassociateFPReductions}));
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

LogicalResult
mlir::dsv2::cpu::lowerTileToLLVM(ModuleOp module,
                                 const CpuLoweringOptions &options) {
  PassManager pm(module.getContext());
  buildLowerTileToLLVMPipeline(pm, options);
  return pm.run(module);
}

void mlir::dsv2::cpu::registerDsv2CpuPipelines() {
  PassPipelineRegistration<LowerTileToLLVMPipelineOptions>(
      kLowerTileToLLVMPipeline,
      "Lower tile kernels to the LLVM dialect for the host CPU",
      [](OpPassManager &pm, const LowerTileToLLVMPipelineOptions &options) {
        CpuLoweringOptions cpuOptions;
        cpuOptions.contiguousAccess = options.contiguousAccess;
        cpuOptions.approximateMath = options.approximateMath;
        cpuOptions.reassociateFPReductions = options.reassociateFPReductions;
        cpuOptions.nativeMaskedOps = options.nativeMaskedOps;
        cpuOptions.pairDot = options.pairDot;
        cpuOptions.vectorBits = options.vectorBits;
        buildLowerTileToLLVMPipeline(pm, cpuOptions);
      });
}
