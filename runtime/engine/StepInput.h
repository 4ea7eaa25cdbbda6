//===- StepInput.h - What every executor checks and chooses per step -*- C++ -*-===//
//
// The CPU and CUDA executors take the same step input and must refuse it
// in the same words and pick the same program, so both come from here.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_STEPINPUT_H
#define RUNTIME_ENGINE_STEPINPUT_H

#include "runtime/engine/Executor.h"
#include "runtime/engine/LaunchPlan.h"

#include "absl/status/status.h"
#include "absl/types/span.h"

#include <cstdint>

namespace dsv2::runtime {

/// A step of `tokens` for sequence `sequence` of a batch whose sequences
/// hold `cached` tokens each: a sequence of the batch, at least one token,
/// every id in the vocabulary, the context within the plan's positions.
absl::Status checkStepInput(const LaunchPlan &plan,
                            absl::Span<const int64_t> cached, int sequence,
                            absl::Span<const int32_t> tokens);

/// A batched step (StepExecutor::stepBatch): at least one sequence, each
/// at most once and valid for checkStepInput (errors name it), and at most
/// the plan's maximum context of tokens in all.
absl::Status checkBatchInput(const LaunchPlan &plan,
                             absl::Span<const int64_t> cached,
                             absl::Span<const SequenceTokens> steps);

/// Whether the step sizes buffer `index` (scratch, tokens, logits) when it
/// runs `program`: not weights or caches, and not the [T, vocab] logits
/// under prefillLastRow (which never writes them).
bool sizedPerStep(const LaunchPlan &plan, const StepProgram &program,
                  size_t index);

/// The bytes buffer `index` needs for a step of `program` over `slices`
/// (the most any of them needs), or -1 when the step does not size it.
int64_t stepBufferBytes(const LaunchPlan &plan, const StepProgram &program,
                        size_t index, absl::Span<const RowSlice> slices);

/// The program that runs a step of `tokens` tokens: decode for one token,
/// else prefillLastRow when only the last row's logits are wanted and the
/// plan has it, else prefill.
const StepProgram &programForStep(const LaunchPlan &plan, int64_t tokens,
                                  bool lastRowOnly);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_STEPINPUT_H
