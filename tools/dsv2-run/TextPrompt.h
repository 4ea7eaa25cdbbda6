//===- TextPrompt.h - Text prompts and DeepSeek-V2-Chat's format -*- C++ -*-===//

#ifndef TOOLS_DSV2_RUN_TEXTPROMPT_H
#define TOOLS_DSV2_RUN_TEXTPROMPT_H

#include "runtime/tokenizer/Tokenizer.h"

#include <optional>
#include <string>
#include <vector>

namespace dsv2::run {

/// DeepSeek-V2-Chat's prompt for one user turn (its chat template, with the
/// generation prompt): "[SYSTEM\n\n]User: TEXT\n\nAssistant:". bos is added
/// by the tokenizer.
std::string chatPrompt(const std::string &user,
                       const std::optional<std::string> &system);

/// The ids of `text` with bos first (as the model was trained).
std::vector<int32_t> encodePrompt(const dsv2::tokenizer::Tokenizer &tokenizer,
                                  const std::string &text);

} // namespace dsv2::run

#endif // TOOLS_DSV2_RUN_TEXTPROMPT_H
