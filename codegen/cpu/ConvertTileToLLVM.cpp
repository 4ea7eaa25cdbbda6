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

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2CONVERTTILETOLLVMPASS
#include "codegen/cpu/Passes.h.inc"
} // namespace mlir::dsv2

using namespace mlir;
using namespace mlir::dsv2::cpu;
using mlir::tile::AccessPattern;
using mlir::tile::ContiguityAnalysis;

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

llvm::StringRef
mlir::dsv2::cpu::pairDotIsaFor(llvm::ArrayRef<std::string> features) {
  if (llvm::is_contained(features, "avx512bw"))
    return "avx512bw";
  if (llvm::is_contained(features, "avx2"))
    return "avx2";
  return "generic";
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

/// Bytes of one element: the alignment of element-wise memory access.
unsigned alignmentOf(Type element) {
  return std::max(1u, element.getIntOrFloatBitWidth() / 8);
}

VectorType flatTypeOf(VectorType type) {
  return VectorType::get({type.getNumElements()}, type.getElementType());
}

/// A vector of any rank as a 1-D vector (LLVM's intrinsics are 1-D).
Value flatten(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<VectorType>(value.getType());
  if (type.getRank() == 1)
    return value;
  return vector::ShapeCastOp::create(builder, loc, flatTypeOf(type), value);
}

Value unflatten(OpBuilder &builder, Location loc, Value value, VectorType to) {
  if (value.getType() == to)
    return value;
  return vector::ShapeCastOp::create(builder, loc, to, value);
}

/// `scalar` as a constant of `type`: the scalar itself or a splat vector.
Value constantOf(OpBuilder &builder, Location loc, Type type,
                 TypedAttr scalar) {
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(builder, loc, vector,
                                     DenseElementsAttr::get(vector, scalar));
  return arith::ConstantOp::create(builder, loc, type, scalar);
}

Value zeroOf(OpBuilder &builder, Location loc, Type type) {
  return arith::ConstantOp::create(builder, loc, type,
                                   cast<TypedAttr>(builder.getZeroAttr(type)));
}

/// `type` with element type `element` (a vector keeps its shape).
Type withElement(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

/// The leading index of row `row` of a vector shaped `[lead..., width]`.
SmallVector<int64_t> rowIndex(ArrayRef<int64_t> leadShape, int64_t row) {
  if (leadShape.empty())
    return {};
  return delinearize(row, computeStrides(leadShape));
}

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

//===----------------------------------------------------------------------===//
// Pointers and memory
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Compute
//===----------------------------------------------------------------------===//

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
               ExpandDimsLowering, TransLowering, AddPtrLowering, DotLowering,
               ReduceLowering, SiluLowering, GridOpLowering<tile::ProgramIdOp>,
               GridOpLowering<tile::NumProgramsOp>, ElementwiseOnTilesLowering>(
      typeConverter, context);
  patterns.add<LoadLowering, StoreLowering>(typeConverter, context, contiguity);
  patterns.add<PairDotLowering>(typeConverter, context, pairDot);
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
