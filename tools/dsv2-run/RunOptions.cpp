//===- RunOptions.cpp - dsv2-run's command line ---------------------------===//

#include "tools/dsv2-run/RunOptions.h"

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/strings/ascii.h"

#include <cstdio>
#include <fstream>

namespace dsv2::run {
namespace {

constexpr char kUsagePrefix[] = "usage: ";

absl::Status usage(const std::string &message) {
  return absl::InvalidArgumentError(
      absl::StrCat(kUsagePrefix, message, " (see dsv2-run --help)"));
}

struct Flag {
  const char *name;
  const char *value; // null: a boolean flag
  const char *help;
};

const Flag kFlags[] = {
    {"tokens", "ID,ID,...", "the prompt's token ids"},
    {"tokens-file", "FILE",
     "a batch: one comma-separated prompt per line (blank lines and lines "
     "starting with # are skipped), run together"},
    {"prompt", "TEXT",
     "a text prompt, encoded with the engine's tokenizer (bos first); the "
     "generated text is streamed"},
    {"chat", nullptr,
     "with --prompt: wrap it as a DeepSeek-V2-Chat user turn "
     "(User: TEXT\\n\\nAssistant:)"},
    {"system", "TEXT", "with --chat: a system message before the user turn"},
    {"max-new-tokens", "N", "tokens to generate per sequence (default 16)"},
    {"decode-split", "K",
     "prefill the first K prompt tokens, then feed the others one per step "
     "(K is clipped to each prompt's length)"},
    {"batch-prefill-tokens", "N",
     "prefill the prompts of a batch together, in steps of up to N tokens "
     "(default: the engine's maximum context; 0: one prompt per step)"},
    {"sequential-decode", nullptr,
     "decode each sequence of a batch in its own step (default: one batched "
     "step per decode round)"},
    {"temperature", "T", "sampling temperature; 0 = greedy (default)"},
    {"top-k", "K", "sample among the K most likely tokens (default: all)"},
    {"top-p", "P", "sample within the smallest set of probability >= P "
                   "(default 1)"},
    {"seed", "S", "sampling seed (default 0); each sequence of a batch "
                  "samples as it would alone"},
    {"ignore-eos", nullptr, "keep generating after the end-of-sequence token"},
    {"dump-logits", "FILE",
     "write the prompt's logits as float32 [T, vocab] .npy (as dsv2c eval "
     "does); with a batch, sequence i goes to FILE with .i before .npy"},
    {"threads", "N",
     "worker threads (default: one per hardware thread; under mpirun, the "
     "host's hardware threads divided among its ranks)"},
    {"collective-timeout", "SECONDS",
     "multi-rank engines: how long a collective waits for the other ranks "
     "before the run fails (default: $DSV2_COLLECTIVE_TIMEOUT, else 60)"},
    {"quiet", nullptr,
     "print exactly one line per sequence: its generated ids, comma-separated"},
    {"no-verify-weights", nullptr,
     "skip checking each weight's checksum while loading"},
    {"huge-pages", nullptr,
     "CPU engines: read the weight file into 2 MiB huge pages instead of "
     "mapping it (decode streams the weights faster; loading copies them, "
     "seconds per GiB in some VMs)"},
    {"info", nullptr, "print what the engine holds and exit"},
    {"help", nullptr, "print this help"},
};

const Flag *findFlag(const std::string &name) {
  for (const Flag &flag : kFlags)
    if (name == flag.name)
      return &flag;
  return nullptr;
}

absl::StatusOr<int64_t> integer(const std::string &flag, const std::string &text,
                                int64_t min) {
  int64_t value;
  if (!absl::SimpleAtoi(text, &value) || value < min)
    return usage(absl::StrCat("--", flag, " '", text, "' is not an integer >= ", min));
  return value;
}

absl::StatusOr<double> real(const std::string &flag, const std::string &text,
                            double min, double max) {
  double value;
  if (!absl::SimpleAtod(text, &value) || !(value >= min && value <= max))
    return usage(absl::StrCat("--", flag, " '", text, "' is not a number in [",
                              min, ", ", max, "]"));
  return value;
}

absl::StatusOr<std::vector<std::vector<int32_t>>>
readTokensFile(const std::string &path) {
  std::ifstream in(path);
  if (!in)
    return absl::NotFoundError(absl::StrCat("cannot read --tokens-file ", path));
  std::vector<std::vector<int32_t>> prompts;
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty() || text[0] == '#')
      continue;
    auto tokens = parseTokenList(std::string(text), absl::StrCat(path, ":", number));
    if (!tokens.ok())
      return tokens.status();
    prompts.push_back(std::move(*tokens));
  }
  if (prompts.empty())
    return absl::InvalidArgumentError(
        absl::StrCat("--tokens-file ", path, " has no prompts"));
  return prompts;
}

} // namespace

