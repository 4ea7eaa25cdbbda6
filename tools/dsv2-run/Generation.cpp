//===- Generation.cpp - Prefill and decode a batch of sequences -----------===//

#include "tools/dsv2-run/Generation.h"

#include "tools/dsv2-run/Sampler.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <chrono>
#include <string>

namespace dsv2::run {

namespace {

using dsv2::runtime::SequenceTokens;

double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
      .count();
}

/// Runs `steps` (distinct sequences) as one batched step, or one step per
/// sequence when `batched` is false; errors name the sequence(s).
absl::StatusOr<std::vector<std::vector<float>>>
runSteps(dsv2::runtime::StepExecutor &executor,
         const std::vector<SequenceTokens> &steps, bool lastRowOnly,
         bool batched) {
  auto runTogether =
      [&](absl::Span<const SequenceTokens> together)
      -> absl::StatusOr<std::vector<std::vector<float>>> {
    auto logits = executor.stepBatch(together, lastRowOnly);
    if (logits.ok())
      return logits;
    // Input errors name their sequence already.
    const std::string message(logits.status().message());
    if (message.rfind("sequence ", 0) == 0)
      return logits.status();
    std::string which =
        absl::StrCat("sequence", together.size() == 1 ? " " : "s ");
    for (size_t i = 0; i < together.size(); ++i)
      absl::StrAppend(&which, i ? "," : "", together[i].sequence);
    return absl::Status(logits.status().code(),
                        absl::StrCat(which, ": ", message));
  };
  if (batched)
    return runTogether(steps);
  std::vector<std::vector<float>> logits;
  for (const SequenceTokens &step : steps) {
    auto rows = runTogether(absl::MakeConstSpan(&step, 1));
    if (!rows.ok())
      return rows.status();
    logits.push_back(std::move(rows->front()));
  }
  return logits;
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

  // 1. The prompts (their first --decode-split tokens) in batched steps of
  // up to `budget` tokens: launches that treat rows independently run once
  // over all of them.
  const int64_t maxContext = executor.getPlan().maxContext;
  const int64_t budget = std::min(
      options.batchPrefillTokens.value_or(maxContext), maxContext);
  std::vector<size_t> prefilled(batch);
  for (size_t s = 0; s < batch; ++s)
    prefilled[s] = std::min<size_t>(
        options.prompts[s].size(),
        options.decodeSplit.value_or(options.prompts[s].size()));
  for (size_t s = 0; s < batch; ++s)
    results[s].promptLogits.clear();
  // The prompt's last row is sampled once the whole prompt is in the cache.
  auto finishPrompt = [&](size_t s) -> absl::Status {
    if (done[s])
      return absl::OkStatus();
    return accept(s, absl::MakeConstSpan(results[s].promptLogits).last(vocab));
  };
  auto keep = [&](size_t s, std::vector<float> &&logits) {
    if (!everyRow)
      results[s].promptLogits = std::move(logits); // the last row only
    else
      results[s].promptLogits.insert(results[s].promptLogits.end(),
                                     logits.begin(), logits.end());
  };
  for (size_t first = 0; first < batch;) {
    std::vector<SequenceTokens> steps;
    int64_t tokens = 0;
    for (size_t s = first; s < batch; ++s) {
      int64_t size = static_cast<int64_t>(prefilled[s]);
      if (!steps.empty() && tokens + size > budget)
        break;
      steps.push_back({static_cast<int>(s),
                       absl::MakeConstSpan(options.prompts[s]).first(prefilled[s])});
      tokens += size;
    }
    auto start = std::chrono::steady_clock::now();
    auto logits = runSteps(executor, steps, /*lastRowOnly=*/!everyRow,
                           /*batched=*/budget > 0);
    if (!logits.ok())
      return logits.status();
    stats.prefillSeconds += secondsSince(start);
    stats.prefillTokens += tokens;
    for (size_t i = 0; i < steps.size(); ++i) {
      size_t s = first + i;
      keep(s, std::move((*logits)[i]));
      if (prefilled[s] == options.prompts[s].size())
        if (absl::Status status = finishPrompt(s); !status.ok())
          return status;
    }
    first += steps.size();
  }

  // 2. The rest of the prompts (--decode-split), one token of each per
  // round, as decode steps.
  for (;;) {
    std::vector<SequenceTokens> steps;
    for (size_t s = 0; s < batch; ++s)
      if (prefilled[s] < options.prompts[s].size())
        steps.push_back({static_cast<int>(s),
                         absl::MakeConstSpan(options.prompts[s]).subspan(prefilled[s], 1)});
    if (steps.empty())
      break;
    auto start = std::chrono::steady_clock::now();
    auto logits = runSteps(executor, steps, /*lastRowOnly=*/!everyRow,
                           options.batchDecode);
    if (!logits.ok())
      return logits.status();
    stats.decodeSeconds += secondsSince(start);
    stats.decodeTokens += static_cast<int64_t>(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      size_t s = steps[i].sequence;
      keep(s, std::move((*logits)[i]));
      if (++prefilled[s] == options.prompts[s].size())
        if (absl::Status status = finishPrompt(s); !status.ok())
          return status;
    }
  }
  if (batch > 0 && onRound)
    onRound();

  // 3. Decode rounds: the last id of every unfinished sequence.
  for (;;) {
    std::vector<int32_t> last(batch);
    std::vector<SequenceTokens> steps;
    for (size_t s = 0; s < batch; ++s)
      if (!done[s]) {
        last[s] = results[s].generated.back();
        steps.push_back({static_cast<int>(s), absl::MakeConstSpan(&last[s], 1)});
      }
    if (steps.empty())
      break;
    auto start = std::chrono::steady_clock::now();
    auto logits = runSteps(executor, steps, /*lastRowOnly=*/false,
                           options.batchDecode);
    if (!logits.ok())
      return logits.status();
    stats.decodeSeconds += secondsSince(start);
    stats.decodeTokens += static_cast<int64_t>(steps.size());
    for (size_t i = 0; i < steps.size(); ++i)
      if (absl::Status status = accept(steps[i].sequence, (*logits)[i]);
          !status.ok())
        return status;
    if (onRound)
      onRound();
  }
  return results;
}

} // namespace dsv2::run
