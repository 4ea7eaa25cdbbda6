//===- Bf16Storage.cpp - bf16 values as i16 bit patterns ------------------===//
//
// Part of dsv2c. x86 has no bf16 vector arithmetic, and LLVM's backend
// legalizes vectors of bfloat lane by lane: a select or a truncation over
// 1024 lanes of bfloat costs llc a minute. Once bf16 arithmetic is emulated
// in f32, bf16 values only move (loads, stores, selects, shuffles) or
// convert, so they can live as their i16 bit patterns:
//
//  - arith.extf bf16 -> f32: zero-extend, shift left by 16, bitcast (exact);
//  - arith.truncf f32 -> bf16: round to nearest even on the bits, NaNs stay
//    quiet NaNs with their sign (runtime/io/Bf16.h's float32ToBf16 exactly);
//  - constants: their bit patterns;
//  - every other op: the same op on i16 (scf ops structurally).
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Func/Transforms/FuncConversions.h"
#include "mlir/Dialect/SCF/Transforms/Patterns.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/DialectConversion.h"

using namespace mlir;
using namespace mlir::dsv2::cpu;

Bf16AsI16TypeConverter::Bf16AsI16TypeConverter(MLIRContext *context) {
  Type i16 = IntegerType::get(context, 16);
  addConversion([](Type type) { return type; });
  addConversion([i16](BFloat16Type) -> Type { return i16; });
  addConversion([i16](VectorType type) -> Type {
    if (type.getElementType().isBF16())
      return type.clone(i16);
    return type;
  });
  auto bitcast = [](OpBuilder &builder, Type type, ValueRange inputs,
                    Location loc) -> Value {
    if (inputs.size() != 1)
      return Value();
    return arith::BitcastOp::create(builder, loc, type, inputs.front());
  };
  addSourceMaterialization(bitcast);
  addTargetMaterialization(bitcast);
}

namespace {

/// `value` (a scalar attribute) as a constant of `like`'s shape.
Value splatLike(OpBuilder &builder, Location loc, Type like, TypedAttr value) {
  if (auto vector = dyn_cast<VectorType>(like))
    return arith::ConstantOp::create(
        builder, loc, vector.clone(value.getType()),
        DenseElementsAttr::get(vector.clone(value.getType()), value));
  return arith::ConstantOp::create(builder, loc, value.getType(), value);
}

Type withElement(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

struct ExtFFromBf16 : OpConversionPattern<arith::ExtFOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ExtFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getIn().getType()).isBF16())
      return rewriter.notifyMatchFailure(op, "not an extension from bf16");
    Location loc = op.getLoc();
    Type i32 = rewriter.getI32Type();
    Type result = op.getType();
    Value wide = arith::ExtUIOp::create(rewriter, loc, withElement(result, i32),
                                        adaptor.getIn());
    Value shifted =
        arith::ShLIOp::create(rewriter, loc, wide,
                              splatLike(rewriter, loc, wide.getType(),
                                        rewriter.getI32IntegerAttr(16)));
    Value f32 = arith::BitcastOp::create(
        rewriter, loc, withElement(result, rewriter.getF32Type()), shifted);
    if (getElementTypeOrSelf(result) != rewriter.getF32Type())
      f32 = arith::ExtFOp::create(rewriter, loc, result, f32);
    rewriter.replaceOp(op, f32);
    return success();
  }
};

struct TruncFToBf16 : OpConversionPattern<arith::TruncFOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::TruncFOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    if (!getElementTypeOrSelf(op.getType()).isBF16())
      return rewriter.notifyMatchFailure(op, "not a truncation to bf16");
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type(), i32 = rewriter.getI32Type(),
         i16 = rewriter.getI16Type();
    Value input = adaptor.getIn();
    if (getElementTypeOrSelf(input.getType()) != f32)
      input = arith::TruncFOp::create(rewriter, loc,
                                      withElement(input.getType(), f32), input);
    Type bitsType = withElement(input.getType(), i32);
    auto constant = [&](uint32_t value) {
      return splatLike(rewriter, loc, bitsType,
                       rewriter.getI32IntegerAttr(static_cast<int32_t>(value)));
    };
    Value bits = arith::BitcastOp::create(rewriter, loc, bitsType, input);
    Value high = arith::ShRUIOp::create(rewriter, loc, bits, constant(16));
    // Round to nearest, ties to even: add 0x7fff plus the result's lsb.
    Value lsb = arith::AndIOp::create(rewriter, loc, high, constant(1));
    Value bias = arith::AddIOp::create(rewriter, loc, lsb, constant(0x7fff));
    Value rounded = arith::ShRUIOp::create(
        rewriter, loc, arith::AddIOp::create(rewriter, loc, bits, bias),
        constant(16));
    // NaN: the upper bits with the quiet bit forced.
    Value quiet = arith::OrIOp::create(rewriter, loc, high, constant(0x40));
    Value isNan = arith::CmpFOp::create(
        rewriter, loc, arith::CmpFPredicate::UNO, input, input);
    Value chosen =
        arith::SelectOp::create(rewriter, loc, isNan, quiet, rounded);
    rewriter.replaceOp(op, arith::TruncIOp::create(rewriter, loc,
                                                   withElement(bitsType, i16),
                                                   chosen));
    return success();
  }
};

