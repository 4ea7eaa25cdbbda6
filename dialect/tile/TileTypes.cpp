//===- TileTypes.cpp - tile types -----------------------------------------===//

#include "dialect/tile/TileDialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::tile;

#define GET_TYPEDEF_CLASSES
#include "dialect/tile/TileTypes.cpp.inc"

void TileDialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialect/tile/TileTypes.cpp.inc"
      >();
}

bool mlir::tile::isPointeeType(Type type) {
  return type.isF32() || type.isBF16() || type.isF16() ||
         type.isSignlessInteger(8) || type.isSignlessInteger(32) ||
         type.isSignlessInteger(64);
}

LogicalResult PtrType::verify(function_ref<InFlightDiagnostic()> emitError,
                              Type pointee) {
  if (!isPointeeType(pointee))
    return emitError() << "!tile.ptr pointee must be f32, bf16, f16, i8, i32 "
                          "or i64, got "
                       << pointee;
  return success();
}
