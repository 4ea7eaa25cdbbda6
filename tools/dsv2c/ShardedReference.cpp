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

/// The interpreter's collectives of one rank, on a runtime backend.
class RankExchange : public mlir::dsv2::ReferenceCollectives {
public:
  explicit RankExchange(std::unique_ptr<dsv2::runtime::Collectives> rank)
      : rank(std::move(rank)) {}

  llvm::Error allReduceSum(std::vector<float> &values,
                           mlir::dsv2::CollectiveGroup group) override {
    return toError(dsv2::runtime::allReduceSum(
        *rank, values.data(), values.data(),
        static_cast<int64_t>(values.size()), runtimeGroup(group)));
  }

  llvm::Error allGatherColumns(const std::vector<float> &local, int64_t rows,
                               int64_t columns,
                               mlir::dsv2::CollectiveGroup group,
                               std::vector<float> &gathered) override {
    return toError(dsv2::runtime::allGatherColumns(
        *rank, local.data(), gathered.data(), rows, columns,
        runtimeGroup(group)));
  }

  dsv2::runtime::Collectives &collectives() { return *rank; }

private:
  static dsv2::runtime::CollectiveGroup
  runtimeGroup(mlir::dsv2::CollectiveGroup group) {
    return group == mlir::dsv2::CollectiveGroup::world
               ? dsv2::runtime::CollectiveGroup::World
               : dsv2::runtime::CollectiveGroup::Tensor;
  }
  static llvm::Error toError(const absl::Status &status) {
    return status.ok() ? llvm::Error::success()
                       : makeError(std::string(status.message()));
  }

  std::unique_ptr<dsv2::runtime::Collectives> rank;
};

} // namespace

ShardedReference::ShardedReference(int64_t tp, int64_t ep)
    : world(static_cast<int>(tp * ep),
            dsv2::runtime::collectiveTimeoutFromEnvironment()) {}

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
    auto exchange = std::make_unique<RankExchange>(
        sharded->world.rank(static_cast<int>(rank)));
    if (absl::Status status =
            exchange->collectives().formTensorGroups(static_cast<int>(tp));
        !status.ok())
      return makeError(std::string(status.message()));
    interpreter->setCollectives(exchange.get());
    sharded->exchanges.push_back(std::move(exchange));
    sharded->ranks.push_back(std::move(interpreter));
  }
  sharded->caches.resize(sharded->ranks.size());
  return sharded;
}

llvm::Expected<std::vector<float>>
ShardedReference::step(llvm::ArrayRef<int32_t> tokens) {
  size_t worldSize = ranks.size();
  std::vector<std::vector<float>> logits(worldSize);
  std::vector<std::string> errors(worldSize);
  std::vector<std::thread> threads;
  for (size_t rank = 0; rank < worldSize; ++rank)
    threads.emplace_back([&, rank] {
      auto result = ranks[rank]->runStep(tokens, caches[rank]);
      // A failing rank leaves the others waiting at their next collective
      // until its deadline; ranks fail alike on bad input (token ids and
      // contexts are checked before any collective).
      if (!result) {
        errors[rank] = llvm::toString(result.takeError());
        return;
      }
      logits[rank] = std::move(result->values);
    });
  for (std::thread &thread : threads)
    thread.join();
  for (size_t rank = 0; rank < worldSize; ++rank)
    if (!errors[rank].empty())
      return makeError(llvm::formatv("rank {0}: {1}", rank, errors[rank]).str());
  for (size_t rank = 1; rank < worldSize; ++rank)
    if (logits[rank] != logits[0])
      return makeError(llvm::formatv("rank {0} ended the step with other "
                                     "logits than rank 0",
                                     rank)
                           .str());
  return std::move(logits[0]);
}

} // namespace dsv2::tools
