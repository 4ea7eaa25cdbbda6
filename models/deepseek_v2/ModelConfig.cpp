//===- ModelConfig.cpp - Derived quantities and validation ----------------===//
//
// The derived quantities of a DeepSeek-V2 configuration (softmax scale, YaRN
// cos/sin scale, MoE layer placement) and the checks every configuration must
// pass, whether it comes from a config.json or a preset.
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/ModelConfig.h"

#include <cmath>

#include "absl/strings/str_cat.h"

namespace dsv2::model {

std::string_view topkMethodName(TopkMethod method) {
  switch (method) {
  case TopkMethod::Greedy:
    return "greedy";
  case TopkMethod::GroupLimitedGreedy:
    return "group_limited_greedy";
  }
  return "unknown";
}

bool YarnRopeScaling::operator==(const YarnRopeScaling &other) const {
  return factor == other.factor &&
         originalMaxPositionEmbeddings == other.originalMaxPositionEmbeddings &&
         betaFast == other.betaFast && betaSlow == other.betaSlow &&
         mscale == other.mscale && mscaleAllDim == other.mscaleAllDim;
}

bool ModelConfig::operator==(const ModelConfig &other) const {
  return vocabSize == other.vocabSize && hiddenSize == other.hiddenSize &&
         intermediateSize == other.intermediateSize &&
         moeIntermediateSize == other.moeIntermediateSize &&
         numHiddenLayers == other.numHiddenLayers &&
         numAttentionHeads == other.numAttentionHeads &&
         numKeyValueHeads == other.numKeyValueHeads &&
         qLoraRank == other.qLoraRank && kvLoraRank == other.kvLoraRank &&
         qkNopeHeadDim == other.qkNopeHeadDim &&
         qkRopeHeadDim == other.qkRopeHeadDim && vHeadDim == other.vHeadDim &&
         nRoutedExperts == other.nRoutedExperts &&
         nSharedExperts == other.nSharedExperts &&
         numExpertsPerTok == other.numExpertsPerTok &&
         firstKDenseReplace == other.firstKDenseReplace &&
         moeLayerFreq == other.moeLayerFreq && topkMethod == other.topkMethod &&
         nGroup == other.nGroup && topkGroup == other.topkGroup &&
         routedScalingFactor == other.routedScalingFactor &&
         normTopkProb == other.normTopkProb && ropeTheta == other.ropeTheta &&
         ropeScaling == other.ropeScaling &&
         maxPositionEmbeddings == other.maxPositionEmbeddings &&
         rmsNormEps == other.rmsNormEps &&
         tieWordEmbeddings == other.tieWordEmbeddings &&
         bosTokenId == other.bosTokenId && eosTokenId == other.eosTokenId;
}

bool ModelConfig::isMoeLayer(int64_t layer) const {
  return nRoutedExperts > 0 && layer >= firstKDenseReplace &&
         moeLayerFreq > 0 && layer % moeLayerFreq == 0;
}

int64_t ModelConfig::numMoeLayers() const {
  int64_t count = 0;
  for (int64_t layer = 0; layer < numHiddenLayers; ++layer)
    count += isMoeLayer(layer) ? 1 : 0;
  return count;
}

int64_t ModelConfig::qHeadDim() const { return qkNopeHeadDim + qkRopeHeadDim; }

double ModelConfig::softmaxScale() const {
  double scale = 1.0 / std::sqrt(static_cast<double>(qHeadDim()));
  if (ropeScaling) {
    double m = yarnMscale(ropeScaling->factor, ropeScaling->mscaleAllDim);
    scale *= m * m;
  }
  return scale;
}

double ModelConfig::ropeCosSinScale() const {
  if (!ropeScaling)
    return 1.0;
  return yarnMscale(ropeScaling->factor, ropeScaling->mscale) /
         yarnMscale(ropeScaling->factor, ropeScaling->mscaleAllDim);
}

double yarnMscale(double scale, double mscale) {
  if (scale <= 1.0)
    return 1.0;
  return 0.1 * mscale * std::log(scale) + 1.0;
}

namespace {

// Debian's abseil is built with its own absl::string_view (not an alias of
// std::string_view), which absl::StrCat requires: internal helpers take it.

/// "field 'NAME' must be positive, got VALUE" unless value > 0.
std::string requirePositive(absl::string_view field, int64_t value) {
  if (value > 0)
    return "";
  return absl::StrCat("field '", field, "' must be positive, got ", value);
}

/// Same for real-valued fields; NaN fails.
std::string requirePositive(absl::string_view field, double value) {
  if (value > 0.0 && std::isfinite(value))
    return "";
  return absl::StrCat("field '", field, "' must be a positive number, got ",
                      value);
}

std::string requireTokenId(absl::string_view field, int64_t id,
                           int64_t vocabSize) {
  if (id >= 0 && id < vocabSize)
    return "";
  return absl::StrCat("field '", field, "' is ", id,
                      ", outside the vocabulary [0, ", vocabSize, ")");
}

/// The first problem of `c`, or "" when there is none.
std::string findConfigProblem(const ModelConfig &c) {
  for (auto [field, value] : {
           std::pair<absl::string_view, int64_t>{"vocab_size", c.vocabSize},
           {"hidden_size", c.hiddenSize},
           {"intermediate_size", c.intermediateSize},
           {"num_hidden_layers", c.numHiddenLayers},
           {"num_attention_heads", c.numAttentionHeads},
           {"kv_lora_rank", c.kvLoraRank},
           {"qk_nope_head_dim", c.qkNopeHeadDim},
           {"qk_rope_head_dim", c.qkRopeHeadDim},
           {"v_head_dim", c.vHeadDim},
           {"max_position_embeddings", c.maxPositionEmbeddings},
           {"moe_layer_freq", c.moeLayerFreq},
           {"n_group", c.nGroup},
           {"topk_group", c.topkGroup},
       }) {
    if (std::string problem = requirePositive(field, value); !problem.empty())
      return problem;
  }
  if (c.qLoraRank)
    if (std::string problem = requirePositive("q_lora_rank", *c.qLoraRank);
        !problem.empty())
      return problem;

  if (c.numKeyValueHeads != c.numAttentionHeads)
    return absl::StrCat("field 'num_key_value_heads' is ", c.numKeyValueHeads,
                        " but multi-head latent attention needs it equal to "
                        "'num_attention_heads' (",
                        c.numAttentionHeads, ")");
  if (c.qkRopeHeadDim % 2 != 0)
    return absl::StrCat("field 'qk_rope_head_dim' must be even (RoPE rotates "
                        "pairs), got ",
                        c.qkRopeHeadDim);

  for (auto [field, value] : {
           std::pair<absl::string_view, int64_t>{"n_routed_experts",
                                                 c.nRoutedExperts},
           {"n_shared_experts", c.nSharedExperts},
           {"first_k_dense_replace", c.firstKDenseReplace},
       }) {
    if (value < 0)
      return absl::StrCat("field '", field, "' must not be negative, got ",
                          value);
  }

  if (c.topkGroup > c.nGroup)
    return absl::StrCat("field 'topk_group' (", c.topkGroup,
                        ") must not exceed field 'n_group' (", c.nGroup, ")");

  if (c.nRoutedExperts > 0) {
    if (std::string problem =
            requirePositive("moe_intermediate_size", c.moeIntermediateSize);
        !problem.empty())
      return problem;
    if (std::string problem =
            requirePositive("num_experts_per_tok", c.numExpertsPerTok);
        !problem.empty())
      return problem;
    if (c.numExpertsPerTok > c.nRoutedExperts)
      return absl::StrCat("field 'num_experts_per_tok' (", c.numExpertsPerTok,
                          ") must not exceed field 'n_routed_experts' (",
                          c.nRoutedExperts, ")");
    if (c.topkMethod == TopkMethod::GroupLimitedGreedy) {
      if (c.nRoutedExperts % c.nGroup != 0)
        return absl::StrCat("field 'n_routed_experts' (", c.nRoutedExperts,
                            ") must be divisible by field 'n_group' (",
                            c.nGroup,
                            ") for topk_method \"group_limited_greedy\"");
      int64_t eligible = c.topkGroup * (c.nRoutedExperts / c.nGroup);
      if (c.numExpertsPerTok > eligible)
        return absl::StrCat(
            "field 'num_experts_per_tok' (", c.numExpertsPerTok,
            ") exceeds the ", eligible, " experts in the 'topk_group' (",
            c.topkGroup,
            ") groups a token may use under \"group_limited_greedy\"");
    }
    if (std::string problem =
            requirePositive("routed_scaling_factor", c.routedScalingFactor);
        !problem.empty())
      return problem;
  }

  if (std::string problem = requirePositive("rope_theta", c.ropeTheta);
      !problem.empty())
    return problem;
  if (std::string problem = requirePositive("rms_norm_eps", c.rmsNormEps);
      !problem.empty())
    return problem;

  if (c.ropeScaling) {
    const YarnRopeScaling &yarn = *c.ropeScaling;
    if (!(yarn.factor >= 1.0) || !std::isfinite(yarn.factor))
      return absl::StrCat("field 'rope_scaling.factor' must be >= 1 for "
                          "yarn, got ",
                          yarn.factor);
    if (std::string problem =
            requirePositive("rope_scaling.original_max_position_embeddings",
                            yarn.originalMaxPositionEmbeddings);
        !problem.empty())
      return problem;
    if (std::string problem =
            requirePositive("rope_scaling.beta_fast", yarn.betaFast);
        !problem.empty())
      return problem;
    if (std::string problem =
            requirePositive("rope_scaling.beta_slow", yarn.betaSlow);
        !problem.empty())
      return problem;
    if (!std::isfinite(yarn.mscale))
      return absl::StrCat("field 'rope_scaling.mscale' must be finite, got ",
                          yarn.mscale);
    if (!std::isfinite(yarn.mscaleAllDim))
      return absl::StrCat(
          "field 'rope_scaling.mscale_all_dim' must be finite, got ",
          yarn.mscaleAllDim);
  }

  if (std::string problem =
          requireTokenId("bos_token_id", c.bosTokenId, c.vocabSize);
      !problem.empty())
    return problem;
  if (std::string problem =
          requireTokenId("eos_token_id", c.eosTokenId, c.vocabSize);
      !problem.empty())
    return problem;
  return "";
}

} // namespace

absl::Status validateModelConfig(const ModelConfig &config) {
  std::string problem = findConfigProblem(config);
  if (problem.empty())
    return absl::OkStatus();
  return absl::InvalidArgumentError(problem);
}

} // namespace dsv2::model