bool isUsageError(const absl::Status &status) {
  return absl::StartsWith(status.message(), kUsagePrefix);
}

absl::StatusOr<std::vector<int32_t>> parseTokenList(const std::string &text,
                                                    const std::string &where) {
  std::vector<int32_t> tokens;
  for (absl::string_view part : absl::StrSplit(text, ',')) {
    part = absl::StripAsciiWhitespace(part);
    int64_t id;
    if (!absl::SimpleAtoi(part, &id) || id < 0 || id > INT32_MAX) {
      // A whole space-separated prompt would be one "id" of kilobytes:
      // quote its start and say what separates ids.
      constexpr size_t kShown = 24;
      const bool spaced = part.find_first_of(" \t") != absl::string_view::npos;
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": '", part.substr(0, kShown),
          part.size() > kShown ? "..." : "",
          "' is not a token id (a non-negative integer",
          spaced ? "; ids are separated by commas" : "", ")"));
    }
    tokens.push_back(static_cast<int32_t>(id));
  }
  return tokens;
}

void printHelp() {
  std::printf(
      "usage: dsv2-run ENGINE (--tokens ID,... | --tokens-file FILE | --prompt "
      "TEXT [--chat]) [options]\n"
      "\nRuns an engine compiled by `dsv2c compile`: prefills each prompt, then\n"
      "generates up to --max-new-tokens ids per sequence (greedy unless\n"
      "--temperature > 0), streaming them to stdout, and prints a summary\n"
      "(prefill and decode tokens/s, peak memory) on stderr.\n"
      "\nA multi-rank engine (dsv2c compile --tp N --ep M) runs as N x M\n"
      "processes: mpirun -np N*M dsv2-run ENGINE ... Rank 0 prints the output;\n"
      "every rank prints its own errors, prefixed with its rank.\n"
      "\nGPU engines (sm_80, sm_90a) load their cubin where the device takes\n"
      "it (else, or with DSV2_CUDA_CUBIN=0, the driver JIT-compiles their\n"
      "PTX) and run decode steps as CUDA graphs;\n"
      "DSV2_CUDA_GRAPHS=0 launches every kernel on the stream instead,\n"
      "DSV2_CUDA_SYNC_LAUNCHES=1 waits for each launch (a fault names its\n"
      "kernel), DSV2_PROFILE_LAUNCHES=1 times each kernel (CUDA events;\n"
      "=kernels: a row per kernel instance, docs/gpu.md).\n"
      "\nCPU engines' worker threads poll for the next kernel for\n"
      "DSV2_THREAD_SPIN_US microseconds (default 100) before they sleep;\n"
      "0 sleeps at once (a host shared with other busy processes).\n"
      "\nOptions:\n");
  for (const Flag &flag : kFlags) {
    std::string name = absl::StrCat("--", flag.name,
                                    flag.value ? absl::StrCat(" ", flag.value) : "");
    std::printf("  %-28s %s\n", name.c_str(), flag.help);
  }
}

