//===- Presets.h - Built-in DeepSeek-V2 configurations ----------*- C++ -*-===//
//
// Named configurations that stand in for a config.json where no checkpoint is
// needed: the two released models (shapes only) and a tiny model that the
// demo and the tests run with random weights.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_PRESETS_H
#define MODELS_DEEPSEEK_V2_PRESETS_H

#include <string>
#include <optional>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "models/deepseek_v2/ModelConfig.h"

namespace dsv2::model {

/// The configuration named `name`:
///   - "deepseek-v2": DeepSeek-V2 (236B total, 160 routed experts,
///     group-limited routing, q compression),
///   - "deepseek-v2-lite": DeepSeek-V2-Lite (16B total, 64 routed experts,
///     greedy routing, plain q_proj),
///   - "tiny": a 3-layer model (hidden 64, 8 routed experts in 4 groups, YaRN)
///     that exercises every feature of the architecture at toy size.
/// Unknown names yield InvalidArgument listing the known names.
absl::StatusOr<ModelConfig> presetConfig(std::string_view name);

/// The names presetConfig() accepts, in a stable order.
std::vector<std::string> presetNames();

/// The tokenizer.json of a preset, or nullopt: "tiny" has a byte-level BPE
/// tokenizer with DeepSeek-V3's structure in its 512 ids (bos 0, eos 1); the
/// released models' tokenizers ship with their checkpoints.
std::optional<std::string_view> presetTokenizerJson(std::string_view name);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_PRESETS_H
