//===- Generation.h - Prefill and decode a batch of sequences ---*- C++ -*-===//
//
// Each sequence of the batch has its own KV cache slot in the executor: all
// prompts are prefilled (together, in batched steps of up to
// --batch-prefill-tokens tokens), then decode rounds advance every unfinished
// sequence by one token until it has --max-new-tokens ids or emits the
// end-of-sequence id. A sequence's numbers do not depend on the others.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2_RUN_GENERATION_H
#define TOOLS_DSV2_RUN_GENERATION_H

#include "tools/dsv2-run/RunOptions.h"

#include "runtime/engine/Executor.h"

#include <functional>
#include <vector>

namespace dsv2::run {

struct SequenceResult {
  /// [prompt length, vocab] logits of the prompt positions with
  /// --dump-logits; otherwise the last position's only.
  std::vector<float> promptLogits;
  std::vector<int32_t> generated;
  bool stoppedAtEos = false;
};

struct GenerationStats {
  int64_t prefillTokens = 0, decodeTokens = 0;
  double prefillSeconds = 0, decodeSeconds = 0;
};

/// Called for each generated id as soon as it is known.
using TokenCallback = std::function<void(int sequence, int32_t id)>;
/// Called after each decode round (for streaming output).
using RoundCallback = std::function<void()>;

/// Multi-rank runs: replaces a sampled id by the one rank 0 sampled, so
/// that every rank feeds the same ids (and never diverges on a tie or a
/// last-bit difference of the logits).
using TokenSharing = std::function<absl::StatusOr<int32_t>(int32_t id)>;

/// Runs the batch; `eosId` < 0 (or options.ignoreEos) never stops early.
absl::StatusOr<std::vector<SequenceResult>>
generate(dsv2::runtime::StepExecutor &executor, const RunOptions &options,
         int64_t eosId, GenerationStats &stats, const TokenCallback &onToken,
         const RoundCallback &onRound, const TokenSharing &shareToken = nullptr);

} // namespace dsv2::run

#endif // TOOLS_DSV2_RUN_GENERATION_H
