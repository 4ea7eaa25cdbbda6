//===- TokenizeCommand.cpp - dsv2c tokenize / detokenize ------------------===//
//
// Text <-> token ids with a Hugging Face tokenizer.json (DeepSeek-V2/V3
// byte-level BPE, runtime/tokenizer). The JSONL forms are the contract
// (runtime/tokenizer/JsonLines.h): tokenize reads {"text": ...} lines and
// writes one {"ids":[...]} line per case, in order; detokenize reads
// {"ids": [...]} lines and writes {"text":"..."} lines. tokenize --text
// prints the ids comma-separated, the form `dsv2c eval --tokens` takes.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/CommandLine.h"
#include "tools/dsv2c/Commands.h"

#include "runtime/tokenizer/JsonLines.h"
#include "runtime/tokenizer/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include <chrono>

namespace dsv2::tools {
namespace {

using dsv2::tokenizer::Tokenizer;

llvm::Expected<Tokenizer> loadTokenizer(const CommandLine &cl) {
  std::optional<std::string> path = cl.get("tokenizer");
  if (!path || path->empty())
    return makeUsageError(cl.getCommand() +
                          ": --tokenizer FILE (a tokenizer.json) is required");
  absl::StatusOr<Tokenizer> tokenizer = Tokenizer::fromFile(*path);
  if (!tokenizer.ok())
    return makeError(std::string(tokenizer.status().message()));
  return std::move(*tokenizer);
}

/// The lines of --input (a file, or - for stdin), with their numbers; empty
/// lines are not cases.
struct InputLines {
  std::string name;
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  std::vector<std::pair<size_t, llvm::StringRef>> lines;
};

llvm::Expected<InputLines> readInput(const CommandLine &cl) {
  InputLines input;
  input.name = *cl.get("input");
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(input.name, /*IsText=*/false,
                                                   /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(llvm::formatv("{0}: --input {1}: {2}", cl.getCommand(),
                                   input.name, buffer.getError().message()));
  input.buffer = std::move(*buffer);
  llvm::StringRef rest = input.buffer->getBuffer();
  for (size_t number = 1; !rest.empty(); ++number) {
    auto [line, tail] = rest.split('\n');
    rest = tail;
    line.consume_back("\r");
    if (!line.trim().empty())
      input.lines.emplace_back(number, line);
  }
  return input;
}

/// Where the output goes: -o FILE, or stdout.
llvm::Expected<std::unique_ptr<llvm::raw_fd_ostream>>
openOutput(const CommandLine &cl) {
  std::optional<std::string> path = cl.get("o");
  if (!path)
    return nullptr;
  std::error_code error;
  auto stream = std::make_unique<llvm::raw_fd_ostream>(*path, error,
                                                       llvm::sys::fs::OF_None);
  if (error)
    return makeError(llvm::formatv("{0}: -o {1}: {2}", cl.getCommand(), *path,
                                   error.message()));
  return stream;
}

llvm::Error lineError(const CommandLine &cl, const InputLines &input,
                      size_t number, const llvm::Twine &problem) {
  return makeError(llvm::formatv("{0}: {1}:{2}: {3}", cl.getCommand(),
                                 input.name, number, problem.str()));
}

/// --bench: encodes all texts repeatedly for about a second and reports the
/// throughput on stderr (one thread; the word cache is warm after the first
/// round, as HF's is).
void runBench(const Tokenizer &tokenizer, const std::vector<std::string> &texts,
              bool addBos) {
  using Clock = std::chrono::steady_clock;
  size_t bytes = 0, tokens = 0, rounds = 0;
  for (const std::string &text : texts)
    bytes += text.size();
  Clock::time_point start = Clock::now();
  double seconds = 0;
  do {
    for (const std::string &text : texts)
      tokens += tokenizer.encode(text, addBos).size();
    ++rounds;
    seconds = std::chrono::duration<double>(Clock::now() - start).count();
  } while (seconds < 1.0 || rounds < 3);
  double megabytes = double(bytes) * rounds / 1e6;
  llvm::errs() << llvm::formatv(
      "dsv2c tokenize --bench: {0} texts, {1} bytes, {2} rounds in {3:f3} s: "
      "{4:f2} MB/s, {5:f0} tokens/s (1 thread)\n",
      texts.size(), bytes, rounds, seconds, megabytes / seconds,
      tokens / seconds);
}

} // namespace

llvm::Error runTokenize(llvm::ArrayRef<const char *> args) {
  CommandLine cl(
      "dsv2c tokenize",
      "Encode text into token ids with a Hugging Face tokenizer.json "
      "(DeepSeek-V2/V3 byte-level BPE), as HF tokenizers' encode does. Text "
      "that is not valid UTF-8 has each invalid sequence replaced by U+FFFD "
      "first.",
      {{"tokenizer", "FILE", "the tokenizer.json"},
       {"text", "TEXT", "encode TEXT; print the ids comma-separated"},
       {"input", "CASES.jsonl",
        "encode each {\"text\": ...} (or {\"text_base64\": ...}) line; "
        "write one {\"ids\":[...]} line per case (- reads stdin)"},
       {"bos", "", "add special tokens: the post_processor's bos"},
       {"o", "FILE", "write the output to FILE instead of stdout"},
       {"bench", "",
        "with --input: report encode throughput (MB/s) on stderr instead of "
        "writing ids"}});
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  if (cl.has("text") == cl.has("input"))
    return makeUsageError(cl.getCommand() +
                          ": give exactly one of --text TEXT or --input CASES.jsonl");
  if (cl.has("bench") && !cl.has("input"))
    return makeUsageError(cl.getCommand() + ": --bench needs --input");
  auto tokenizer = loadTokenizer(cl);
  if (!tokenizer)
    return tokenizer.takeError();
  bool addBos = cl.has("bos");
  if (addBos && tokenizer->bosId() < 0)
    return makeError(cl.getCommand() + ": --bos: " + *cl.get("tokenizer") +
                     " has no bos token");
  auto output = openOutput(cl);
  if (!output)
    return output.takeError();
  llvm::raw_ostream &os = *output ? **output : llvm::outs();

  if (std::optional<std::string> text = cl.get("text")) {
    std::vector<int32_t> ids = tokenizer->encode(*text, addBos);
    llvm::interleave(ids, os, ",");
    os << "\n";
    return llvm::Error::success();
  }
  auto input = readInput(cl);
  if (!input)
    return input.takeError();
  std::vector<std::string> texts;
  texts.reserve(input->lines.size());
  for (auto [number, line] : input->lines) {
    absl::StatusOr<std::string> text =
        dsv2::tokenizer::parseTextLine({line.data(), line.size()});
    if (!text.ok())
      return lineError(cl, *input, number, std::string(text.status().message()));
    texts.push_back(*std::move(text));
  }
  if (cl.has("bench")) {
    runBench(*tokenizer, texts, addBos);
    return llvm::Error::success();
  }
  for (const std::string &text : texts)
    os << dsv2::tokenizer::formatIdsLine(tokenizer->encode(text, addBos)) << "\n";
  return llvm::Error::success();
}

llvm::Error runDetokenize(llvm::ArrayRef<const char *> args) {
  CommandLine cl(
      "dsv2c detokenize",
      "Decode token ids into text with a Hugging Face tokenizer.json, as HF "
      "tokenizers' decode does: bytes that are not valid UTF-8 (a character "
      "split across ids) become U+FFFD; special tokens are skipped unless "
      "--keep-special-tokens.",
      {{"tokenizer", "FILE", "the tokenizer.json"},
       {"input", "IDS.jsonl",
        "decode each {\"ids\": [...]} line; write one {\"text\":\"...\"} "
        "line per case (- reads stdin)"},
       {"keep-special-tokens", "",
        "write special tokens (bos, eos, ...) as their text"},
       {"o", "FILE", "write the output to FILE instead of stdout"}});
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  if (!cl.has("input"))
    return makeUsageError(cl.getCommand() + ": --input IDS.jsonl is required");
  auto tokenizer = loadTokenizer(cl);
  if (!tokenizer)
    return tokenizer.takeError();
  auto input = readInput(cl);
  if (!input)
    return input.takeError();
  bool skipSpecial = !cl.has("keep-special-tokens");
  // Check every line before writing anything.
  std::vector<std::vector<int32_t>> cases;
  cases.reserve(input->lines.size());
  for (auto [number, line] : input->lines) {
    absl::StatusOr<std::vector<int64_t>> ids =
        dsv2::tokenizer::parseIdsLine({line.data(), line.size()});
    if (!ids.ok())
      return lineError(cl, *input, number, std::string(ids.status().message()));
    std::vector<int32_t> &checked = cases.emplace_back();
    for (auto [position, id] : llvm::enumerate(*ids)) {
      if (id < 0 || id >= tokenizer->vocabSize())
        return lineError(
            cl, *input, number,
            llvm::formatv("\"ids\"[{0}]: token id {1} is outside the "
                          "vocabulary [0, {2}) of {3}",
                          position, id, tokenizer->vocabSize(),
                          *cl.get("tokenizer")));
      checked.push_back(static_cast<int32_t>(id));
    }
  }
  auto output = openOutput(cl);
  if (!output)
    return output.takeError();
  llvm::raw_ostream &os = *output ? **output : llvm::outs();
  for (const std::vector<int32_t> &ids : cases)
    os << dsv2::tokenizer::formatTextLine(tokenizer->decode(ids, skipSpecial))
       << "\n";
  return llvm::Error::success();
}

} // namespace dsv2::tools
