//===- ShardedReference.h - The interpreter over the ranks of a parallel step -*- C++ -*-===//
//
// `dsv2c eval --tp N --ep M`: the optimized step sharded by dsv2-shard, each
// rank's module run by its own reference interpreter on its own thread, the
// collectives exchanged in process (runtime/collectives InProcessWorld, the
// backend the runtime's own tests use). The logits are
// rank 0's; every rank must end a step with the same logits. It checks the
// sharding pass numerically without MPI or a compiled engine.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_SHARDEDREFERENCE_H
#define TOOLS_DSV2C_SHARDEDREFERENCE_H

#include "dialect/dsv2/interpreter/ReferenceInterpreter.h"
#include "runtime/collectives/InProcessCollectives.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <vector>

namespace dsv2::tools {

class ShardedReference {
public:
  /// Shards `module` for tp x ep ranks; `weights` must outlive this.
  static llvm::Expected<std::unique_ptr<ShardedReference>>
  create(mlir::ModuleOp module, int64_t tp, int64_t ep,
         mlir::dsv2::WeightProvider &weights, int64_t maxPositions);
  ~ShardedReference();

  /// One step on every rank; rank 0's logits [T, vocab].
  llvm::Expected<std::vector<float>> step(llvm::ArrayRef<int32_t> tokens);

private:
  ShardedReference(int64_t tp, int64_t ep);

  std::vector<mlir::OwningOpRef<mlir::ModuleOp>> modules;
  std::unique_ptr<mlir::dsv2::WeightProvider> sharedWeights;
  dsv2::runtime::InProcessWorld world;
  std::vector<std::unique_ptr<mlir::dsv2::ReferenceCollectives>> exchanges;
  std::vector<std::unique_ptr<mlir::dsv2::ReferenceInterpreter>> ranks;
  std::vector<mlir::dsv2::ReferenceKvCache> caches;
};

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_SHARDEDREFERENCE_H
