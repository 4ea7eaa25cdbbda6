//===- TensorNames.h - Hugging Face checkpoint tensor names -----*- C++ -*-===//
//
// The names and shapes of the tensors a DeepSeek-V2 checkpoint holds, in the
// Hugging Face layout (`model.layers.{i}.self_attn.q_a_proj.weight`, ...).
// Linear weights are [out, in] as nn.Linear stores them; norm weights are
// vectors.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_TENSORNAMES_H
#define MODELS_DEEPSEEK_V2_TENSORNAMES_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "models/deepseek_v2/ModelConfig.h"

namespace dsv2::model {

/// What part of the model a tensor belongs to (for parameter accounting,
/// expert-parallel placement and per-role weight formats).
enum class TensorRole {
  /// model.embed_tokens.weight (a lookup table).
  Embedding,
  /// lm_head.weight (absent when word embeddings are tied).
  LmHead,
  /// Any RMSNorm weight, including the q_a/kv_a latent norms.
  Norm,
  /// The MLA projections (q_a/q_b or q, kv_a, kv_b, o).
  Attention,
  /// gate/up/down of a dense MLP layer.
  DenseMlp,
  /// The router weight mlp.gate.weight [E, H].
  MoeGate,
  /// gate/up/down of one routed expert.
  RoutedExpert,
  /// gate/up/down of the fused shared experts.
  SharedExpert,
};

/// One checkpoint tensor.
struct TensorSpec {
  std::string name;
  /// [out, in] for linear weights, [dim] for norms, [vocab, hidden] for the
  /// embedding table.
  std::vector<int64_t> shape;
  TensorRole role = TensorRole::Attention;
  /// Decoder layer index, -1 for embed_tokens, the final norm and lm_head.
  int64_t layer = -1;
  /// Routed expert index, -1 for every other tensor.
  int64_t expert = -1;

  /// The product of the dimensions.
  int64_t numElements() const;
};

/// Checkpoint names outside the decoder layers.
inline constexpr std::string_view kEmbedTokensTensor =
    "model.embed_tokens.weight";
inline constexpr std::string_view kFinalNormTensor = "model.norm.weight";
inline constexpr std::string_view kLmHeadTensor = "lm_head.weight";

/// Suffixes of the per-layer tensors, to be passed to layerTensor().
namespace layer_suffix {
inline constexpr std::string_view kInputLayernorm = "input_layernorm.weight";
inline constexpr std::string_view kPostAttentionLayernorm =
    "post_attention_layernorm.weight";
/// Query path with q compression (q_lora_rank set).
inline constexpr std::string_view kQAProj = "self_attn.q_a_proj.weight";
inline constexpr std::string_view kQALayernorm =
    "self_attn.q_a_layernorm.weight";
inline constexpr std::string_view kQBProj = "self_attn.q_b_proj.weight";
/// Query path without q compression (q_lora_rank null).
inline constexpr std::string_view kQProj = "self_attn.q_proj.weight";
inline constexpr std::string_view kKvAProjWithMqa =
    "self_attn.kv_a_proj_with_mqa.weight";
inline constexpr std::string_view kKvALayernorm =
    "self_attn.kv_a_layernorm.weight";
inline constexpr std::string_view kKvBProj = "self_attn.kv_b_proj.weight";
inline constexpr std::string_view kOProj = "self_attn.o_proj.weight";
/// Dense MLP layers.
inline constexpr std::string_view kMlpGateProj = "mlp.gate_proj.weight";
inline constexpr std::string_view kMlpUpProj = "mlp.up_proj.weight";
inline constexpr std::string_view kMlpDownProj = "mlp.down_proj.weight";
/// MoE layers: the router and the fused shared experts.
inline constexpr std::string_view kMoeGate = "mlp.gate.weight";
inline constexpr std::string_view kSharedExpertsGateProj =
    "mlp.shared_experts.gate_proj.weight";
inline constexpr std::string_view kSharedExpertsUpProj =
    "mlp.shared_experts.up_proj.weight";
inline constexpr std::string_view kSharedExpertsDownProj =
    "mlp.shared_experts.down_proj.weight";
} // namespace layer_suffix

/// "model.layers.{layer}.{suffix}", e.g.
/// layerTensor(3, layer_suffix::kKvBProj).
std::string layerTensor(int64_t layer, std::string_view suffix);

/// "model.layers.{layer}.mlp.experts.{expert}.{projection}.weight" where
/// `projection` is "gate_proj", "up_proj" or "down_proj".
std::string routedExpertTensor(int64_t layer, int64_t expert,
                               std::string_view projection);

/// The tensors of decoder layer `layer` in checkpoint order: input norm,
/// attention, post-attention norm, then the dense MLP or the MoE block
/// (router, routed experts by index, shared experts).
std::vector<TensorSpec> layerTensors(const ModelConfig &config, int64_t layer);

/// Every tensor the model needs: embed_tokens, the layers in order, the final
/// norm and lm_head (omitted when tieWordEmbeddings).
std::vector<TensorSpec> requiredTensors(const ModelConfig &config);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_TENSORNAMES_H
