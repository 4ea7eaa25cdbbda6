//===- TokenizerSource.h - The tokenizer an engine carries ------*- C++ -*-===//
//
// `dsv2c compile` packs the model's tokenizer.json into the engine: the one
// given by --tokenizer, else the checkpoint's DIR/tokenizer.json, else the
// preset's built-in one. It is parsed and checked against the model first
// (ids within the vocabulary, the same bos/eos ids as config.json), so an
// engine never carries a tokenizer that would feed it wrong ids.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_TOKENIZERSOURCE_H
#define TOOLS_DSV2C_TOKENIZERSOURCE_H

#include "tools/dsv2c/CommandLine.h"

#include "models/deepseek_v2/ModelConfig.h"

#include <string>

namespace dsv2::tools {

struct TokenizerSource {
  /// The tokenizer.json text; empty when the model has none.
  std::string json;
  /// Where it came from, for messages.
  std::string origin;
};

/// Resolves and checks the tokenizer for a compile (see above).
llvm::Expected<TokenizerSource>
loadTokenizerSource(const CommandLine &cl, const dsv2::model::ModelConfig &config);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_TOKENIZERSOURCE_H
