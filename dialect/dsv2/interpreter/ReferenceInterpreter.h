//===- ReferenceInterpreter.h - Executes dsv2 modules exactly ---*- C++ -*-===//
//
// The oracle: runs the step function of a dsv2 module on the CPU in fp32
// (double accumulation), carrying the KV cache between steps, so a prefill
// followed by decode steps gives the logits of one prefill over the whole
// sequence. Every pass and every engine is checked against it.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_INTERPRETER_REFERENCEINTERPRETER_H
#define DIALECT_DSV2_INTERPRETER_REFERENCEINTERPRETER_H

#include "dialect/dsv2/Dsv2Dialect.h"
#include "dialect/dsv2/interpreter/WeightProvider.h"
#include "dialect/dsv2/reference/MlaAttention.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringMap.h"

#include <memory>
#include <vector>

namespace mlir::dsv2 {

/// KV cache contents between steps: one entry per layer, naive (per-head K
/// and V) or latent (c and k_pe), as the module's cache type says.
struct ReferenceKvCache {
  std::vector<::dsv2::reference::NaiveKvCacheLayer> naive;
  std::vector<::dsv2::reference::LatentKvCacheLayer> latent;
  /// Tokens cached so far (= the start position of the next step).
  int64_t length = 0;
};

/// Logits of one step: [tokens, vocab], row-major.
struct StepLogits {
  int64_t tokens = 0;
  int64_t vocab = 0;
  std::vector<float> values;
};

/// How the ranks of a sharded module (dsv2-shard) exchange values when the
/// interpreter runs them; a test runs each rank on its own thread.
class ReferenceCollectives {
public:
  virtual ~ReferenceCollectives() = default;
  /// Sums `values` over the ranks of `group`, in place.
  virtual llvm::Error allReduceSum(std::vector<float> &values,
                                   CollectiveGroup group) = 0;
  /// `local` [rows, columns] of each rank of `group` -> `gathered` [rows,
  /// parts * columns] (already sized), rank g's columns at g * columns.
  virtual llvm::Error allGatherColumns(const std::vector<float> &local,
                                       int64_t rows, int64_t columns,
                                       CollectiveGroup group,
                                       std::vector<float> &gathered) = 0;
};

class ReferenceInterpreter {
public:
  /// `step` must be a verified `func.func @step(tokens, start, cache) ->
  /// (logits, cache)`. Weights are read lazily and kept for later steps.
  ReferenceInterpreter(func::FuncOp step, WeightProvider &weights);
  ~ReferenceInterpreter();

  /// Runs `tokens` at positions cache.length .. cache.length+T-1 and appends
  /// them to `cache`. Errors (bad token ids, missing weights, context past
  /// `maxPositions`) leave the cache unchanged.
  llvm::Expected<StepLogits> runStep(llvm::ArrayRef<int32_t> tokens,
                                     ReferenceKvCache &cache);

  /// Rejects steps that would run past this many positions (0: no limit).
  void setMaxPositions(int64_t maxPositions) { this->maxPositions = maxPositions; }

  /// The exchange for dsv2.all_reduce / dsv2.all_gather (not owned).
  void setCollectives(ReferenceCollectives *collectives) {
    this->collectives = collectives;
  }

  /// The vocabulary size, from the logits type.
  int64_t getVocabSize() const { return vocabSize; }

private:
  struct Impl;
  llvm::Expected<const std::vector<float> *>
  loadWeight(const WeightReference &reference, llvm::ArrayRef<int64_t> shape);

  func::FuncOp step;
  WeightProvider &weights;
  llvm::StringMap<std::unique_ptr<std::vector<float>>> weightCache;
  int64_t vocabSize = 0;
  int64_t maxPositions = 0;
  ReferenceCollectives *collectives = nullptr;
  friend struct Impl;
};

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_INTERPRETER_REFERENCEINTERPRETER_H
