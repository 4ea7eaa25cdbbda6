//===- StepInput.cpp - What every executor checks and chooses per step ----===//

#include "runtime/engine/StepInput.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <vector>

namespace dsv2::runtime {

absl::Status checkStepInput(const LaunchPlan &plan,
                            absl::Span<const int64_t> cached, int sequence,
                            absl::Span<const int32_t> tokens) {
  const int64_t sequences = static_cast<int64_t>(cached.size());
  if (sequence < 0 || sequence >= sequences)
    return absl::InvalidArgumentError(
        absl::StrCat("sequence ", sequence, " of a batch of ", sequences));
  const int64_t past = cached[sequence];
  int64_t count = static_cast<int64_t>(tokens.size());
  if (count == 0)
    return absl::InvalidArgumentError("a step needs at least one token");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= plan.vocabSize)
      return absl::InvalidArgumentError(absl::StrCat(
          "token id ", tokens[i], " at position ", past + i,
          " is outside the vocabulary [0, ", plan.vocabSize, ")"));
  if (past + count > plan.maxContext)
    return absl::OutOfRangeError(absl::StrCat(
        "context of ", past + count, " tokens exceeds the engine's maximum of ",
        plan.maxContext));
  return absl::OkStatus();
}

absl::Status checkBatchInput(const LaunchPlan &plan,
                             absl::Span<const int64_t> cached,
                             absl::Span<const SequenceTokens> steps) {
  if (steps.empty())
    return absl::InvalidArgumentError("a batched step needs a sequence");
  std::vector<bool> seen(cached.size(), false);
  int64_t total = 0;
  for (const SequenceTokens &step : steps) {
    if (absl::Status status =
            checkStepInput(plan, cached, step.sequence, step.tokens);
        !status.ok())
      return absl::Status(status.code(), absl::StrCat("sequence ", step.sequence,
                                                      ": ", status.message()));
    if (seen[step.sequence])
      return absl::InvalidArgumentError(absl::StrCat(
          "sequence ", step.sequence, " appears twice in a batched step"));
    seen[step.sequence] = true;
    total += static_cast<int64_t>(step.tokens.size());
  }
  if (total > plan.maxContext)
    return absl::OutOfRangeError(absl::StrCat(
        "a batched step of ", total, " tokens exceeds the engine's maximum "
        "context of ", plan.maxContext, " (tokens of all its sequences)"));
  return absl::OkStatus();
}

int64_t stepBufferBytes(const LaunchPlan &plan, const StepProgram &program,
                        size_t index, absl::Span<const RowSlice> slices) {
  if (!sizedPerStep(plan, program, index))
    return -1;
  const BufferSpec &spec = plan.buffers[index];
  int64_t elements = 0;
  for (const RowSlice &slice : slices)
    elements = std::max(elements, spec.elements.evaluate(slice.tokens, slice.past));
  return elements * elementBytes(spec.type);
}

bool sizedPerStep(const LaunchPlan &plan, const StepProgram &program,
                  size_t index) {
  const BufferSpec &spec = plan.buffers[index];
  if (spec.role == BufferRole::Weight || spec.role == BufferRole::Cache)
    return false;
  return !(&program == &plan.prefillLastRow &&
           static_cast<int32_t>(index) == plan.logitsBuffer);
}

const StepProgram &programForStep(const LaunchPlan &plan, int64_t tokens,
                                  bool lastRowOnly) {
  if (tokens == 1 && !plan.decode.launches.empty())
    return plan.decode;
  if (lastRowOnly && !plan.prefillLastRow.launches.empty())
    return plan.prefillLastRow;
  return plan.prefill;
}

} // namespace dsv2::runtime
