//===- TileMemoryLowering.cpp - tile pointers, loads, stores -> LLVM ------===//

#include "codegen/cpu/TileLowering.h"

using namespace mlir;
using namespace mlir::dsv2::cpu;
using namespace mlir::dsv2::cpu::lowering;
using mlir::tile::AccessPattern;
using mlir::tile::ContiguityAnalysis;

namespace {

/// Pointer arithmetic in elements of the pointee: llvm.getelementptr, on a
/// 1-D vector of pointers for tiles.
struct AddPtrLowering : OpConversionPattern<tile::AddPtrOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult
  matchAndRewrite(tile::AddPtrOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type pointee =
        cast<tile::PtrType>(getElementTypeOrSelf(op.getPtr().getType()))
            .getPointee();
    Type resultType = getTypeConverter()->convertType(op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result type does not convert");
    Value ptr = adaptor.getPtr(), offset = adaptor.getOffset();
    auto vectorType = dyn_cast<VectorType>(resultType);
    if (!vectorType) {
      rewriter.replaceOp(op,
                         LLVM::GEPOp::create(rewriter, loc, resultType, pointee,
                                             ptr, ValueRange{offset}));
      return success();
    }
    VectorType flatType = flatTypeOf(vectorType);
    Value base =
        isa<VectorType>(ptr.getType()) ? flatten(rewriter, loc, ptr) : ptr;
    if (!isa<VectorType>(offset.getType()))
      offset = vector::BroadcastOp::create(
          rewriter, loc, flatType.clone(offset.getType()), offset);
    Value index = flatten(rewriter, loc, offset);
    Value gep = LLVM::GEPOp::create(rewriter, loc, flatType, pointee, base,
                                    ValueRange{index});
    rewriter.replaceOp(op, unflatten(rewriter, loc, gep, vectorType));
    return success();
  }
};

/// The pointer of the first lane of a row (last dimension) of a pointer
/// tile, for the row's leading index.
using RowPointer = function_ref<Value(ArrayRef<int64_t> rowIndex)>;

/// One vector load per row (last dimension) of `type`, from each row's
/// first lane's pointer; masked rows use llvm.intr.masked.load with the
/// row's `other` lanes.
Value loadRows(OpBuilder &builder, Location loc, VectorType type,
               RowPointer rowPointer, Value mask, Value other) {
  unsigned alignment = alignmentOf(type.getElementType());
  int64_t width = type.getShape().back();
  ArrayRef<int64_t> lead = type.getShape().drop_back();
  VectorType rowType = VectorType::get({width}, type.getElementType());
  int64_t rows = type.getNumElements() / width;
  Value result =
      other ? other : ub::PoisonOp::create(builder, loc, type).getResult();
  for (int64_t row = 0; row < rows; ++row) {
    SmallVector<int64_t> index = rowIndex(lead, row);
    Value rowPtr = rowPointer(index);
    Value loaded;
    if (mask) {
      Value rowMask =
          index.empty() ? mask
                        : vector::ExtractOp::create(builder, loc, mask, index);
      Value rowOther =
          index.empty() ? other
                        : vector::ExtractOp::create(builder, loc, other, index);
      loaded = LLVM::MaskedLoadOp::create(builder, loc, rowType, rowPtr,
                                          rowMask, rowOther, alignment);
    } else {
      loaded = LLVM::LoadOp::create(builder, loc, rowType, rowPtr, alignment);
    }
    result = index.empty()
                 ? loaded
                 : vector::InsertOp::create(builder, loc, loaded, result, index)
                       .getResult();
  }
  return result;
}

/// One vector store per row (last dimension) of `value`.
void storeRows(OpBuilder &builder, Location loc, RowPointer rowPointer,
               Value value, Value mask) {
  auto type = cast<VectorType>(value.getType());
  unsigned alignment = alignmentOf(type.getElementType());
  int64_t width = type.getShape().back();
  ArrayRef<int64_t> lead = type.getShape().drop_back();
  int64_t rows = type.getNumElements() / width;
  for (int64_t row = 0; row < rows; ++row) {
    SmallVector<int64_t> index = rowIndex(lead, row);
    Value rowPtr = rowPointer(index);
    Value rowValue =
        index.empty() ? value
                      : vector::ExtractOp::create(builder, loc, value, index);
    if (mask) {
      Value rowMask =
          index.empty() ? mask
                        : vector::ExtractOp::create(builder, loc, mask, index);
      LLVM::MaskedStoreOp::create(builder, loc, rowValue, rowPtr, rowMask,
                                  alignment);
    } else {
      LLVM::StoreOp::create(builder, loc, rowValue, rowPtr, alignment);
    }
  }
}

/// Pointers of single lanes of a pointer tile `tilePtrs` (converted:
/// `ptrs`). A tile `addptr(p, offsets)` of a scalar base p gives each lane's
/// pointer as a scalar GEP of p by that lane's offset: the offsets are
/// usually loop-invariant and p a scalar advanced by the K loop, so the
/// addresses stay in scalar registers (lanes extracted from the vector GEP
/// left vector adds of 64-bit addresses, and their spills, in the GEMM
/// loops). Other tiles extract the lane of `ptrs`.
class LanePointer {
public:
  LanePointer(ConversionPatternRewriter &rewriter, Location loc, Value tilePtrs,
              Value ptrs)
      : rewriter(rewriter), loc(loc), ptrs(ptrs) {
    auto add = tilePtrs.getDefiningOp<tile::AddPtrOp>();
    if (!add || !isa<RankedTensorType>(add.getOffset().getType()))
      return;
    auto baseType = dyn_cast<tile::PtrType>(add.getPtr().getType());
    if (!baseType)
      return;
    Value convertedOffsets = rewriter.getRemappedValue(add.getOffset());
    if (!convertedOffsets || !isa<VectorType>(convertedOffsets.getType()))
      return;
    base = rewriter.getRemappedValue(add.getPtr());
    offsets = convertedOffsets;
    pointee = baseType.getPointee();
  }

