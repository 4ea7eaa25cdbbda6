//===- ConvertTileToLLVM.cpp - tile kernels to vectors on LLVM ptrs -------===//
//
// Part of dsv2c. dsv2-convert-tile-to-llvm: tiles become vectors of the
// same shape, pointers become !llvm.ptr, memory access becomes LLVM masked
// vector intrinsics, tile.dot a vector.contract in f32, tile.reduce a
// vector.multi_reduction, tile.pair_dot x86 pmaddwd (or i32 arithmetic). Kernels get the CPU launch ABI (six trailing i32
// arguments; GridEntryPoints.h adds the runtime's `_grid` entry points after
// the lowering). See codegen/cpu/README.md.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "dialect/tile/ContiguityAnalysis.h"
#include "codegen/cpu/Passes.h"
#include "dialect/tile/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"

#include "llvm/ADT/StringSwitch.h"

#include <limits>
#include <optional>

#define DEBUG_TYPE "dsv2-convert-tile-to-llvm"
#include "codegen/cpu/TileLowering.h"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2CONVERTTILETOLLVMPASS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::dsv2

using namespace mlir;
using namespace mlir::dsv2::cpu;
using mlir::tile::AccessPattern;
using mlir::tile::ContiguityAnalysis;
using namespace mlir::dsv2::cpu::lowering;
//===----------------------------------------------------------------------===//
// Types
//===----------------------------------------------------------------------===//

TileToLLVMTypeConverter::TileToLLVMTypeConverter(MLIRContext *context) {
  // Scalars and already-converted types stay (tried last).
  addConversion([](Type type) { return type; });
  addConversion([context](tile::PtrType) -> Type {
    return LLVM::LLVMPointerType::get(context);
  });
  addConversion([this](RankedTensorType type) -> std::optional<Type> {
    if (!type.hasStaticShape())
      return std::nullopt;
    Type element = convertType(type.getElementType());
    if (!element || !VectorType::isValidElementType(element))
      return std::nullopt;
    return VectorType::get(type.getShape(), element);
  });
}

//===----------------------------------------------------------------------===//
// Launch ABI and supported ops
//===----------------------------------------------------------------------===//

LogicalResult mlir::dsv2::cpu::lowerKernelLaunchInterface(func::FuncOp kernel) {
  StringRef attrName = tile::TileDialect::getKernelAttrName();
  if (!kernel->hasAttr(attrName))
    return success();
  if (kernel.isExternal())
    return kernel.emitError()
           << "kernel @" << kernel.getSymName() << " has no body to compile";
  if (kernel.getNumResults() != 0)
    return kernel.emitError()
           << "kernel @" << kernel.getSymName() << " returns "
           << kernel.getNumResults()
           << " values; kernels return nothing and store their outputs "
              "through pointers";

  for (auto [index, type] : llvm::enumerate(kernel.getArgumentTypes()))
    if (!isa<tile::PtrType, IntegerType, FloatType>(type))
      return kernel.emitError()
             << "kernel @" << kernel.getSymName() << " argument #" << index
             << " has type " << type
             << "; kernels take pointers and integer or float scalars";

  MLIRContext *context = kernel.getContext();
  unsigned first = kernel.getNumArguments();
  SmallVector<unsigned> indices(kNumLaunchArguments, first);
  SmallVector<Type> types(kNumLaunchArguments, IntegerType::get(context, 32));
  SmallVector<DictionaryAttr> attrs(kNumLaunchArguments,
                                    DictionaryAttr::get(context));
  SmallVector<Location> locs(kNumLaunchArguments, kernel.getLoc());
  if (failed(kernel.insertArguments(indices, types, attrs, locs)))
    return kernel.emitError() << "cannot append the launch arguments";

  Block &entry = kernel.front();
  kernel.walk([&](Operation *op) {
    Value replacement;
    if (auto pid = dyn_cast<tile::ProgramIdOp>(op))
      replacement =
          entry.getArgument(first + static_cast<unsigned>(pid.getAxis()));
    else if (auto count = dyn_cast<tile::NumProgramsOp>(op))
      replacement =
          entry.getArgument(first + 3 + static_cast<unsigned>(count.getAxis()));
    else
      return;
    op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  });
  kernel->removeAttr(attrName);
  return success();
}

LogicalResult mlir::dsv2::cpu::checkSupportedOps(Operation *root) {
  bool ok = true;
  root->walk([&](Operation *op) {
    if (op == root)
      return;
    Dialect *dialect = op->getDialect();
    if (dialect &&
        isa<tile::TileDialect, arith::ArithDialect, math::MathDialect,
            vector::VectorDialect, LLVM::LLVMDialect, ub::UBDialect>(dialect))
      return;
    if (isa<func::FuncOp, func::ReturnOp, func::CallOp, scf::ForOp, scf::IfOp,
            scf::WhileOp, scf::ConditionOp, scf::YieldOp>(op))
      return;
    op->emitOpError()
        << "is not supported by the CPU code generator: kernels may use "
           "tile, arith and math ops, scf.for/if/while and func.call";
    ok = false;
  });
  return success(ok);
}

