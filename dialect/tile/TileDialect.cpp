//===- TileDialect.cpp - The tile dialect ---------------------------------===//
//
// Dialect registration and the checks of the tile.kernel attribute where it
// is attached: on a func.func that returns nothing and takes buffers and
// scalar sizes.
//
//===----------------------------------------------------------------------===//

#include "dialect/tile/TileDialect.h"
#include "dialect/tile/TileOps.h"

#include "mlir/IR/DialectImplementation.h"

using namespace mlir;
using namespace mlir::tile;

#include "dialect/tile/TileDialect.cpp.inc"

void TileDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dialect/tile/TileOps.cpp.inc"
      >();
  registerTypes();
  registerAttributes();
}

KernelAttr mlir::tile::getEnclosingKernel(Operation *op) {
  auto func = op->getParentOfType<func::FuncOp>();
  if (!func)
    return {};
  return func->getAttrOfType<KernelAttr>(TileDialect::getKernelAttrName());
}

/// Scalars a launcher can pass by value: sizes, strides, epsilons, scales.
static bool isKernelScalarArgument(Type type) {
  return type.isSignlessInteger(32) || type.isSignlessInteger(64) ||
         type.isF32();
}

LogicalResult TileDialect::verifyOperationAttribute(Operation *op,
                                                    NamedAttribute attr) {
  if (attr.getName() != getKernelAttrName())
    return op->emitError() << "unknown attribute '" << attr.getName().getValue()
                           << "': the tile dialect defines only '"
                           << getKernelAttrName() << "'";
  if (!isa<KernelAttr>(attr.getValue()))
    return op->emitError() << "'" << getKernelAttrName()
                           << "' must be a #tile.kernel<...> attribute, got "
                           << attr.getValue();
  auto func = dyn_cast<func::FuncOp>(op);
  if (!func)
    return op->emitError() << "'" << getKernelAttrName()
                           << "' marks a func.func as a kernel, it cannot be "
                              "attached to '"
                           << op->getName() << "'";
  FunctionType type = func.getFunctionType();
  if (type.getNumResults() != 0)
    return op->emitError() << "kernel @" << func.getSymName() << " returns "
                           << type.getNumResults()
                           << " value(s); kernels write their results through "
                              "!tile.ptr arguments and return nothing";
  for (auto [index, argType] : llvm::enumerate(type.getInputs()))
    if (!isa<PtrType>(argType) && !isKernelScalarArgument(argType))
      return op->emitError()
             << "kernel @" << func.getSymName() << " argument #" << index
             << " has type " << argType
             << "; kernel arguments are !tile.ptr buffers or i32, i64, f32 "
                "scalars";
  return success();
}
