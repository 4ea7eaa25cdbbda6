//===- Generation.cpp - Prefill and decode a batch of sequences -----------===//

#include "tools/dsv2-run/Generation.h"

#include "tools/dsv2-run/Sampler.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <chrono>
#include <string>

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
  // Whole prompts go in batched steps of up to `budget` tokens (launches that
  // treat rows independently run once over all of them); --decode-split
  // feeds part of each prompt one token per step instead.
  const int64_t maxContext = executor.getPlan().maxContext;
  const int64_t budget =
      options.decodeSplit ? 0
                          : std::min(options.batchPrefillTokens.value_or(maxContext),
                                     maxContext);
  for (size_t first = 0; budget > 0 && first < batch;) {
    std::vector<dsv2::runtime::SequenceTokens> steps;
    int64_t tokens = 0;
    for (size_t s = first; s < batch; ++s) {
      int64_t size = static_cast<int64_t>(options.prompts[s].size());
      if (!steps.empty() && tokens + size > budget)
        break;
      steps.push_back({static_cast<int>(s), options.prompts[s]});
      tokens += size;
    }
    auto start = std::chrono::steady_clock::now();
    auto logits = executor.stepBatch(steps, /*lastRowOnly=*/!everyRow);
    if (!logits.ok()) {
      // Input errors name their sequence already.
      const std::string message(logits.status().message());
      if (message.rfind("sequence ", 0) == 0)
        return logits.status();
      std::string which =
          steps.size() == 1
              ? absl::StrCat("sequence ", first)
              : absl::StrCat("sequences ", first, "..", first + steps.size() - 1);
      return absl::Status(logits.status().code(),
                          absl::StrCat(which, ": ", message));
    }
    stats.prefillSeconds += secondsSince(start);
    stats.prefillTokens += tokens;
    for (size_t i = 0; i < steps.size(); ++i) {
      size_t s = first + i;
      results[s].promptLogits = std::move((*logits)[i]);
      if (!done[s])
        if (absl::Status status = accept(
                s, absl::MakeConstSpan(results[s].promptLogits).last(vocab));
            !status.ok())
          return status;
    }
    first += steps.size();
  }
  for (size_t s = 0; budget == 0 && s < batch; ++s) {
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
