//===- GraphPipeline.cpp - Build the step module and run passes -----------===//

#include "tools/dsv2c/GraphPipeline.h"

#include "dialect/dsv2/Dsv2Dialect.h"
#include "models/deepseek_v2/GraphBuilder.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"

namespace dsv2::tools {

std::vector<OptionSpec> pipelineOptions(llvm::StringRef defaultSpec) {
  return {
      {"pipeline", "NAME|PASSES",
       "passes to run: none, dsv2-optimize, or a pass list such as "
       "'dsv2-kv-latent-compression,dsv2-mla-weight-absorption{policy=auto}' "
       "(default " +
           defaultSpec.str() + ")"},
      {"pass-plugin", "LIB[,LIB]",
       "load pass plugins (shared libraries) whose passes --pipeline can name"},
  };
}

OptionSpec kvCacheDtypeOption() {
  return {"kv-cache-dtype", "auto|f32|bf16",
          "what the KV cache stores: auto (default) follows the "
          "activations, bf16 for GPU targets with bf16 weights and f32 "
          "otherwise; bf16 halves the cache's bytes"};
}

void registerCompilerPasses() {
  static bool registered = [] {
    mlir::registerTransformsPasses();
    mlir::dsv2::registerDsv2Passes();
    mlir::dsv2::registerDsv2Pipelines();
    return true;
  }();
  (void)registered;
}

/// The parser follows its message with the pipeline text and a caret line;
/// the message alone keeps the error on one line.
static std::string firstLine(llvm::StringRef text) {
  return text.trim().split('\n').first.trim().str();
}

static llvm::Error loadPlugins(const CommandLine &cl) {
  std::optional<std::string> list = cl.get("pass-plugin");
  if (!list)
    return llvm::Error::success();
  llvm::SmallVector<llvm::StringRef> paths;
  llvm::StringRef(*list).split(paths, ',', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef path : paths) {
    auto plugin = mlir::PassPlugin::load(path.str());
    if (!plugin)
      return cl.valueError("pass-plugin", "cannot load '" + path.str() +
                                              "': " +
                                              llvm::toString(plugin.takeError()));
    plugin->registerPassRegistryCallbacks();
  }
  return llvm::Error::success();
}

llvm::Expected<mlir::OwningOpRef<mlir::ModuleOp>>
buildPipelinedModule(mlir::MLIRContext &context, const ModelSource &source,
                     const CommandLine &cl, llvm::StringRef defaultSpec,
                     bool gpuKernels) {
  registerCompilerPasses();
  if (llvm::Error error = loadPlugins(cl))
    return std::move(error);
  std::string cacheDtype = cl.get("kv-cache-dtype").value_or("auto");
  if (cacheDtype != "auto" && cacheDtype != "f32" && cacheDtype != "bf16")
    return cl.valueError("kv-cache-dtype",
                         "'" + cacheDtype + "' is not one of auto, f32, bf16");
  mlir::Builder builder(&context);
  // auto: the activations' precision. GPU kernels over bf16 weights
  // multiply bf16 operands, so an f32 cache would double the bytes decode
  // attention streams for precision the step does not keep; CPU engines
  // and the reference compute in f32 (exact against fp32 math on the
  // weights), which a bf16 cache would round (1.6e-3 x max|golden|).
  const bool bf16Cache =
      cacheDtype == "bf16" ||
      (cacheDtype == "auto" && gpuKernels &&
       source.weightType(context).isBF16());
  mlir::Type cacheType = bf16Cache ? mlir::Type(builder.getBF16Type())
                                   : mlir::Type(builder.getF32Type());
  auto module = dsv2::model::buildStepModule(
      context, source.config, {source.weightType(context), cacheType});
  if (mlir::failed(mlir::verify(*module)))
    return makeError("internal error: the built graph does not verify");

  std::string spec = cl.get("pipeline").value_or(defaultSpec.str());
  mlir::PassManager pm(&context, mlir::ModuleOp::getOperationName(),
                       mlir::OpPassManager::Nesting::Implicit);
  std::string parseErrors;
  llvm::raw_string_ostream errorStream(parseErrors);
  if (mlir::failed(mlir::dsv2::buildPipelineFromSpec(spec, pm, errorStream)))
    return cl.valueError("pipeline", "'" + spec + "': " +
                                         firstLine(parseErrors));

  // Pass diagnostics are the user's error messages: collect them.
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler(&context, [&](mlir::Diagnostic &diag) {
    if (diag.getSeverity() == mlir::DiagnosticSeverity::Error) {
      if (!diagnostics.empty())
        diagnostics += "; ";
      diagnostics += diag.str();
    }
    return mlir::success();
  });
  if (mlir::failed(pm.run(*module)))
    return makeError("pipeline '" + spec + "' failed" +
                     (diagnostics.empty() ? "" : ": " + diagnostics));
  return std::move(module);
}

} // namespace dsv2::tools
