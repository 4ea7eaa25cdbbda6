//===- Dsv2Dialect.h - The dsv2 dialect -------------------------*- C++ -*-===//
//
// Model-level IR of DeepSeek-V2: types, attributes and ops.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_DSV2DIALECT_H
#define DIALECT_DSV2_DSV2DIALECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dialect/dsv2/Dsv2OpsDialect.h.inc"
#include "dialect/dsv2/Dsv2Enums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dialect/dsv2/Dsv2Attrs.h.inc"

#define GET_TYPEDEF_CLASSES
#include "dialect/dsv2/Dsv2OpsTypes.h.inc"

#endif // DIALECT_DSV2_DSV2DIALECT_H
