//===- TokenizerSource.cpp - The tokenizer an engine carries --------------===//

#include "tools/dsv2c/TokenizerSource.h"

#include "models/deepseek_v2/Presets.h"
#include "runtime/tokenizer/Tokenizer.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

namespace dsv2::tools {

llvm::Expected<TokenizerSource>
loadTokenizerSource(const CommandLine &cl, const dsv2::model::ModelConfig &config) {
  TokenizerSource source;
  std::string path;
  if (std::optional<std::string> given = cl.get("tokenizer")) {
    path = *given;
  } else if (std::optional<std::string> model = cl.get("model")) {
    llvm::SmallString<256> candidate(*model);
    llvm::sys::path::append(candidate, "tokenizer.json");
    if (llvm::sys::fs::exists(candidate))
      path = candidate.str().str();
  } else if (std::optional<std::string> preset = cl.get("preset")) {
    if (auto json = dsv2::model::presetTokenizerJson(*preset)) {
      source.json = std::string(*json);
      source.origin = "the " + *preset + " preset's tokenizer";
    }
  }
  if (!path.empty()) {
    auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
    if (!buffer)
      return makeError("cannot read tokenizer " + path + ": " +
                       buffer.getError().message());
    source.json = (*buffer)->getBuffer().str();
    source.origin = path;
  }
  if (source.json.empty())
    return source;

  auto tokenizer = dsv2::tokenizer::Tokenizer::fromJson(source.json, source.origin);
  if (!tokenizer.ok())
    return makeError(std::string(tokenizer.status().message()));
  if (tokenizer->vocabSize() > config.vocabSize)
    return makeError(llvm::formatv("{0} has ids up to {1}, past the model's "
                                   "vocab_size {2}",
                                   source.origin, tokenizer->vocabSize() - 1,
                                   config.vocabSize));
  auto checkId = [&](const char *what, int64_t tokenizerId,
                     int64_t configId) -> llvm::Error {
    if (tokenizerId >= 0 && tokenizerId != configId)
      return makeError(llvm::formatv("{0} has {1} id {2}, config.json says {3}",
                                     source.origin, what, tokenizerId, configId));
    return llvm::Error::success();
  };
  if (llvm::Error error = checkId("bos", tokenizer->bosId(), config.bosTokenId))
    return std::move(error);
  if (llvm::Error error = checkId("eos", tokenizer->eosId(), config.eosTokenId))
    return std::move(error);
  return source;
}

} // namespace dsv2::tools
