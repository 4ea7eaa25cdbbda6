//===- ModulePartition.h - Split a kernel module for parallel codegen -*- C++ -*-===//
//
// Part of dsv2c. LLVM optimizes and compiles one module on one thread; the
// kernels of an engine are independent functions, so emitSharedLibrary
// splits them into a few modules of about equal size and compiles those in
// parallel (codegen/cpu/README.md).
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_MODULEPARTITION_H
#define CODEGEN_CPU_MODULEPARTITION_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/ADT/SmallVector.h"

namespace mlir::dsv2::cpu {

/// Copies of `module` (LLVM dialect) that together hold each of its function
/// definitions once: at most `parts` modules, balanced by operation count,
/// each keeping the module's attributes and its functions in module order.
/// Returns no parts (compile `module` whole) when `parts` < 2, when it has
/// fewer than two definitions, or when it has anything besides functions
/// (a global, an alias: a copy in every part could collide at link time).
llvm::SmallVector<OwningOpRef<ModuleOp>> partitionFunctions(ModuleOp module,
                                                            unsigned parts);

} // namespace mlir::dsv2::cpu

#endif // CODEGEN_CPU_MODULEPARTITION_H
