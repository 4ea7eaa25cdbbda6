//===- ParameterCount.h - Parameter and KV-cache accounting -----*- C++ -*-===//
//
// How many weights a DeepSeek-V2 configuration holds, how many of them one
// token uses, and how many bytes of KV cache a token costs.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_PARAMETERCOUNT_H
#define MODELS_DEEPSEEK_V2_PARAMETERCOUNT_H

#include <cstdint>

#include "models/deepseek_v2/ModelConfig.h"

namespace dsv2::model {

/// Parameter counts of a configuration, summed over requiredTensors().
///
/// `active` is the number of parameters one token's forward pass multiplies
/// with: all attention projections, all norms, the dense MLPs, and in each
/// MoE layer the router, the shared experts and numExpertsPerTok routed
/// experts, plus lm_head. The embedding table is excluded (a token reads one
/// row of it). This is the convention of DeepSeek's papers: it gives 20.9B
/// for DeepSeek-V2 ("21B activated") and 2.45B for DeepSeek-V2-Lite ("2.4B
/// activated"); counting the embedding table too would give 21.4B and 2.66B,
/// counting neither lm_head nor the embedding 20.3B and 2.24B. When the word
/// embeddings are tied, the shared table serves as lm_head and is counted
/// once in `active`.
struct ParameterCounts {
  /// Every tensor, including norms, the embedding table and lm_head.
  int64_t total = 0;
  /// Parameters used per token (see the struct comment).
  int64_t active = 0;
  /// model.embed_tokens.weight.
  int64_t embedding = 0;
  /// lm_head.weight; 0 when the word embeddings are tied.
  int64_t lmHead = 0;
  /// MLA projections of all layers (norms excluded).
  int64_t attention = 0;
  /// All RMSNorm weights (layer norms, latent norms, final norm).
  int64_t norms = 0;
  /// gate/up/down of the dense MLP layers.
  int64_t denseMlp = 0;
  /// The MoE routers.
  int64_t moeGates = 0;
  /// Every routed expert of every MoE layer.
  int64_t routedExperts = 0;
  /// numExpertsPerTok routed experts per MoE layer.
  int64_t activeRoutedExperts = 0;
  /// The shared experts of every MoE layer.
  int64_t sharedExperts = 0;
};

/// Counts the parameters of `config` (see ParameterCounts).
ParameterCounts countParameters(const ModelConfig &config);

/// KV-cache bytes one token occupies across all layers, with `elementBytes`
/// per cached element (2 for bf16).
///   latent: (kv_lora_rank + qk_rope_head_dim) * layers, what MLA caches
///           (69,120 bytes for DeepSeek-V2 in bf16);
///   naive:  layers * heads * ((P + R) + V), per-head keys and values as plain
///           multi-head attention would cache them.
int64_t kvCacheBytesPerToken(const ModelConfig &config, int64_t elementBytes,
                             bool latent);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_PARAMETERCOUNT_H
