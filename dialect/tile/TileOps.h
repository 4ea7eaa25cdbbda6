//===- TileOps.h - tile operations ------------------------------*- C++ -*-===//

#ifndef DIALECT_TILE_TILEOPS_H
#define DIALECT_TILE_TILEOPS_H

#include "dialect/tile/TileDialect.h"

#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "dialect/tile/TileOps.h.inc"

#endif // DIALECT_TILE_TILEOPS_H
