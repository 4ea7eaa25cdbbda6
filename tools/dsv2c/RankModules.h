//===- RankModules.h - One step module per rank of a parallel engine -*- C++ -*-===//
//
// `dsv2c compile --tp N --ep M`: the optimized step is copied once per rank
// and each copy runs dsv2-shard for its rank (passes/ShardForParallelism).
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_RANKMODULES_H
#define TOOLS_DSV2C_RANKMODULES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <vector>

namespace dsv2::tools {

/// The tp * ep rank modules of `module` (the input is not changed). Errors
/// carry dsv2-shard's diagnostics.
llvm::Expected<std::vector<mlir::OwningOpRef<mlir::ModuleOp>>>
shardIntoRanks(mlir::ModuleOp module, int64_t tp, int64_t ep);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_RANKMODULES_H
