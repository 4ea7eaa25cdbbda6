//===- ShardedReference.cpp - The interpreter over the ranks of a parallel step ===//

#include "tools/dsv2c/ShardedReference.h"

#include "tools/dsv2c/CommandLine.h"
#include "tools/dsv2c/RankModules.h"

#include "models/deepseek_v2/GraphBuilder.h"

#include "llvm/Support/FormatVariadic.h"

#include <mutex>
#include <thread>

namespace dsv2::tools {

namespace {

/// Serializes reads: the ranks load their weights concurrently on the
/// first step, and checkpoint readers and generators are not thread-safe.
class LockedWeights : public mlir::dsv2::WeightProvider {
public:
  explicit LockedWeights(mlir::dsv2::WeightProvider &inner) : inner(inner) {}
  llvm::Error read(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                   float *destination) override {
    std::lock_guard<std::mutex> lock(mutex);
    return inner.read(name, shape, destination);
  }

private:
  mlir::dsv2::WeightProvider &inner;
  std::mutex mutex;
};

} // namespace

ShardedReference::ShardedReference(int64_t tp, int64_t ep) : exchange(tp, ep) {}

ShardedReference::~ShardedReference() = default;

llvm::Expected<std::unique_ptr<ShardedReference>>
ShardedReference::create(mlir::ModuleOp module, int64_t tp, int64_t ep,
                         mlir::dsv2::WeightProvider &weights,
                         int64_t maxPositions) {
  auto modules = shardIntoRanks(module, tp, ep);
  if (!modules)
    return modules.takeError();
  std::unique_ptr<ShardedReference> sharded(new ShardedReference(tp, ep));
  sharded->modules = std::move(*modules);
  sharded->sharedWeights = std::make_unique<LockedWeights>(weights);
  for (auto [rank, rankModule] : llvm::enumerate(sharded->modules)) {
    auto step = rankModule->lookupSymbol<mlir::func::FuncOp>(
        dsv2::model::kStepFunctionName);
    if (!step)
      return makeError("dsv2-shard removed func.func @step");
    auto interpreter = std::make_unique<mlir::dsv2::ReferenceInterpreter>(
        step, *sharded->sharedWeights);
    interpreter->setMaxPositions(maxPositions);
    interpreter->setCollectives(&sharded->exchange.forRank(rank));
    sharded->ranks.push_back(std::move(interpreter));
  }
  sharded->caches.resize(sharded->ranks.size());
  return sharded;
}

llvm::Expected<std::vector<float>>
ShardedReference::step(llvm::ArrayRef<int32_t> tokens) {
  size_t world = ranks.size();
  std::vector<std::vector<float>> logits(world);
  std::vector<std::string> errors(world);
  std::vector<std::thread> threads;
  for (size_t rank = 0; rank < world; ++rank)
    threads.emplace_back([&, rank] {
      auto result = ranks[rank]->runStep(tokens, caches[rank]);
      if (!result) {
        errors[rank] = llvm::toString(result.takeError());
        exchange.abort("rank " + std::to_string(rank) + " failed");
        return;
      }
      logits[rank] = std::move(result->values);
    });
  for (std::thread &thread : threads)
    thread.join();
  // The failing rank's own message, not the others' "abandoned".
  for (size_t rank = 0; rank < world; ++rank)
    if (!errors[rank].empty() &&
        errors[rank].find("abandoned") == std::string::npos)
      return makeError(llvm::formatv("rank {0}: {1}", rank, errors[rank]).str());
  for (size_t rank = 0; rank < world; ++rank)
    if (!errors[rank].empty())
      return makeError(errors[rank]);
  for (size_t rank = 1; rank < world; ++rank)
    if (logits[rank] != logits[0])
      return makeError(llvm::formatv("rank {0} ended the step with other "
                                     "logits than rank 0",
                                     rank)
                           .str());
  return std::move(logits[0]);
}

} // namespace dsv2::tools
