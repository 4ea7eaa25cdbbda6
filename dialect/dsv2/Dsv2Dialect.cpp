//===- Dsv2Dialect.cpp - The dsv2 dialect ---------------------------------===//

#include "dialect/dsv2/Dsv2Dialect.h"
#include "dialect/dsv2/Dsv2Ops.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::dsv2;

#include "dialect/dsv2/Dsv2OpsDialect.cpp.inc"

void Dsv2Dialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/dsv2/Dsv2Ops.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}
