//===- Executor.h - What dsv2-run drives: one step of one sequence -*- C++ -*-===//
//
// The interface the CPU and CUDA executors share, so a tool picks one by the
// engine's target and the rest of it (generation, sampling, output) does not
// care where the kernels run. Plain C++: no device types appear here.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_EXECUTOR_H
#define RUNTIME_ENGINE_EXECUTOR_H

#include "runtime/engine/LaunchPlan.h"
#include "runtime/engine/SequenceSegments.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include <cstdint>
#include <functional>
#include <vector>

namespace dsv2::runtime {

struct StepTimings {
  double seconds = 0;
  int64_t launches = 0;
};

/// The tokens of one sequence in a batched step.
struct SequenceTokens {
  int sequence = 0;
  absl::Span<const int32_t> tokens;
};

/// The rows of a batched step, one sequence after another (each slice's
/// tokens after its cached `past`, from row `firstRow`).
std::vector<RowSlice> rowSlices(absl::Span<const SequenceTokens> steps,
                                absl::Span<const int64_t> cached);

class StepExecutor {
public:
  virtual ~StepExecutor() = default;

  /// Runs `tokens` of sequence `sequence` at positions past()..past()+T-1
  /// and appends them to its cache; returns the logits [T, vocab]. Token ids
  /// outside the vocabulary and contexts past the cache capacity are errors
  /// that leave the cache unchanged.
  absl::StatusOr<std::vector<float>> step(int sequence,
                                          absl::Span<const int32_t> tokens) {
    return runStep(sequence, tokens, /*lastRowOnly=*/false);
  }
  absl::StatusOr<std::vector<float>> step(absl::Span<const int32_t> tokens) {
    return step(0, tokens);
  }

  /// The same step when only the next token matters (generation): returns
  /// the logits of the last position only, [vocab], through the plan's
  /// prefillLastRow program when it has one (the lm_head of every other row
  /// is skipped).
  absl::StatusOr<std::vector<float>>
  stepForNextToken(int sequence, absl::Span<const int32_t> tokens) {
    return runStep(sequence, tokens, /*lastRowOnly=*/true);
  }

  /// One step of several distinct sequences together (prompts of a batch):
  /// what step / stepForNextToken return for each, in order. Executors that
  /// can run the launches which treat rows independently (GEMMs, norms, MoE)
  /// once over every sequence's rows do so (SequenceSegments.h), so weights
  /// stream once per batch; the others run the steps one after another.
  /// Their tokens together may not exceed the engine's maximum context. Bad
  /// input (any sequence) is an error before any cache changes.
  absl::StatusOr<std::vector<std::vector<float>>>
  stepBatch(absl::Span<const SequenceTokens> steps, bool lastRowOnly);

  virtual int sequences() const = 0;
  /// Tokens cached so far for `sequence`.
  virtual int64_t past(int sequence = 0) const = 0;
  /// Forgets the cached tokens of every sequence (the buffers are kept).
  virtual void reset() = 0;

  virtual const LaunchPlan &getPlan() const = 0;
  virtual const StepTimings &lastStepTimings() const = 0;
  /// Bytes of memory the executor allocated (host or device: scratch,
  /// caches, owned or uploaded weights).
  virtual int64_t allocatedBytes() const = 0;

protected:
  /// One step (see step); `lastRowOnly` returns the last row's logits only.
  virtual absl::StatusOr<std::vector<float>>
  runStep(int sequence, absl::Span<const int32_t> tokens,
          bool lastRowOnly) = 0;
  /// stepBatch on checked input; the default runs runStep per sequence.
  virtual absl::StatusOr<std::vector<std::vector<float>>>
  runBatch(absl::Span<const SequenceTokens> steps, bool lastRowOnly);

  using Batch = std::vector<std::vector<float>>;
  /// runBatch of an executor that can run a program over the rows of
  /// several sequences (`together`, when `batchable` says the program can):
  /// one token of each sequence takes the plan's decodeBatch program (if it
  /// has one), else a prefill, where a one-token step runs the decode
  /// program alone (as step() does: its numbers differ from a prefill's in
  /// the last bits) and the others go together.
  absl::StatusOr<Batch> runBatchTogether(
      absl::Span<const SequenceTokens> steps, bool lastRowOnly,
      const std::function<bool(const StepProgram &)> &batchable,
      const std::function<absl::StatusOr<Batch>(
          const StepProgram &, absl::Span<const SequenceTokens>)> &together);
};

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_EXECUTOR_H
