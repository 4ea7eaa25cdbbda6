//===- TileComputeLowering.cpp - dots, reductions, silu -> vectors --------===//

#include "codegen/cpu/TileLowering.h"

using namespace mlir;
using namespace mlir::dsv2::cpu;
using namespace mlir::dsv2::cpu::lowering;
using mlir::tile::AccessPattern;
using mlir::tile::ContiguityAnalysis;

namespace {

/// a @ b + acc with the inputs extended to f32: vector.contract, which the
/// CPU vector lowering turns into one fused multiply-add per K step.
struct DotLowering : OpConversionPattern<tile::DotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::DotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type f32 = rewriter.getF32Type();
    auto toF32 = [&](Value value) -> Value {
      auto type = cast<VectorType>(value.getType());
      if (type.getElementType() == f32)
        return value;
      return arith::ExtFOp::create(rewriter, loc, type.clone(f32), value);
    };
    MLIRContext *context = rewriter.getContext();
    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    auto parallel = vector::IteratorType::parallel;
    auto reduction = vector::IteratorType::reduction;
    Value result = vector::ContractionOp::create(
        rewriter, loc, toF32(adaptor.getA()), toF32(adaptor.getB()),
        adaptor.getAcc(),
        ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {k, n}, {m, n}},
        ArrayRef<vector::IteratorType>{parallel, parallel, reduction});
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// One row of tile.pair_dot: acc + lo16(x) * w0 + hi16(x) * w1 over
/// vector<N x i32> / vector<N x i8> rows. With pmaddwd (AVX-512BW: 16 lanes,
/// AVX2: 8) the two weight rows are interleaved into int16 pairs so each i32
/// lane multiplies its own pair and sums it; LLVM folds the add into
/// vpdpwssd on VNNI targets. The generic form splits x's halves with shifts.
Value pairDotRow(OpBuilder &builder, Location loc, PairDotIsa isa, Value x,
                 Value w0, Value w1, Value acc) {
  auto rowType = cast<VectorType>(acc.getType());
  const int64_t width = rowType.getShape().back();
  const int64_t chunk = isa == PairDotIsa::Avx512 ? 16
                        : isa == PairDotIsa::Avx2 ? 8
                                                  : 0;
  if (chunk == 0 || width % chunk != 0) {
    Value sixteen = constantOf(builder, loc, rowType,
                               builder.getI32IntegerAttr(16));
    Value lo = arith::ShRSIOp::create(
        builder, loc, arith::ShLIOp::create(builder, loc, x, sixteen), sixteen);
    Value hi = arith::ShRSIOp::create(builder, loc, x, sixteen);
    Value w0Wide = arith::ExtSIOp::create(builder, loc, rowType, w0);
    Value w1Wide = arith::ExtSIOp::create(builder, loc, rowType, w1);
    Value sum = arith::AddIOp::create(
        builder, loc, acc, arith::MulIOp::create(builder, loc, lo, w0Wide));
    return arith::AddIOp::create(
        builder, loc, sum, arith::MulIOp::create(builder, loc, hi, w1Wide));
  }
  StringAttr intrinsic = builder.getStringAttr(
      isa == PairDotIsa::Avx512 ? "llvm.x86.avx512.pmaddw.d.512"
                                : "llvm.x86.avx2.pmadd.wd");
  auto i32Chunk = VectorType::get({chunk}, builder.getI32Type());
  auto i16Pairs = VectorType::get({2 * chunk}, builder.getI16Type());
  SmallVector<int64_t> interleave;
  for (int64_t j = 0; j < chunk; ++j)
    interleave.append({j, chunk + j});
  auto slice = [&](Value row, int64_t offset) -> Value {
    if (chunk == width)
      return row;
    return vector::ExtractStridedSliceOp::create(builder, loc, row, {offset},
                                                 {chunk}, {1});
  };
  Value result = acc;
  for (int64_t offset = 0; offset < width; offset += chunk) {
    Value pairs = vector::ShuffleOp::create(builder, loc, slice(w0, offset),
                                           slice(w1, offset), interleave);
    Value weights = arith::ExtSIOp::create(builder, loc, i16Pairs, pairs);
    Value activations =
        vector::BitCastOp::create(builder, loc, i16Pairs, slice(x, offset));
    Value products =
        LLVM::CallIntrinsicOp::create(builder, loc, i32Chunk, intrinsic,
                                      ValueRange{activations, weights})
            .getResult(0);
    Value sum =
        arith::AddIOp::create(builder, loc, slice(acc, offset), products);
    result = chunk == width
                 ? sum
                 : vector::InsertStridedSliceOp::create(builder, loc, sum,
                                                        result, {offset}, {1})
                       .getResult();
  }
  return result;
}