std::optional<PairDotIsa>
mlir::dsv2::cpu::parsePairDotIsa(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<PairDotIsa>>(name)
      .Case("generic", PairDotIsa::Generic)
      .Case("avx2", PairDotIsa::Avx2)
      .Case("avx512bw", PairDotIsa::Avx512)
      .Default(std::nullopt);
}

bool mlir::dsv2::cpu::pairDotIsFused(llvm::ArrayRef<std::string> features) {
  return (llvm::is_contained(features, "avx512vnni") &&
          llvm::is_contained(features, "avx512bw")) ||
         llvm::is_contained(features, "avxvnni");
}

int64_t mlir::dsv2::cpu::vectorBitsFor(llvm::ArrayRef<std::string> features) {
  return llvm::is_contained(features, "avx512f") ? 512 : 256;
}

llvm::StringRef
mlir::dsv2::cpu::pairDotIsaFor(llvm::ArrayRef<std::string> features) {
  if (llvm::is_contained(features, "avx512bw"))
    return "avx512bw";
  if (llvm::is_contained(features, "avx2"))
    return "avx2";
  return "generic";
}

namespace {

//===----------------------------------------------------------------------===//
// Building tiles
//===----------------------------------------------------------------------===//

struct RangeLowering : OpConversionPattern<tile::RangeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::RangeOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = getTypeConverter()->convertType<VectorType>(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "result type does not convert");
    SmallVector<int32_t> lanes;
    for (int64_t lane = static_cast<int32_t>(op.getStart());
         lane < static_cast<int32_t>(op.getEnd()); ++lane)
      lanes.push_back(static_cast<int32_t>(lane));
    auto value = DenseElementsAttr::get(type, ArrayRef<int32_t>(lanes));
    rewriter.replaceOp(
        op, arith::ConstantOp::create(rewriter, op.getLoc(), type, value));
    return success();
  }
};

struct SplatLowering : OpConversionPattern<tile::SplatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::SplatOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = getTypeConverter()->convertType<VectorType>(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "result type does not convert");
    rewriter.replaceOp(op,
                       vector::BroadcastOp::create(rewriter, op.getLoc(), type,
                                                   adaptor.getInput()));
    return success();
  }
};

/// tile.broadcast has numpy semantics, which vector.broadcast shares
/// (trailing alignment, dimensions of 1 stretch).
struct BroadcastLowering : OpConversionPattern<tile::BroadcastOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::BroadcastOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = getTypeConverter()->convertType<VectorType>(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "result type does not convert");
    Value input = adaptor.getInput();
    if (input.getType() == type) {
      rewriter.replaceOp(op, input);
      return success();
    }
    rewriter.replaceOp(
        op, vector::BroadcastOp::create(rewriter, op.getLoc(), type, input));
    return success();
  }
};

struct ExpandDimsLowering : OpConversionPattern<tile::ExpandDimsOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::ExpandDimsOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    auto type = getTypeConverter()->convertType<VectorType>(op.getType());
    if (!type)
      return rewriter.notifyMatchFailure(op, "result type does not convert");
    rewriter.replaceOp(op,
                       vector::ShapeCastOp::create(rewriter, op.getLoc(), type,
                                                   adaptor.getInput()));
    return success();
  }
};

struct TransLowering : OpConversionPattern<tile::TransOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::TransOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, vector::TransposeOp::create(
                               rewriter, op.getLoc(), adaptor.getInput(),
                               ArrayRef<int64_t>{1, 0}));
    return success();
  }
};


/// The launch grid is read from the kernel's trailing arguments, which
/// lowerKernelLaunchInterface substitutes before the conversion; one left
/// over sits outside a kernel.
template <typename GridOp> struct GridOpLowering : OpConversionPattern<GridOp> {
  using OpConversionPattern<GridOp>::OpConversionPattern;
  LogicalResult
  matchAndRewrite(GridOp op, typename GridOp::Adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    return rewriter.notifyMatchFailure(
        op, "grid queries are replaced by lowerKernelLaunchInterface");
  }
};

//===----------------------------------------------------------------------===//
// arith and math on tiles
//===----------------------------------------------------------------------===//

