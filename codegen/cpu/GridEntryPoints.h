//===- GridEntryPoints.h - The runtime's uniform kernel entry ---*- C++ -*-===//
//
// After lowering, each kernel is `void @k(<args>, i32 x, i32 y, i32 z,
// i32 nx, i32 ny, i32 nz)`. The runtime calls every kernel the same way
// (runtime/engine/KernelAbi.h): `void @k_grid(ptr args, i32 nx, i32 ny,
// i32 nz, i64 first, i64 last)` loads the arguments from the pointer array
// once and runs the programs with linear ids [first, last).
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_GRIDENTRYPOINTS_H
#define CODEGEN_CPU_GRIDENTRYPOINTS_H

#include "mlir/IR/BuiltinOps.h"

#include <string>
#include <vector>

namespace mlir::dsv2::cpu {

/// Adds `<name>_grid` for every kernel in `kernels` (LLVM-dialect functions
/// produced by the CPU lowering).
LogicalResult addGridEntryPoints(ModuleOp module,
                                 const std::vector<std::string> &kernels);

} // namespace mlir::dsv2::cpu

#endif // CODEGEN_CPU_GRIDENTRYPOINTS_H
