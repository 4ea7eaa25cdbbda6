//===- TileLowering.h - Pieces shared by the tile lowering ------*- C++ -*-===//
//
// Private to codegen/cpu. ConvertTileToLLVM.cpp converts tiles to vectors
// with patterns defined by concern: the tile-building and elementwise ones
// there, pointers and memory in TileMemoryLowering.cpp, dots, pair dots,
// reductions and silu in TileComputeLowering.cpp. This header holds the
// vector helpers they share and the two pattern sets' entry points.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_TILELOWERING_H
#define CODEGEN_CPU_TILELOWERING_H

#include "codegen/cpu/ConvertTileToLLVM.h"
#include "dialect/tile/ContiguityAnalysis.h"
#include "dialect/tile/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Transforms/DialectConversion.h"

#include <algorithm>

namespace mlir::dsv2::cpu::lowering {

/// Bytes of one element: the alignment of element-wise memory access.
inline unsigned alignmentOf(Type element) {
  return std::max(1u, element.getIntOrFloatBitWidth() / 8);
}

inline VectorType flatTypeOf(VectorType type) {
  return VectorType::get({type.getNumElements()}, type.getElementType());
}

/// A vector of any rank as a 1-D vector (LLVM's intrinsics are 1-D).
inline Value flatten(OpBuilder &builder, Location loc, Value value) {
  auto type = cast<VectorType>(value.getType());
  if (type.getRank() == 1)
    return value;
  return vector::ShapeCastOp::create(builder, loc, flatTypeOf(type), value);
}

inline Value unflatten(OpBuilder &builder, Location loc, Value value, VectorType to) {
  if (value.getType() == to)
    return value;
  return vector::ShapeCastOp::create(builder, loc, to, value);
}

/// `scalar` as a constant of `type`: the scalar itself or a splat vector.
inline Value constantOf(OpBuilder &builder, Location loc, Type type,
                 TypedAttr scalar) {
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(builder, loc, vector,
                                     DenseElementsAttr::get(vector, scalar));
  return arith::ConstantOp::create(builder, loc, type, scalar);
}

inline Value zeroOf(OpBuilder &builder, Location loc, Type type) {
  return arith::ConstantOp::create(builder, loc, type,
                                   cast<TypedAttr>(builder.getZeroAttr(type)));
}

/// `type` with element type `element` (a vector keeps its shape).
inline Type withElement(Type type, Type element) {
  if (auto vector = dyn_cast<VectorType>(type))
    return vector.clone(element);
  return element;
}

/// The leading index of row `row` of a vector shaped `[lead..., width]`.
inline SmallVector<int64_t> rowIndex(ArrayRef<int64_t> leadShape, int64_t row) {
  if (leadShape.empty())
    return {};
  return delinearize(row, computeStrides(leadShape));
}

/// tile.addptr, tile.load and tile.store (TileMemoryLowering.cpp): loads
/// and stores as masked vector intrinsics, row by row where `contiguity`
/// (may be null) shows rows of consecutive elements.
void populateTileMemoryPatterns(const TypeConverter &typeConverter,
                                RewritePatternSet &patterns,
                                const tile::ContiguityAnalysis *contiguity);

/// tile.dot, tile.pair_dot (in `pairDot`'s instructions), tile.reduce and
/// tile.silu (TileComputeLowering.cpp).
void populateTileComputePatterns(const TypeConverter &typeConverter,
                                 RewritePatternSet &patterns,
                                 PairDotIsa pairDot);

} // namespace mlir::dsv2::cpu::lowering

#endif // CODEGEN_CPU_TILELOWERING_H