/// Any arith or math op on tiles: the same op on vectors (constants get
/// their dense value reshaped to the vector type).
struct ElementwiseOnTilesLowering : ConversionPattern {
  ElementwiseOnTilesLowering(const TypeConverter &converter,
                             MLIRContext *context)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/1,
                          context) {}

  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    Dialect *dialect = op->getDialect();
    if (!dialect || !isa<arith::ArithDialect, math::MathDialect>(dialect))
      return rewriter.notifyMatchFailure(op, "not an arith or math op");
    if (op->getNumRegions() != 0)
      return rewriter.notifyMatchFailure(op, "ops with regions not handled");
    SmallVector<Type> resultTypes;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(),
                                                resultTypes)))
      return rewriter.notifyMatchFailure(op, "result types do not convert");
    NamedAttrList attributes(op->getAttrDictionary());
    if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
      auto dense = dyn_cast<DenseElementsAttr>(constant.getValue());
      if (!dense)
        return rewriter.notifyMatchFailure(
            op, "only dense tile constants are supported");
      attributes.set(constant.getValueAttrName(),
                     dense.reshape(cast<ShapedType>(resultTypes.front())));
    }
    OperationState state(op->getLoc(), op->getName(), operands, resultTypes,
                         attributes.getAttrs());
    Operation *converted = rewriter.create(state);
    rewriter.replaceOp(op, converted->getResults());
    return success();
  }
};

} // namespace

//===----------------------------------------------------------------------===//
// Pattern and target population, the pass
//===----------------------------------------------------------------------===//

void mlir::dsv2::cpu::populateTileToLLVMConversionPatterns(
    const TypeConverter &typeConverter, RewritePatternSet &patterns,
    const ContiguityAnalysis *contiguity, PairDotIsa pairDot) {
  MLIRContext *context = patterns.getContext();
  patterns.add<RangeLowering, SplatLowering, BroadcastLowering,
               ExpandDimsLowering, TransLowering,
               GridOpLowering<tile::ProgramIdOp>,
               GridOpLowering<tile::NumProgramsOp>, ElementwiseOnTilesLowering>(
      typeConverter, context);
  populateTileMemoryPatterns(typeConverter, patterns, contiguity);
  populateTileComputePatterns(typeConverter, patterns, pairDot);
  scf::populateSCFStructuralTypeConversions(typeConverter, patterns);
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 typeConverter);
  populateCallOpTypeConversionPattern(patterns, typeConverter);
  populateReturnOpTypeConversionPattern(patterns, typeConverter);
}

void mlir::dsv2::cpu::configureTileToLLVMConversionTarget(
    ConversionTarget &target, const TypeConverter &typeConverter) {
  target.addIllegalDialect<tile::TileDialect>();
  target.addLegalDialect<LLVM::LLVMDialect, vector::VectorDialect,
                         ub::UBDialect>();
  target.addDynamicallyLegalDialect<arith::ArithDialect, math::MathDialect>(
      [&typeConverter](Operation *op) { return typeConverter.isLegal(op); });
  target.addDynamicallyLegalOp<func::FuncOp>([&typeConverter](func::FuncOp f) {
    return typeConverter.isSignatureLegal(f.getFunctionType()) &&
           typeConverter.isLegal(&f.getBody());
  });
  target.addDynamicallyLegalOp<func::ReturnOp, func::CallOp>(
      [&typeConverter](Operation *op) { return typeConverter.isLegal(op); });
  scf::populateSCFStructuralTypeConversionTarget(typeConverter, target);
}

namespace mlir::dsv2 {
namespace {

struct Dsv2ConvertTileToLLVMPass
    : impl::Dsv2ConvertTileToLLVMPassBase<Dsv2ConvertTileToLLVMPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *context = &getContext();
    if (failed(cpu::checkSupportedOps(module)))
      return signalPassFailure();
    SmallVector<func::FuncOp> kernels;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr(tile::TileDialect::getKernelAttrName()))
        kernels.push_back(func);
    for (func::FuncOp kernel : kernels)
      if (failed(cpu::lowerKernelLaunchInterface(kernel)))
        return signalPassFailure();

    std::optional<tile::ContiguityAnalysis> contiguity;
    if (contiguousAccess)
      contiguity.emplace(module);

    cpu::TileToLLVMTypeConverter typeConverter(context);
    RewritePatternSet patterns(context);
    std::optional<cpu::PairDotIsa> isa = cpu::parsePairDotIsa(pairDot);
    if (!isa) {
      module.emitError() << "unknown pair-dot ISA '" << pairDot
                         << "' (generic, avx2 or avx512bw)";
      return signalPassFailure();
    }
    cpu::populateTileToLLVMConversionPatterns(
        typeConverter, patterns, contiguity ? &*contiguity : nullptr, *isa);
    ConversionTarget target(*context);
    cpu::configureTileToLLVMConversionTarget(target, typeConverter);
    if (failed(applyPartialConversion(module, target, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace
} // namespace mlir::dsv2
