//===- GraphBuilder.h - DeepSeek-V2 config -> dsv2 module -------*- C++ -*-===//
//
// Builds the `dsv2` module of one forward step with the reference semantics:
// `func.func @step(tokens, start, cache) -> (logits, cache)` runs T tokens at
// positions start .. start+T-1 on top of a cache holding `start` tokens.
// Needs no weights: weights are `dsv2.weight` ops naming checkpoint tensors.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_GRAPHBUILDER_H
#define MODELS_DEEPSEEK_V2_GRAPHBUILDER_H

#include "models/deepseek_v2/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace dsv2::model {

/// Storage and cache element types of the built module.
struct GraphOptions {
  /// Element type of every weight (the checkpoint's dtype): f32, bf16, f16.
  mlir::Type weightType;
  /// Element type of the KV cache.
  mlir::Type cacheType;
};

/// The name of the step function in every built module.
inline constexpr llvm::StringLiteral kStepFunctionName = "step";

/// Builds the naive-MLA step module of `config`. The config must have passed
/// validateModelConfig(). Loads the dsv2 and func dialects into `context`.
mlir::OwningOpRef<mlir::ModuleOp> buildStepModule(mlir::MLIRContext &context,
                                                  const ModelConfig &config,
                                                  const GraphOptions &options);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_GRAPHBUILDER_H