  Value at(ArrayRef<int64_t> position) const {
    if (!base)
      return vector::ExtractOp::create(rewriter, loc, ptrs, position);
    Value offset = vector::ExtractOp::create(rewriter, loc, offsets, position);
    return LLVM::GEPOp::create(rewriter, loc, base.getType(), pointee, base,
                               ValueRange{offset});
  }

private:
  ConversionPatternRewriter &rewriter;
  Location loc;
  Value ptrs, base, offsets;
  Type pointee;
};

/// Row pointers of a pointer tile with contiguous rows: lane (index..., 0).
auto firstLaneOfRow(LanePointer lanes) {
  return [lanes](ArrayRef<int64_t> index) -> Value {
    SmallVector<int64_t> position(index);
    position.push_back(0);
    return lanes.at(position);
  };
}

/// Column pointers of a 2-D pointer tile with contiguous columns: lane
/// (0, column), the column being the row index of the transposed tile.
auto firstLaneOfColumn(LanePointer lanes) {
  return [lanes](ArrayRef<int64_t> index) -> Value {
    return lanes.at(ArrayRef<int64_t>{0, index.front()});
  };
}

/// The transpose of a 2-D vector (null stays null).
Value transposed(OpBuilder &builder, Location loc, Value value) {
  if (!value)
    return value;
  return vector::TransposeOp::create(builder, loc, value,
                                     ArrayRef<int64_t>{1, 0});
}

/// How a load or store with a tile of `type` reaches memory.
AccessPattern accessPatternOf(const ContiguityAnalysis *contiguity,
                              Operation *op, VectorType type) {
  if (!contiguity)
    return AccessPattern::Scattered;
  AccessPattern pattern = contiguity->getAccessPattern(op);
  // Rows of one lane stay row accesses: one scalar load per row from a
  // scalar row address (e.g. x[i, k] broadcast along a weight panel),
  // where a gather would compute every address as a vector lane.
  if (pattern == AccessPattern::ContiguousColumns &&
      (type.getRank() != 2 || type.getDimSize(0) < 2))
    return AccessPattern::Scattered;
  return pattern;
}

struct LoadLowering : OpConversionPattern<tile::LoadOp> {
  LoadLowering(const TypeConverter &converter, MLIRContext *context,
               const ContiguityAnalysis *contiguity)
      : OpConversionPattern(converter, context), contiguity(contiguity) {}

