//===- TextPrompt.cpp - Text prompts and DeepSeek-V2-Chat's format --------===//

#include "tools/dsv2-run/TextPrompt.h"

namespace dsv2::run {

std::string chatPrompt(const std::string &user,
                       const std::optional<std::string> &system) {
  std::string text;
  if (system)
    text += *system + "\n\n";
  text += "User: " + user + "\n\nAssistant:";
  return text;
}

std::vector<int32_t> encodePrompt(const dsv2::tokenizer::Tokenizer &tokenizer,
                                  const std::string &text) {
  return tokenizer.encode(text, /*addBos=*/true);
}

} // namespace dsv2::run
