//===- Pipelines.cpp - Named dsv2 pass pipelines --------------------------===//

#include "passes/Pipelines.h"

#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

namespace mlir::dsv2 {

void buildDsv2OptimizePipeline(OpPassManager &pm) {
  pm.addPass(createCanonicalizerPass());
  // The latent cache first: absorption needs it.
  pm.addPass(createDsv2KvLatentCompressionPass());
  pm.addPass(createDsv2MlaWeightAbsorptionPass());
  pm.addPass(createDsv2MoeRoutingDispatchFusionPass());
  // Cleanup: fold, share the derived weights, drop what is dead.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSymbolDCEPass());
}

void registerDsv2Pipelines() {
  PassPipelineRegistration<>(
      kDefaultPipeline,
      "The default dsv2 pipeline: canonicalize, KV-latent compression, MLA "
      "weight absorption (decode), MoE routing-dispatch fusion, cleanup",
      buildDsv2OptimizePipeline);
}

LogicalResult buildPipelineFromSpec(llvm::StringRef spec, OpPassManager &pm,
                                    llvm::raw_ostream &errors) {
  spec = spec.trim();
  if (spec.empty()) {
    errors << "empty pipeline (use 'none' to run no passes)";
    return failure();
  }
  if (spec == "none")
    return success();
  if (spec == kDefaultPipeline) {
    buildDsv2OptimizePipeline(pm);
    return success();
  }
  return parsePassPipeline(spec, pm, errors);
}

} // namespace mlir::dsv2