/// tile.pair_dot row by row over the leading axes (see pairDotRow).
struct PairDotLowering : OpConversionPattern<tile::PairDotOp> {
  PairDotLowering(const TypeConverter &converter, MLIRContext *context,
                  PairDotIsa isa)
      : OpConversionPattern(converter, context), isa(isa) {}

  LogicalResult
  matchAndRewrite(tile::PairDotOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(adaptor.getAcc().getType());
    ArrayRef<int64_t> lead = type.getShape().drop_back();
    int64_t rows = 1;
    for (int64_t size : lead)
      rows *= size;
    Value result = adaptor.getAcc();
    for (int64_t row = 0; row < rows; ++row) {
      SmallVector<int64_t> index = rowIndex(lead, row);
      auto at = [&](Value value, ArrayRef<int64_t> position) -> Value {
        if (position.empty())
          return value;
        return vector::ExtractOp::create(rewriter, loc, value, position);
      };
      SmallVector<int64_t> row0(index), row1(index);
      row0.push_back(0);
      row1.push_back(1);
      Value x = at(adaptor.getX(), index);
      Value w0 = at(adaptor.getW(), row0);
      Value w1 = at(adaptor.getW(), row1);
      Value acc = at(adaptor.getAcc(), index);
      Value sum = pairDotRow(rewriter, loc, isa, x, w0, w1, acc);
      result = index.empty() ? sum
                             : vector::InsertOp::create(rewriter, loc, sum,
                                                        result, index)
                                   .getResult();
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  PairDotIsa isa;
};

struct ReduceLowering : OpConversionPattern<tile::ReduceOp> {
  using OpConversionPattern::OpConversionPattern;

  LogicalResult
  matchAndRewrite(tile::ReduceOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<VectorType>(input.getType());
    Type element = type.getElementType();
    unsigned axis = op.getAxis();
    bool isFloat = isa<FloatType>(element);
    SmallVector<bool> reduced(type.getRank(), false);
    reduced[axis] = true;

    // The reduction of `value` along `axis`, starting from `neutral`. Along
    // the last dimension: vector.multi_reduction, which becomes one
    // horizontal vector.reduction per row. Along another dimension: the
    // slices combined elementwise in order (vectorized across the kept
    // dimensions).
    auto reduce = [&](Value value, vector::CombiningKind kind,
                      TypedAttr neutral) -> Value {
      auto valueType = cast<VectorType>(value.getType());
      Type resultType = valueType.getElementType();
      SmallVector<int64_t> kept(valueType.getShape());
      kept.erase(kept.begin() + axis);
      if (!kept.empty())
        resultType = VectorType::get(kept, valueType.getElementType());
      Value acc = constantOf(rewriter, loc, resultType, neutral);
      if (axis + 1 == valueType.getRank())
        return vector::MultiDimReductionOp::create(rewriter, loc, value, acc,
                                                   reduced, kind);
      if (axis != 0) {
        SmallVector<int64_t> permutation = {static_cast<int64_t>(axis)};
        for (int64_t dim = 0; dim < valueType.getRank(); ++dim)
          if (dim != static_cast<int64_t>(axis))
            permutation.push_back(dim);
        value = vector::TransposeOp::create(rewriter, loc, value, permutation);
      }
      for (int64_t i = 0, e = valueType.getDimSize(axis); i < e; ++i) {
        Value slice = vector::ExtractOp::create(rewriter, loc, value,
                                                ArrayRef<int64_t>{i});
        acc = vector::makeArithReduction(rewriter, loc, kind, slice, acc);
      }
      return acc;
    };
    auto floatAttr = [&](Type floatType, bool infinity, bool negative) {
      const llvm::fltSemantics &semantics =
          cast<FloatType>(floatType).getFloatSemantics();
      return rewriter.getFloatAttr(
          floatType, infinity ? APFloat::getInf(semantics, negative)
                              : APFloat::getZero(semantics, negative));
    };
    auto intAttr = [&](Type intType, bool max) {
      unsigned width = intType.getIntOrFloatBitWidth();
      return rewriter.getIntegerAttr(intType,
                                     max ? APInt::getSignedMaxValue(width)
                                         : APInt::getSignedMinValue(width));
    };

    if (op.getKind() == tile::ReduceKind::argmax) {
      // max, then the smallest lane index holding it (the first maximum; a
      // NaN is the maximum under maximumf, so NaN lanes match too).
      Value max = isFloat ? reduce(input, vector::CombiningKind::MAXIMUMF,
                                   floatAttr(element, true, true))
                          : reduce(input, vector::CombiningKind::MAXSI,
                                   intAttr(element, false));
      Value maxAll;
      if (type.getRank() == 1) {
        maxAll = vector::BroadcastOp::create(rewriter, loc, type, max);
      } else {
        SmallVector<int64_t> kept(type.getShape());
        kept[axis] = 1;
        Value keptMax = vector::ShapeCastOp::create(
            rewriter, loc, VectorType::get(kept, element), max);
        maxAll = vector::BroadcastOp::create(rewriter, loc, type, keptMax);
      }
      Value isMax;
      if (isFloat) {
        Value equal = arith::CmpFOp::create(
            rewriter, loc, arith::CmpFPredicate::OEQ, input, maxAll);
        Value isNan = arith::CmpFOp::create(
            rewriter, loc, arith::CmpFPredicate::UNO, input, input);
        isMax = arith::OrIOp::create(rewriter, loc, equal, isNan);
      } else {
        isMax = arith::CmpIOp::create(rewriter, loc, arith::CmpIPredicate::eq,
                                      input, maxAll);
      }
      // The lane index along `axis` of every element.
      VectorType indexType = type.clone(rewriter.getI32Type());
      SmallVector<int32_t> lanes(type.getNumElements());
      SmallVector<int64_t> strides = computeStrides(type.getShape());
      for (int64_t i = 0, e = type.getNumElements(); i < e; ++i)
        lanes[i] = static_cast<int32_t>(delinearize(i, strides)[axis]);
      Value laneIndex = arith::ConstantOp::create(
          rewriter, loc, indexType,
          DenseElementsAttr::get(indexType, ArrayRef<int32_t>(lanes)));
      TypedAttr noLane = intAttr(rewriter.getI32Type(), true);
      Value none = constantOf(rewriter, loc, indexType, noLane);
      Value candidates =
          arith::SelectOp::create(rewriter, loc, isMax, laneIndex, none);
      rewriter.replaceOp(
          op, reduce(candidates, vector::CombiningKind::MINSI, noLane));
      return success();
    }

    // sum, max, min. Narrow floats reduce in f32 and round once.
    Type computeElement = element;
    if (isFloat && element.getIntOrFloatBitWidth() < 32) {
      computeElement = rewriter.getF32Type();
      input = arith::ExtFOp::create(rewriter, loc, type.clone(computeElement),
                                    input);
    }
    vector::CombiningKind kind = vector::CombiningKind::ADD;
    TypedAttr neutral;
    switch (op.getKind()) {
    case tile::ReduceKind::sum:
      kind = vector::CombiningKind::ADD;
      neutral = isFloat ? TypedAttr(floatAttr(computeElement, false, true))
                        : TypedAttr(rewriter.getIntegerAttr(computeElement, 0));
      break;
    case tile::ReduceKind::max:
      kind = isFloat ? vector::CombiningKind::MAXIMUMF
                     : vector::CombiningKind::MAXSI;
      neutral = isFloat ? TypedAttr(floatAttr(computeElement, true, true))
                        : TypedAttr(intAttr(computeElement, false));
      break;
    case tile::ReduceKind::min:
      kind = isFloat ? vector::CombiningKind::MINIMUMF
                     : vector::CombiningKind::MINSI;
      neutral = isFloat ? TypedAttr(floatAttr(computeElement, true, false))
                        : TypedAttr(intAttr(computeElement, true));
      break;
    case tile::ReduceKind::argmax:
      llvm_unreachable("handled above");
    }
    Value result = reduce(input, kind, neutral);
    if (computeElement != element)
      result = arith::TruncFOp::create(
          rewriter, loc, withElement(result.getType(), element), result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// silu(x) = x / (1 + exp(-x)), in f32 for narrower floats.
struct SiluLowering : OpConversionPattern<tile::SiluOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::SiluOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value x = adaptor.getInput();
    Type type = x.getType();
    Type element = getElementTypeOrSelf(type);
    Type computeType = type;
    if (element.getIntOrFloatBitWidth() < 32) {
      computeType = withElement(type, rewriter.getF32Type());
      x = arith::ExtFOp::create(rewriter, loc, computeType, x);
    }
    Value one = constantOf(
        rewriter, loc, computeType,
        rewriter.getFloatAttr(getElementTypeOrSelf(computeType), 1.0));
    Value negated = arith::NegFOp::create(rewriter, loc, x);
    Value exp = math::ExpOp::create(rewriter, loc, negated);
    Value denominator = arith::AddFOp::create(rewriter, loc, one, exp);
    Value result = arith::DivFOp::create(rewriter, loc, x, denominator);
    if (computeType != type)
      result = arith::TruncFOp::create(rewriter, loc, type, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void mlir::dsv2::cpu::lowering::populateTileComputePatterns(
    const TypeConverter &typeConverter, RewritePatternSet &patterns,
    PairDotIsa pairDot) {
  MLIRContext *context = patterns.getContext();
  patterns.add<DotLowering, ReduceLowering, SiluLowering>(typeConverter,
                                                          context);
  patterns.add<PairDotLowering>(typeConverter, context, pairDot);
}
