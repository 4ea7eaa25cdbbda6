//===- TileDialect.h - The tile dialect -------------------------*- C++ -*-===//
//
// Kernel IR of dsv2c: pointer type, kernel attribute, enums.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_TILE_TILEDIALECT_H
#define DIALECT_TILE_TILEDIALECT_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"

#include "dialect/tile/TileDialect.h.inc"
#include "dialect/tile/TileEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/tile/TileAttrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialect/tile/TileTypes.h.inc"

namespace mlir::tile {

/// True for the element types a kernel keeps in memory (the pointee types
/// of !tile.ptr): f32, bf16, f16, i32, i64.
bool isPointeeType(Type type);

/// The tile.kernel attribute of the func.func enclosing `op`, or null when
/// `op` is not inside a kernel.
KernelAttr getEnclosingKernel(Operation *op);

} // namespace mlir::tile

#endif // DIALECT_TILE_TILEDIALECT_H
