//===- Executor.cpp - Batched steps, and the sequential fallback ----------===//

#include "runtime/engine/Executor.h"
#include "runtime/engine/StepInput.h"

namespace dsv2::runtime {

std::vector<RowSlice> rowSlices(absl::Span<const SequenceTokens> steps,
                                absl::Span<const int64_t> cached) {
  std::vector<RowSlice> slices;
  int64_t rows = 0;
  for (const SequenceTokens &step : steps) {
    const int64_t count = static_cast<int64_t>(step.tokens.size());
    slices.push_back({step.sequence, count, cached[step.sequence], rows});
    rows += count;
  }
  return slices;
}

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

absl::StatusOr<StepExecutor::Batch> StepExecutor::runBatchTogether(
    absl::Span<const SequenceTokens> steps, bool lastRowOnly,
    const std::function<bool(const StepProgram &)> &batchable,
    const std::function<absl::StatusOr<Batch>(
        const StepProgram &, absl::Span<const SequenceTokens>)> &together) {
  const LaunchPlan &plan = getPlan();
  bool allDecode = true;
  for (const SequenceTokens &step : steps)
    allDecode = allDecode && step.tokens.size() == 1;
  const bool batchedDecode = allDecode && !plan.decodeBatch.launches.empty();
  const StepProgram &program =
      batchedDecode ? plan.decodeBatch
      : lastRowOnly && !plan.prefillLastRow.launches.empty()
          ? plan.prefillLastRow
          : plan.prefill;
  std::vector<SequenceTokens> joined;
  std::vector<size_t> alone, joinedIndex;
  for (size_t i = 0; i < steps.size(); ++i) {
    bool decodesAlone = !batchedDecode && steps[i].tokens.size() == 1 &&
                        !plan.decode.launches.empty();
    if (decodesAlone) {
      alone.push_back(i);
    } else {
      joined.push_back(steps[i]);
      joinedIndex.push_back(i);
    }
  }
  if (joined.size() < 2 || !batchable(program))
    return StepExecutor::runBatch(steps, lastRowOnly);

  Batch logits(steps.size());
  for (size_t i : alone) {
    auto rows = runStep(steps[i].sequence, steps[i].tokens, lastRowOnly);
    if (!rows.ok())
      return rows.status();
    logits[i] = std::move(*rows);
  }
  auto rows = together(program, joined);
  if (!rows.ok())
    return rows.status();
  for (size_t t = 0; t < joined.size(); ++t)
    logits[joinedIndex[t]] = std::move((*rows)[t]);
  return logits;
}

} // namespace dsv2::runtime