absl::StatusOr<RunOptions> parseRunOptions(int argc, char **argv) {
  RunOptions options;
  std::optional<std::string> tokens, tokensFile;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (!absl::StartsWith(arg, "--")) {
      if (!options.engine.empty())
        return usage(absl::StrCat("unexpected argument '", arg,
                                  "' (the engine is ", options.engine, ")"));
      options.engine = arg;
      continue;
    }
    std::string name = arg.substr(2), value;
    bool inlineValue = false;
    if (size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inlineValue = true;
    }
    const Flag *flag = findFlag(name);
    if (!flag)
      return usage(absl::StrCat("unknown option --", name));
    if (flag->value && !inlineValue) {
      if (i + 1 >= argc)
        return usage(absl::StrCat("--", name, " needs a value (", flag->value, ")"));
      value = argv[++i];
    } else if (!flag->value && inlineValue) {
      return usage(absl::StrCat("--", name, " takes no value"));
    }
    if (name == "help") {
      options.help = true;
    } else if (name == "tokens") {
      tokens = value;
    } else if (name == "tokens-file") {
      tokensFile = value;
    } else if (name == "prompt") {
      options.promptText = value;
    } else if (name == "chat") {
      options.chat = true;
    } else if (name == "system") {
      options.system = value;
    } else if (name == "max-new-tokens") {
      auto n = integer(name, value, 0);
      if (!n.ok())
        return n.status();
      options.maxNewTokens = *n;
    } else if (name == "decode-split") {
      auto k = integer(name, value, 1);
      if (!k.ok())
        return k.status();
      options.decodeSplit = *k;
    } else if (name == "batch-prefill-tokens") {
      auto n = integer(name, value, 0);
      if (!n.ok())
        return n.status();
      options.batchPrefillTokens = *n;
    } else if (name == "temperature") {
      auto t = real(name, value, 0, 100);
      if (!t.ok())
        return t.status();
      options.sampling.temperature = *t;
    } else if (name == "top-k") {
      auto k = integer(name, value, 0);
      if (!k.ok())
        return k.status();
      options.sampling.topK = *k;
    } else if (name == "top-p") {
      auto p = real(name, value, 0, 1);
      if (!p.ok())
        return p.status();
      if (*p == 0)
        return usage("--top-p must be > 0");
      options.sampling.topP = *p;
    } else if (name == "seed") {
      auto s = integer(name, value, 0);
      if (!s.ok())
        return s.status();
      options.sampling.seed = static_cast<uint64_t>(*s);
    } else if (name == "ignore-eos") {
      options.ignoreEos = true;
    } else if (name == "sequential-decode") {
      options.batchDecode = false;
    } else if (name == "dump-logits") {
      options.dumpLogits = value;
    } else if (name == "threads") {
      auto n = integer(name, value, 0);
      if (!n.ok())
        return n.status();
      options.threads = static_cast<int>(*n);
    } else if (name == "collective-timeout") {
      auto seconds = real(name, value, 0, 1e6);
      if (!seconds.ok())
        return seconds.status();
      if (*seconds == 0)
        return usage("--collective-timeout must be > 0");
      options.collectiveTimeout = *seconds;
    } else if (name == "quiet") {
      options.quiet = true;
    } else if (name == "no-verify-weights") {
      options.verifyWeights = false;
    } else if (name == "huge-pages") {
      options.hugePageWeights = true;
    } else if (name == "info") {
      options.info = true;
    }
  }
  if (options.help)
    return options;
  if (options.engine.empty())
    return usage("the ENGINE file is required");
  if (options.info)
    return options;
  if (tokens.has_value() + tokensFile.has_value() +
          options.promptText.has_value() != 1)
    return usage("give exactly one of --tokens ID,..., --tokens-file FILE or "
                 "--prompt TEXT");
  if (options.chat && !options.promptText)
    return usage("--chat needs --prompt TEXT");
  if (options.system && !options.chat)
    return usage("--system needs --chat");
  if (options.promptText)
    return options; // encoded once the engine's tokenizer is loaded
  if (tokens) {
    auto prompt = parseTokenList(*tokens, "--tokens");
    if (!prompt.ok())
      return usage(std::string(prompt.status().message()));
    options.prompts.push_back(std::move(*prompt));
  } else {
    auto prompts = readTokensFile(*tokensFile);
    if (!prompts.ok())
      return prompts.status();
    options.prompts = std::move(*prompts);
  }
  return options;
}

} // namespace dsv2::run
