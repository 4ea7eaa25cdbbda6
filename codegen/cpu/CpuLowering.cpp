//===- CpuLowering.cpp - vector, bf16, math and LLVM lowering for CPUs ----===//
//
// Part of dsv2c. dsv2-cpu-lower-vectors (n-D vector ops to 1-D ones, bf16
// emulation, math approximations) and dsv2-cpu-convert-to-llvm (one
// conversion of arith, math, vector, cf, func and ub to the LLVM dialect).
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Passes.h"
#include "codegen/cpu/Patterns.h"

#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVM.h"
#include "mlir/Conversion/LLVMCommon/ConversionTarget.h"
#include "mlir/Conversion/LLVMCommon/TypeConverter.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVM.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/STLExtras.h"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2CPULOWERVECTORSPASS
#define GEN_PASS_DEF_DSV2CPUCONVERTTOLLVMPASS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::dsv2

namespace mlir::dsv2 {
namespace {

/// Math functions with no LLVM lowering: always approximated.
bool hasNoLLVMLowering(StringRef name) {
  return llvm::is_contained(
      {math::TanhOp::getOperationName(), math::ErfOp::getOperationName(),
       math::ErfcOp::getOperationName(), math::AtanOp::getOperationName(),
       math::Atan2Op::getOperationName(), math::AsinOp::getOperationName(),
       math::AcosOp::getOperationName(), math::CbrtOp::getOperationName()},
      name);
}

/// Functions LLVM lowers to one libm call per lane; approximated (and
/// vectorized) under approximate-math.
bool isLibmCallPerLane(StringRef name) {
  return llvm::is_contained(
      {math::ExpOp::getOperationName(), math::ExpM1Op::getOperationName(),
       math::LogOp::getOperationName(), math::Log1pOp::getOperationName(),
       math::Log2Op::getOperationName(), math::SinOp::getOperationName(),
       math::CosOp::getOperationName()},
      name);
}

struct Dsv2CpuLowerVectorsPass
    : impl::Dsv2CpuLowerVectorsPassBase<Dsv2CpuLowerVectorsPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    if (vectorBits != 128 && vectorBits != 256 && vectorBits != 512) {
      module.emitError() << "dsv2-cpu-lower-vectors: vector-bits must be "
                            "128, 256 or 512, not "
                         << static_cast<int64_t>(vectorBits);
      return signalPassFailure();
    }

    // 0. f32 matmul contractions first, while the rows of their operands
    // are still the loads that read them (ContractThroughMemory reads such
    // rows in place; step 1 splits wide masked loads into pieces). The
    // others (bf16 operands, widened in step 3) wait for step 5.
    {
      RewritePatternSet patterns(context);
      cpu::populateContractThroughMemoryPatterns(patterns, vectorBits);
      (void)applyPatternsGreedily(module, std::move(patterns));
    }

    // 1. Masked memory ops LLVM would scalarize lane by lane: lane loops.
    {
      RewritePatternSet patterns(context);
      cpu::populateExpandMaskedMemoryPatterns(patterns, nativeMaskedOps);
      (void)applyPatternsGreedily(module, std::move(patterns));
    }

    // 2. Math on bf16/f16 in f32; polynomial approximations.
    {
      RewritePatternSet patterns(context);
      populateMathF32ExpansionPatterns(patterns,
                                       [](StringRef) { return true; });
      bool approximate = approximateMath;
      populateMathPolynomialApproximationPatterns(
          patterns, [approximate](StringRef name) {
            return hasNoLLVMLowering(name) ||
                   (approximate && isLibmCallPerLane(name));
          });
      (void)applyPatternsGreedily(module, std::move(patterns));
    }

    // 3. bf16 arithmetic computed in f32 (extf, op, truncf).
    {
      TypeConverter converter;
      Type bf16 = BFloat16Type::get(context);
      arith::populateEmulateUnsupportedFloatsConversions(
          converter, {bf16}, Float32Type::get(context));
      RewritePatternSet patterns(context);
      arith::populateEmulateUnsupportedFloatsPatterns(patterns, converter);
      ConversionTarget target(*context);
      arith::populateEmulateUnsupportedFloatsLegality(target, converter);
      if (failed(applyPartialConversion(module, target, std::move(patterns))))
        return signalPassFailure();
    }

    // 4. bf16 values as i16 bit patterns; extf/truncf as integer ops. The
    // x86 backend legalizes bfloat vectors lane by lane (a 1024-lane select
    // takes llc a minute) and calls __truncsfbf2, absent from libgcc 12.
    {
      cpu::Bf16AsI16TypeConverter converter(context);
      RewritePatternSet patterns(context);
      ConversionTarget target(*context);
      cpu::populateBf16AsI16Patterns(converter, patterns, target);
      if (failed(applyPartialConversion(module, target, std::move(patterns))))
        return signalPassFailure();
    }

    // 5. n-D vector ops to 1-D ones: contract -> outer products -> fma in K
    // order, multi-reductions, broadcasts, transposes, shape casts.
    {
      RewritePatternSet patterns(context);
      vector::populateVectorToVectorCanonicalizationPatterns(patterns);
      cpu::populateContractThroughMemoryPatterns(patterns, vectorBits,
                                                 /*benefit=*/2);
      vector::populateVectorContractLoweringPatterns(
          patterns, vector::VectorContractLowering::OuterProduct);
      vector::populateVectorMultiReductionLoweringPatterns(
          patterns, vector::VectorMultiReductionLowering::InnerReduction);
      vector::populateVectorBroadcastLoweringPatterns(patterns);
      vector::populateVectorShapeCastLoweringPatterns(patterns);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vector::VectorTransposeLowering::Shuffle1D);
      vector::populateVectorMaskOpLoweringPatterns(patterns);
      vector::populateVectorInsertExtractStridedSliceTransforms(patterns);
      vector::populateVectorRankReducingFMAPattern(patterns);
      // Canonicalization folds chains of row inserts into n-D
      // from_elements, which only converts to LLVM in 1-D.
      vector::populateVectorFromElementsUnrollPatterns(patterns);
      vector::populateVectorToElementsUnrollPatterns(patterns);
      (void)applyPatternsGreedily(module, std::move(patterns));
    }
  }
};

struct Dsv2CpuConvertToLLVMPass
    : impl::Dsv2CpuConvertToLLVMPassBase<Dsv2CpuConvertToLLVMPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    LowerToLLVMOptions options(context);
    LLVMTypeConverter converter(context, options);
    RewritePatternSet patterns(context);
    arith::populateArithToLLVMConversionPatterns(converter, patterns);
    populateMathToLLVMConversionPatterns(converter, patterns);
    populateFuncToLLVMConversionPatterns(converter, patterns);
    cf::populateControlFlowToLLVMConversionPatterns(converter, patterns);
    populateVectorToLLVMConversionPatterns(converter, patterns,
                                           reassociateFPReductions,
                                           /*force32BitVectorIndices=*/true);
    ub::populateUBToLLVMConversionPatterns(converter, patterns);

    LLVMConversionTarget target(*context);
    target.addLegalOp<ModuleOp, UnrealizedConversionCastOp>();
    if (failed(
            applyFullConversion(getOperation(), target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::dsv2
