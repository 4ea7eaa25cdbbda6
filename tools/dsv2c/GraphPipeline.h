//===- GraphPipeline.h - Build the step module and run passes ---*- C++ -*-===//
//
// Every dsv2c command that needs IR goes through here: build the graph of a
// ModelSource, load pass plugins, run the pipeline the user chose (or the
// command's default), verify.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_GRAPHPIPELINE_H
#define TOOLS_DSV2C_GRAPHPIPELINE_H

#include "tools/dsv2c/CommandLine.h"
#include "tools/dsv2c/ModelSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace dsv2::tools {

/// --pipeline and --pass-plugin, with the command's default in the help.
std::vector<OptionSpec> pipelineOptions(llvm::StringRef defaultSpec);

/// --kv-cache-dtype auto|f32|bf16 (compile, eval, emit): the graph's KV
/// cache element type, read by buildPipelinedModule. auto follows the
/// engine's activations: bf16 for GPU kernels over bf16 weights (their
/// GEMMs take bf16 operands), f32 otherwise (CPU engines and the reference
/// compute in f32 and stay exact against fp32 math).
OptionSpec kvCacheDtypeOption();

/// Registers our passes, pipelines and the upstream passes pipelines use,
/// so textual pass lists resolve. Idempotent.
void registerCompilerPasses();

/// The step module of `source` after the pipeline given by --pipeline (or
/// `defaultSpec`: "none", "dsv2-optimize", or a pass list). The returned
/// module is verified.
llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildPipelinedModule(mlir::MLIRContext &context, const ModelSource &source,
                     const CommandLine &cl, llvm::StringRef defaultSpec,
                     bool gpuKernels = false);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_GRAPHPIPELINE_H
