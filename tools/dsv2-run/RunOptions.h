//===- RunOptions.h - dsv2-run's command line -------------------*- C++ -*-===//
//
// dsv2-run links no LLVM, so it parses its own (small) command line: the
// engine path, one prompt or a file of prompts, generation and sampling
// settings, and output choices.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2_RUN_RUNOPTIONS_H
#define TOOLS_DSV2_RUN_RUNOPTIONS_H

#include "absl/status/statusor.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsv2::run {

struct SamplingOptions {
  /// 0: greedy (argmax).
  double temperature = 0;
  /// 0: no top-k cut.
  int64_t topK = 0;
  double topP = 1.0;
  uint64_t seed = 0;
};

struct RunOptions {
  std::string engine;
  /// The prompts of the batch (one from --tokens, or one per line of
  /// --tokens-file).
  std::vector<std::vector<int32_t>> prompts;
  /// --prompt TEXT: encoded with the engine's tokenizer (bos first); the
  /// output is streamed as text.
  std::optional<std::string> promptText;
  /// Wrap promptText in DeepSeek-V2-Chat's format (with an optional system
  /// message).
  bool chat = false;
  std::optional<std::string> system;
  int64_t maxNewTokens = 16;
  /// Prefill only the first K prompt tokens, then feed the rest one per
  /// step (the decode program), as `dsv2c eval --decode-split` does.
  std::optional<int64_t> decodeSplit;
  /// Prompt tokens one prefill step may hold across the sequences of a
  /// batch (unset: the engine's maximum context); 0 prefills one sequence
  /// per step.
  std::optional<int64_t> batchPrefillTokens;
  /// A decode round of several sequences as one batched step (engines whose
  /// executor supports it); false: one step per sequence.
  bool batchDecode = true;
  SamplingOptions sampling;
  bool ignoreEos = false;
  std::optional<std::string> dumpLogits;
  /// 0: one per hardware thread (shared among a host's ranks).
  int threads = 0;
  /// Multi-rank engines: seconds a collective waits for the other ranks
  /// (unset: DSV2_COLLECTIVE_TIMEOUT, else 60).
  std::optional<double> collectiveTimeout;
  bool quiet = false;
  bool verifyWeights = true;
  /// CPU engines: weights read into huge pages (--huge-pages), else mapped.
  bool hugePageWeights = false;
  bool info = false;
  bool help = false;
};

/// Parses argv[1..]. A mistake in how dsv2-run was called (exit code 2, as
/// opposed to 1 for a failure while running) is an InvalidArgument status
/// whose message starts with "usage: ".
absl::StatusOr<RunOptions> parseRunOptions(int argc, char **argv);

/// Whether `status` came from a usage mistake.
bool isUsageError(const absl::Status &status);

/// Parses "ID,ID,..." (spaces allowed around ids); `where` names the source
/// in errors ("--tokens", "prompts.txt:3").
absl::StatusOr<std::vector<int32_t>> parseTokenList(const std::string &text,
                                                    const std::string &where);

void printHelp();

} // namespace dsv2::run

#endif // TOOLS_DSV2_RUN_RUNOPTIONS_H
