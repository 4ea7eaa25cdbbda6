//===- Dsv2Ops.h - dsv2 operations ------------------------------*- C++ -*-===//

#ifndef DIALECT_DSV2_DSV2OPS_H
#define DIALECT_DSV2_DSV2OPS_H

#include "dialect/dsv2/Dsv2Dialect.h"
#include "dialect/dsv2/WeightReference.h"

#define GET_OP_CLASSES
#include "dialect/dsv2/Dsv2Ops.h.inc"

#endif // DIALECT_DSV2_DSV2OPS_H
