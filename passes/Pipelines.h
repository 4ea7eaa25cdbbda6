//===- Pipelines.h - Named dsv2 pass pipelines ------------------*- C++ -*-===//
//
// `dsv2-optimize`, the default pipeline of dsv2c: canonicalize, the paper's
// three inference transformations, cleanup. Tools accept a pipeline name, a
// textual pass list, or `none`.
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_PIPELINES_H
#define PASSES_PIPELINES_H

#include "mlir/Pass/PassManager.h"

namespace mlir::dsv2 {

/// The name of the default pipeline.
inline constexpr llvm::StringLiteral kDefaultPipeline = "dsv2-optimize";

/// Appends dsv2-optimize to `pm` (anchored on builtin.module).
void buildDsv2OptimizePipeline(OpPassManager &pm);

/// Registers dsv2-optimize with the pass registry (for dsv2-opt and
/// textual pipelines).
void registerDsv2Pipelines();

/// Fills `pm` (anchored on builtin.module, implicit nesting) from `spec`:
/// `none`, a registered pipeline name such as `dsv2-optimize`, or a textual
/// pass list (`dsv2-kv-latent-compression,cse`). Errors go to `errors`.
LogicalResult buildPipelineFromSpec(llvm::StringRef spec, OpPassManager &pm,
                                    llvm::raw_ostream &errors);

} // namespace mlir::dsv2

#endif // PASSES_PIPELINES_H