struct Bf16Constant : OpConversionPattern<arith::ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(arith::ConstantOp op, OpAdaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Type type = getTypeConverter()->convertType(op.getType());
    if (!type || type == op.getType())
      return rewriter.notifyMatchFailure(op, "no bf16 in the type");
    Attribute value = op.getValue();
    TypedAttr bits;
    if (auto dense = dyn_cast<DenseElementsAttr>(value))
      bits = dense.bitcast(rewriter.getI16Type());
    else if (auto scalar = dyn_cast<FloatAttr>(value))
      bits = rewriter.getIntegerAttr(rewriter.getI16Type(),
                                     scalar.getValue().bitcastToAPInt());
    else
      return rewriter.notifyMatchFailure(op, "unsupported bf16 constant");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, type, bits);
    return success();
  }
};

/// Any other op without regions: the same op on the converted types.
struct RetypeBf16Op : ConversionPattern {
  RetypeBf16Op(const TypeConverter &converter, MLIRContext *context)
      : ConversionPattern(converter, MatchAnyOpTypeTag(), /*benefit=*/0,
                          context) {}
  LogicalResult
  matchAndRewrite(Operation *op, ArrayRef<Value> operands,
                  ConversionPatternRewriter &rewriter) const override {
    if (op->getNumRegions() != 0 ||
        isa<arith::ExtFOp, arith::TruncFOp, arith::ConstantOp, func::ReturnOp,
            func::CallOp>(op))
      return rewriter.notifyMatchFailure(op, "handled elsewhere");
    SmallVector<Type> resultTypes;
    if (failed(getTypeConverter()->convertTypes(op->getResultTypes(),
                                                resultTypes)))
      return rewriter.notifyMatchFailure(op, "result types do not convert");
    OperationState state(op->getLoc(), op->getName());
    state.addOperands(operands);
    state.addTypes(resultTypes);
    state.addAttributes(llvm::to_vector(op->getDiscardableAttrs()));
    state.propertiesAttr = op->getPropertiesAsAttribute();
    state.addSuccessors(op->getSuccessors());
    Operation *retyped = rewriter.create(state);
    rewriter.replaceOp(op, retyped->getResults());
    return success();
  }
};

} // namespace

void mlir::dsv2::cpu::populateBf16AsI16Patterns(
    const TypeConverter &typeConverter, RewritePatternSet &patterns,
    ConversionTarget &target) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ExtFFromBf16, TruncFToBf16, Bf16Constant, RetypeBf16Op>(
      typeConverter, context);
  scf::populateSCFStructuralTypeConversionsAndLegality(typeConverter, patterns,
                                                       target);
  // Functions with bf16 arguments or results (never kernels, whose
  // arguments are pointers and i32/i64/f32) take and return the bits.
  populateFunctionOpInterfaceTypeConversionPattern<func::FuncOp>(patterns,
                                                                 typeConverter);
  populateReturnOpTypeConversionPattern(patterns, typeConverter);
  populateCallOpTypeConversionPattern(patterns, typeConverter);
  target.addDynamicallyLegalOp<func::FuncOp>([&typeConverter](func::FuncOp f) {
    return typeConverter.isSignatureLegal(f.getFunctionType()) &&
           typeConverter.isLegal(&f.getBody());
  });
  target.markUnknownOpDynamicallyLegal([&typeConverter](Operation *op) {
    if (auto extf = dyn_cast<arith::ExtFOp>(op))
      return !getElementTypeOrSelf(extf.getIn().getType()).isBF16();
    if (auto truncf = dyn_cast<arith::TruncFOp>(op))
      return !getElementTypeOrSelf(truncf.getType()).isBF16();
    return typeConverter.isLegal(op);
  });
}
