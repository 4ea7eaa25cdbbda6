//===- Pipeline.cpp - tile kernels to NVVM-level LLVM dialect -------------===//
//
// Part of dsv2c. dsv2-convert-tile-to-nvvm, dsv2-gpu-convert-to-llvm and the
// dsv2-lower-tile-to-nvvm pipeline. See Pipeline.h.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Pipeline.h"
#include "codegen/gpu/Passes.h"
#include "dialect/tile/TileDialect.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2CONVERTTILETONVVMPASS
#define GEN_PASS_DEF_DSV2GPUCONVERTTOLLVMPASS
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::dsv2

using namespace mlir;
using namespace mlir::dsv2::gpu;

namespace mlir::dsv2 {
namespace {

struct Dsv2ConvertTileToNVVMPass
    : impl::Dsv2ConvertTileToNVVMPassBase<Dsv2ConvertTileToNVVMPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<func::FuncOp> kernels;
    for (auto function : getOperation().getOps<func::FuncOp>())
      if (function->hasAttr(tile::TileDialect::getKernelAttrName()))
        kernels.push_back(function);
    SimtOptions options;
    options.maxThreads = maxThreads;
    options.useMma = useMma;
    options.bf16Activations = bf16Activations;
    options.vectorAccesses = vectorAccesses;
    options.warpShuffles = warpShuffles;
    options.injectMissingBarrier = injectMissingBarrier;
    options.injectBadMmaLayout = injectBadMmaLayout;
    options.injectUncheckedAlignment = injectUncheckedAlignment;
    for (func::FuncOp kernel : kernels)
      if (failed(emitSimtKernel(kernel, options)))
        return signalPassFailure();
  }
};

/// Functions with no NVPTX instruction (and no libdevice here): MLIR's
/// polynomial approximations, the same the CPU code uses.
bool approximated(StringRef name) {
  return llvm::is_contained(
      {math::ExpOp::getOperationName(), math::ExpM1Op::getOperationName(),
       math::LogOp::getOperationName(), math::Log1pOp::getOperationName(),
       math::Log2Op::getOperationName(), math::SinOp::getOperationName(),
       math::CosOp::getOperationName(), math::TanhOp::getOperationName(),
       math::ErfOp::getOperationName(), math::AtanOp::getOperationName(),
       math::Atan2Op::getOperationName(), math::AsinOp::getOperationName(),
       math::AcosOp::getOperationName(), math::CbrtOp::getOperationName()},
      name);
}

struct Dsv2GpuConvertToLLVMPass
    : impl::Dsv2GpuConvertToLLVMPassBase<Dsv2GpuConvertToLLVMPass> {
  using Base::Base;
  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    {
      RewritePatternSet patterns(context);
      populateMathPolynomialApproximationPatterns(patterns, approximated);
      (void)applyPatternsGreedily(module, std::move(patterns));
    }
    LowerToLLVMOptions options(context);
    LLVMTypeConverter converter(context, options);
    RewritePatternSet patterns(context);
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    populateMathToLLVMConversionPatterns(converter, patterns);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    LLVMConversionTarget target(*context);
    target.addLegalDialect<NVVM::NVVMDialect>();
    target.addLegalOp<ModuleOp, UnrealizedConversionCastOp>();
    if (failed(applyFullConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

struct LowerTileToNVVMPipelineOptions
    : PassPipelineOptions<LowerTileToNVVMPipelineOptions> {
  Option<int64_t> maxThreads{*this, "max-threads",
                             llvm::cl::desc("Largest thread block"),
                             llvm::cl::init(128)};
  Option<bool> useMma{*this, "use-mma",
                      llvm::cl::desc("mma.sync for dots of bf16 tiles"),
                      llvm::cl::init(true)};
  Option<bool> bf16Activations{
      *this, "bf16-activations",
      llvm::cl::desc("Round f32 activations to bf16 for mma.sync against "
                     "bf16 weights"),
      llvm::cl::init(false)};
  Option<bool> vectorAccesses{
      *this, "vector-accesses",
      llvm::cl::desc("Wide global loads and stores of aligned contiguous "
                     "runs"),
      llvm::cl::init(true)};
  Option<bool> warpShuffles{
      *this, "warp-shuffles",
      llvm::cl::desc("Reductions along the last axis fold within warps by "
                     "shfl.sync.bfly"),
      llvm::cl::init(true)};
  Option<bool> injectMissingBarrier{
      *this, "inject-missing-barrier",
      llvm::cl::desc("Test only: omit the barrier after shared-memory writes"),
      llvm::cl::init(false)};
  Option<bool> injectBadMmaLayout{
      *this, "inject-bad-mma-layout",
      llvm::cl::desc("Test only: swap the A-fragment rows of every mma.sync"),
      llvm::cl::init(false)};
  Option<bool> injectUncheckedAlignment{
      *this, "inject-unchecked-alignment",
      llvm::cl::desc("Test only: wide global accesses without the run-time "
                     "alignment check"),
      llvm::cl::init(false)};
};

} // namespace
} // namespace mlir::dsv2

void mlir::dsv2::gpu::buildLowerTileToNVVMPipeline(OpPassManager &pm,
                                                   const SimtOptions &options) {
  pm.addPass(createDsv2ConvertTileToNVVMPass(Dsv2ConvertTileToNVVMPassOptions{
      options.maxThreads, options.useMma, options.bf16Activations,
      options.vectorAccesses, options.warpShuffles,
      options.injectMissingBarrier, options.injectBadMmaLayout,
      options.injectUncheckedAlignment}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createDsv2GpuConvertToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

FailureOr<std::vector<SimtKernelInfo>>
mlir::dsv2::gpu::lowerTileToNVVM(ModuleOp module, const SimtOptions &options) {
  PassManager pm(module.getContext());
  buildLowerTileToNVVMPipeline(pm, options);
  if (failed(pm.run(module)))
    return failure();
  return collectKernelInfos(module);
}

std::vector<SimtKernelInfo>
mlir::dsv2::gpu::collectKernelInfos(ModuleOp module) {
  std::vector<SimtKernelInfo> infos;
  for (auto function : module.getOps<LLVM::LLVMFuncOp>()) {
    auto threads = function->getAttrOfType<IntegerAttr>(kThreadsAttr);
    auto shared = function->getAttrOfType<IntegerAttr>(kSharedBytesAttr);
    if (threads && shared)
      infos.push_back({function.getSymName().str(), threads.getInt(),
                       shared.getInt()});
  }
  return infos;
}

const std::vector<std::string> &mlir::dsv2::gpu::supportedGpuChips() {
  static const std::vector<std::string> chips = {"sm_80", "sm_90a"};
  return chips;
}

void mlir::dsv2::gpu::registerDsv2GpuPipelines() {
  PassPipelineRegistration<LowerTileToNVVMPipelineOptions>(
      kLowerTileToNVVMPipeline,
      "Lower tile kernels to NVVM-level LLVM dialect (one GPU thread)",
      [](OpPassManager &pm, const LowerTileToNVVMPipelineOptions &options) {
        SimtOptions simt;
        simt.maxThreads = options.maxThreads;
        simt.useMma = options.useMma;
        simt.bf16Activations = options.bf16Activations;
        simt.vectorAccesses = options.vectorAccesses;
        simt.warpShuffles = options.warpShuffles;
        simt.injectMissingBarrier = options.injectMissingBarrier;
        simt.injectBadMmaLayout = options.injectBadMmaLayout;
        simt.injectUncheckedAlignment = options.injectUncheckedAlignment;
        buildLowerTileToNVVMPipeline(pm, simt);
      });
}