  LogicalResult
  matchAndRewrite(tile::LoadOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Type resultType = getTypeConverter()->convertType(op.getType());
    if (!resultType)
      return rewriter.notifyMatchFailure(op, "result type does not convert");
    Value ptrs = adaptor.getPtrs(), mask = adaptor.getMask(),
          other = adaptor.getOther();
    // Masked-off lanes hold `other`, zero when absent.
    if (!other && mask)
      other = zeroOf(rewriter, loc, resultType);

    auto type = dyn_cast<VectorType>(resultType);
    if (!type) {
      // A scalar: a plain load, behind an scf.if when masked.
      unsigned alignment = alignmentOf(resultType);
      if (!mask) {
        rewriter.replaceOp(op, LLVM::LoadOp::create(rewriter, loc, resultType,
                                                    ptrs, alignment));
        return success();
      }
      auto branch = scf::IfOp::create(
          rewriter, loc, mask,
          [&](OpBuilder &builder, Location at) {
            Value loaded =
                LLVM::LoadOp::create(builder, at, resultType, ptrs, alignment);
            scf::YieldOp::create(builder, at, loaded);
          },
          [&](OpBuilder &builder, Location at) {
            scf::YieldOp::create(builder, at, other);
          });
      rewriter.replaceOp(op, branch.getResults());
      return success();
    }

    switch (accessPatternOf(contiguity, op, type)) {
    case AccessPattern::ContiguousRows:
      rewriter.replaceOp(op, loadRows(rewriter, loc, type,
                                      firstLaneOfRow(LanePointer(
                                          rewriter, loc, op.getPtrs(), ptrs)),
                                      mask, other));
      return success();
    case AccessPattern::ContiguousColumns: {
      // The columns are the rows of the transposed tile.
      VectorType transposedType = VectorType::get(
          {type.getDimSize(1), type.getDimSize(0)}, type.getElementType());
      Value columns = loadRows(
          rewriter, loc, transposedType,
          firstLaneOfColumn(LanePointer(rewriter, loc, op.getPtrs(), ptrs)),
          transposed(rewriter, loc, mask), transposed(rewriter, loc, other));
      rewriter.replaceOp(op, transposed(rewriter, loc, columns));
      return success();
    }
    case AccessPattern::Scattered:
      break;
    }

    // A gather: one pointer per lane.
    VectorType flatType = flatTypeOf(type);
    if (!other)
      other = zeroOf(rewriter, loc, type);
    Value flatMask =
        mask ? flatten(rewriter, loc, mask)
             : constantOf(rewriter, loc, flatType.clone(rewriter.getI1Type()),
                          rewriter.getBoolAttr(true));
    Value gathered = LLVM::masked_gather::create(
        rewriter, loc, flatType, flatten(rewriter, loc, ptrs), flatMask,
        ValueRange{flatten(rewriter, loc, other)},
        alignmentOf(type.getElementType()));
    rewriter.replaceOp(op, unflatten(rewriter, loc, gathered, type));
    return success();
  }

  const ContiguityAnalysis *contiguity;
};

struct StoreLowering : OpConversionPattern<tile::StoreOp> {
  StoreLowering(const TypeConverter &converter, MLIRContext *context,
                const ContiguityAnalysis *contiguity)
      : OpConversionPattern(converter, context), contiguity(contiguity) {}

  LogicalResult
  matchAndRewrite(tile::StoreOp op, OpAdaptor adaptor,
                  ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value ptrs = adaptor.getPtrs(), value = adaptor.getValue(),
          mask = adaptor.getMask();
    auto type = dyn_cast<VectorType>(value.getType());
    if (!type) {
      unsigned alignment = alignmentOf(value.getType());
      if (!mask) {
        LLVM::StoreOp::create(rewriter, loc, value, ptrs, alignment);
      } else {
        scf::IfOp::create(
            rewriter, loc, mask, [&](OpBuilder &builder, Location at) {
              LLVM::StoreOp::create(builder, at, value, ptrs, alignment);
              scf::YieldOp::create(builder, at);
            });
      }
      rewriter.eraseOp(op);
      return success();
    }

    switch (accessPatternOf(contiguity, op, type)) {
    case AccessPattern::ContiguousRows:
      storeRows(rewriter, loc,
                firstLaneOfRow(LanePointer(rewriter, loc, op.getPtrs(), ptrs)),
                value, mask);
      rewriter.eraseOp(op);
      return success();
    case AccessPattern::ContiguousColumns:
      storeRows(
          rewriter, loc,
          firstLaneOfColumn(LanePointer(rewriter, loc, op.getPtrs(), ptrs)),
          transposed(rewriter, loc, value), transposed(rewriter, loc, mask));
      rewriter.eraseOp(op);
      return success();
    case AccessPattern::Scattered:
      break;
    }

    VectorType flatType = flatTypeOf(type);
    Value flatMask =
        mask ? flatten(rewriter, loc, mask)
             : constantOf(rewriter, loc, flatType.clone(rewriter.getI1Type()),
                          rewriter.getBoolAttr(true));
    LLVM::masked_scatter::create(rewriter, loc, flatten(rewriter, loc, value),
                                 flatten(rewriter, loc, ptrs), flatMask,
                                 alignmentOf(type.getElementType()));
    rewriter.eraseOp(op);
    return success();
  }

  const ContiguityAnalysis *contiguity;
};

} // namespace

void mlir::dsv2::cpu::lowering::populateTileMemoryPatterns(
    const TypeConverter &typeConverter, RewritePatternSet &patterns,
    const ContiguityAnalysis *contiguity) {
  patterns.add<AddPtrLowering>(typeConverter, patterns.getContext());
  patterns.add<LoadLowering, StoreLowering>(typeConverter,
                                            patterns.getContext(), contiguity);
}
