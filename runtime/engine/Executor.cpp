//===- Executor.cpp - Batched steps, and the sequential fallback ----------===//

#include "runtime/engine/Executor.h"
#include "runtime/engine/StepInput.h"

namespace dsv2::runtime {

absl::StatusOr<std::vector<std::vector<float>>>
StepExecutor::stepBatch(absl::Span<const SequenceTokens> steps,
                        bool lastRowOnly) {
  std::vector<int64_t> cached(static_cast<size_t>(sequences()));
  for (int s = 0; s < sequences(); ++s)
    cached[s] = past(s);
  if (absl::Status status = checkBatchInput(getPlan(), cached, steps);
      !status.ok())
    return status;
  return runBatch(steps, lastRowOnly);
}

absl::StatusOr<std::vector<std::vector<float>>>
StepExecutor::runBatch(absl::Span<const SequenceTokens> steps,
                       bool lastRowOnly) {
  std::vector<std::vector<float>> logits;
  for (const SequenceTokens &step : steps) {
    auto rows = runStep(step.sequence, step.tokens, lastRowOnly);
    if (!rows.ok())
      return rows.status();
    logits.push_back(std::move(*rows));
  }
  return logits;
}

} // namespace dsv2::runtime
