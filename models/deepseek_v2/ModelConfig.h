//===- ModelConfig.h - DeepSeek-V2 model hyper-parameters -------*- C++ -*-===//
//
// The shape and routing hyper-parameters of a DeepSeek-V2 model, as read from
// a Hugging Face `config.json`, together with the quantities derived from
// them (attention softmax scale, YaRN cos/sin scale, MoE layer placement).
//
// This library is shared by the compiler and the runtime, so it depends on
// abseil and the standard library only (never LLVM or MLIR). The JSON reader
// lives in ModelConfigJson.cpp; nlohmann-json does not leak through this
// header.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_MODELCONFIG_H
#define MODELS_DEEPSEEK_V2_MODELCONFIG_H

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace dsv2::model {

/// How a MoE gate picks the experts of a token (config.json `topk_method`).
enum class TopkMethod {
  /// Top-k of the softmax scores over all routed experts ("greedy", also
  /// spelled "gready" in DeepSeek's reference configuration).
  Greedy,
  /// Device-limited routing: the experts form `nGroup` equal groups, a group
  /// scores the MAX of its experts, only the `topkGroup` best groups stay
  /// eligible, then top-k ("group_limited_greedy").
  GroupLimitedGreedy,
};

/// The config.json spelling of `method` ("greedy" or "group_limited_greedy").
std::string_view topkMethodName(TopkMethod method);

/// YaRN rotary-embedding scaling (config.json `rope_scaling` with type "yarn").
struct YarnRopeScaling {
  /// Context extension factor s (>= 1).
  double factor = 1.0;
  /// Context length L0 the model was pre-trained with.
  int64_t originalMaxPositionEmbeddings = 4096;
  /// Ramp bounds, in rotations over L0, between extrapolated and
  /// interpolated frequencies.
  double betaFast = 32.0;
  double betaSlow = 1.0;
  /// The `mscale` and `mscale_all_dim` coefficients of yarnMscale().
  double mscale = 1.0;
  double mscaleAllDim = 0.0;

  bool operator==(const YarnRopeScaling &other) const;
  bool operator!=(const YarnRopeScaling &other) const {
    return !(*this == other);
  }
};

/// Every inference-relevant field of a DeepSeek-V2 config.json. Member names
/// are the camel-case forms of the Hugging Face field names.
struct ModelConfig {
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  /// Intermediate width of the dense (non-MoE) MLP layers.
  int64_t intermediateSize = 0;
  /// Intermediate width of one routed (or shared) expert.
  int64_t moeIntermediateSize = 0;
  int64_t numHiddenLayers = 0;
  int64_t numAttentionHeads = 0;
  /// Always equal to numAttentionHeads for MLA; kept to validate the file.
  int64_t numKeyValueHeads = 0;

  /// Rank of the query compression; nullopt means a plain `q_proj`.
  std::optional<int64_t> qLoraRank;
  /// Rank C of the joint key/value latent (the cached vector).
  int64_t kvLoraRank = 0;
  /// Per-head widths: P (no position), R (rotary, shared key head), V.
  int64_t qkNopeHeadDim = 0;
  int64_t qkRopeHeadDim = 0;
  int64_t vHeadDim = 0;

  /// Number of routed experts; 0 (null in config.json) means a dense model.
  int64_t nRoutedExperts = 0;
  /// Number of shared experts; 0 when null.
  int64_t nSharedExperts = 0;
  /// Routed experts per token (k); 0 for a dense model.
  int64_t numExpertsPerTok = 0;
  /// Layers [0, firstKDenseReplace) use the dense MLP.
  int64_t firstKDenseReplace = 0;
  /// Among the other layers, every moeLayerFreq-th (by absolute index) is MoE.
  int64_t moeLayerFreq = 1;

  TopkMethod topkMethod = TopkMethod::Greedy;
  /// Expert groups and groups kept per token (group_limited_greedy).
  int64_t nGroup = 1;
  int64_t topkGroup = 1;
  /// Multiplies the routing weights when normTopkProb is false.
  double routedScalingFactor = 1.0;
  /// Renormalize the top-k weights to sum to one.
  bool normTopkProb = false;

  double ropeTheta = 10000.0;
  /// nullopt: plain RoPE (no scaling).
  std::optional<YarnRopeScaling> ropeScaling;

  int64_t maxPositionEmbeddings = 2048;
  double rmsNormEps = 1e-6;
  /// When true there is no `lm_head.weight`; the embedding table is reused.
  bool tieWordEmbeddings = false;
  int64_t bosTokenId = 100000;
  int64_t eosTokenId = 100001;

  /// Whether decoder layer `layer` (0-based) uses a MoE block instead of the
  /// dense MLP: nRoutedExperts > 0, layer >= firstKDenseReplace and
  /// layer % moeLayerFreq == 0.
  bool isMoeLayer(int64_t layer) const;
  /// The number of MoE layers in the model.
  int64_t numMoeLayers() const;
  /// Query/key head width P + R.
  int64_t qHeadDim() const;
  /// Attention score scale: (P+R)^-0.5 * m^2 with
  /// m = yarnMscale(factor, mscaleAllDim), m = 1 without rope scaling.
  double softmaxScale() const;
  /// Factor applied to the YaRN cos/sin tables:
  /// yarnMscale(factor, mscale) / yarnMscale(factor, mscaleAllDim); 1 without
  /// rope scaling.
  double ropeCosSinScale() const;

  bool operator==(const ModelConfig &other) const;
  bool operator!=(const ModelConfig &other) const { return !(*this == other); }
};

/// DeepSeek's `yarn_get_mscale`: 1 if scale <= 1, else 0.1 * mscale *
/// ln(scale) + 1.
double yarnMscale(double scale, double mscale);

/// Parses the text of a DeepSeek-V2 config.json. `sourceName` prefixes every
/// error message (e.g. "config.json" or the file's path). Errors are
/// single-line InvalidArgument statuses naming the field and the value.
/// Fields that matter only for training (aux_loss_alpha, seq_aux, ep_size,
/// ...) and unknown fields are ignored. The result is validated with
/// validateModelConfig().
absl::StatusOr<ModelConfig> parseModelConfigJson(std::string_view jsonText,
                                                 std::string_view sourceName);

/// Reads and parses `modelDir`/config.json (NotFound when it cannot be read).
absl::StatusOr<ModelConfig> loadModelConfig(const std::string &modelDir);

/// Checks the constraints the compiler and runtime rely on (positive widths,
/// MLA head counts, even rotary width, expert grouping, ...). The first
/// problem found is returned as InvalidArgument; its single-line message names
/// the offending config.json field and its value and carries no source prefix
/// (parseModelConfigJson() adds the file name).
absl::Status validateModelConfig(const ModelConfig &config);

/// Serializes `config` as a config.json object with the Hugging Face field
/// names (pretty-printed, two-space indent). parseModelConfigJson() of the
/// result yields a config equal to `config`.
std::string modelConfigToJson(const ModelConfig &config);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_MODELCONFIG_H
