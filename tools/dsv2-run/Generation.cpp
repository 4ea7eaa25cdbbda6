//===- Generation.cpp - Prefill and decode a batch of sequences -----------===//

#include "tools/dsv2-run/Generation.h"

#include "tools/dsv2-run/Sampler.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <chrono>

namespace dsv2::run {

namespace {
double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}
} // namespace

absl::StatusOr<std::vector<SequenceResult>>
generate(dsv2::runtime::StepExecutor &executor, const RunOptions &options,
         int64_t eosId, GenerationStats &stats, const TokenCallback &onToken,
         const RoundCallback &onRound, const TokenSharing &shareToken) {
  int64_t vocab = executor.getPlan().vocabSize;
  size_t batch = options.prompts.size();
  std::vector<SequenceResult> results(batch);
  std::vector<Sampler> samplers(batch, Sampler(options.sampling));
  std::vector<bool> done(batch, options.maxNewTokens == 0);
  bool stopAtEos = eosId >= 0 && !options.ignoreEos;
  auto accept = [&](size_t s, absl::Span<const float> lastLogits) -> absl::Status {
    int32_t id = samplers[s].next(lastLogits);
    if (shareToken) {
      auto shared = shareToken(id);
      if (!shared.ok())
        return shared.status();
      id = *shared;
    }
    results[s].generated.push_back(id);
    onToken(static_cast<int>(s), id);
    if (stopAtEos && id == eosId) {
      results[s].stoppedAtEos = true;
      done[s] = true;
    }
    if (static_cast<int64_t>(results[s].generated.size()) >= options.maxNewTokens)
      done[s] = true;
    return absl::OkStatus();
  };

  // Without --dump-logits only the next token's logits are needed: the
  // executor skips the lm_head of the other prompt rows.
  const bool everyRow = options.dumpLogits.has_value();
  executor.reset();
  for (size_t s = 0; s < batch; ++s) {
    const std::vector<int32_t> &prompt = options.prompts[s];
    size_t first = std::min<size_t>(prompt.size(),
                                    options.decodeSplit.value_or(prompt.size()));
    results[s].promptLogits.clear();
    for (size_t begin = 0; begin < prompt.size();) {
      size_t size = begin == 0 ? first : 1;
      auto start = std::chrono::steady_clock::now();
      absl::Span<const int32_t> chunk =
          absl::MakeConstSpan(prompt).subspan(begin, size);
      auto logits = everyRow
                        ? executor.step(static_cast<int>(s), chunk)
                        : executor.stepForNextToken(static_cast<int>(s), chunk);
      if (!logits.ok())
        return absl::Status(logits.status().code(),
                            absl::StrCat("sequence ", s, ": ",
                                         logits.status().message()));
      (begin == 0 ? stats.prefillSeconds : stats.decodeSeconds) +=
          secondsSince(start);
      (begin == 0 ? stats.prefillTokens : stats.decodeTokens) +=
          static_cast<int64_t>(size);
      if (!everyRow)
        results[s].promptLogits.clear(); // keep the last chunk's row only
      results[s].promptLogits.insert(results[s].promptLogits.end(),
                                     logits->begin(), logits->end());
      begin += size;
    }
    if (!done[s])
      if (absl::Status status = accept(
              s, absl::MakeConstSpan(results[s].promptLogits).last(vocab));
          !status.ok())
        return status;
  }
  if (batch > 0 && onRound)
    onRound();

  for (;;) {
    bool any = false;
    for (size_t s = 0; s < batch; ++s) {
      if (done[s])
        continue;
      any = true;
      int32_t last = results[s].generated.back();
      auto start = std::chrono::steady_clock::now();
      auto logits = executor.step(static_cast<int>(s), absl::MakeConstSpan(&last, 1));
      if (!logits.ok())
        return absl::Status(logits.status().code(),
                            absl::StrCat("sequence ", s, ": ",
                                         logits.status().message()));
      stats.decodeSeconds += secondsSince(start);
      ++stats.decodeTokens;
      if (absl::Status status = accept(s, *logits); !status.ok())
        return status;
    }
    if (!any)
      break;
    if (onRound)
      onRound();
  }
  return results;
}

} // namespace dsv2::run
