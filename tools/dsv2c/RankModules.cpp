//===- RankModules.cpp - One step module per rank of a parallel engine ----===//

#include "tools/dsv2c/RankModules.h"

#include "tools/dsv2c/CommandLine.h"

#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/FormatVariadic.h"

namespace dsv2::tools {

llvm::Expected<std::vector<mlir::OwningOpRef<mlir::ModuleOp>>>
shardIntoRanks(mlir::ModuleOp module, int64_t tp, int64_t ep) {
  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> ranks;
  for (int64_t rank = 0; rank < tp * ep; ++rank) {
    mlir::OwningOpRef<mlir::ModuleOp> copy(module.clone());
    std::string diagnostics;
    mlir::ScopedDiagnosticHandler collect(
        module.getContext(), [&](mlir::Diagnostic &diagnostic) {
          diagnostics += (diagnostics.empty() ? "" : "; ") + diagnostic.str();
          return mlir::success();
        });
    mlir::PassManager pm(module.getContext());
    mlir::dsv2::Dsv2ShardPassOptions options;
    options.tp = tp;
    options.ep = ep;
    options.rank = rank;
    pm.addPass(mlir::dsv2::createDsv2ShardPass(options));
    if (mlir::failed(pm.run(*copy)))
      return makeError(llvm::formatv("sharding for rank {0} of tp {1} x ep "
                                     "{2}: {3}",
                                     rank, tp, ep, diagnostics)
                           .str());
    ranks.push_back(std::move(copy));
  }
  return ranks;
}

} // namespace dsv2::tools
