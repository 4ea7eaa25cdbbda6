//===- Presets.cpp - Built-in DeepSeek-V2 configurations ------------------===//
//
// The released shapes are copied from the models' config.json files (see
// docs "Shapes of the two released models").
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/Presets.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsv2::model {
namespace {

/// The YaRN scaling both released models use (163840 = 40 x 4096 positions).
YarnRopeScaling releasedYarnScaling() {
  YarnRopeScaling yarn;
  yarn.factor = 40.0;
  yarn.originalMaxPositionEmbeddings = 4096;
  yarn.betaFast = 32.0;
  yarn.betaSlow = 1.0;
  yarn.mscale = 0.707;
  yarn.mscaleAllDim = 0.707;
  return yarn;
}

/// Fields shared by both released models.
ModelConfig releasedModelBase() {
  ModelConfig c;
  c.vocabSize = 102400;
  c.kvLoraRank = 512;
  c.qkNopeHeadDim = 128;
  c.qkRopeHeadDim = 64;
  c.vHeadDim = 128;
  c.nSharedExperts = 2;
  c.numExpertsPerTok = 6;
  c.firstKDenseReplace = 1;
  c.moeLayerFreq = 1;
  c.normTopkProb = false;
  c.ropeTheta = 10000.0;
  c.ropeScaling = releasedYarnScaling();
  c.maxPositionEmbeddings = 163840;
  c.rmsNormEps = 1e-6;
  c.tieWordEmbeddings = false;
  c.bosTokenId = 100000;
  c.eosTokenId = 100001;
  return c;
}

ModelConfig deepseekV2() {
  ModelConfig c = releasedModelBase();
  c.hiddenSize = 5120;
  c.intermediateSize = 12288;
  c.moeIntermediateSize = 1536;
  c.numHiddenLayers = 60;
  c.numAttentionHeads = 128;
  c.numKeyValueHeads = 128;
  c.qLoraRank = 1536;
  c.nRoutedExperts = 160;
  c.topkMethod = TopkMethod::GroupLimitedGreedy;
  c.nGroup = 8;
  c.topkGroup = 3;
  c.routedScalingFactor = 16.0;
  return c;
}

ModelConfig deepseekV2Lite() {
  ModelConfig c = releasedModelBase();
  c.hiddenSize = 2048;
  c.intermediateSize = 10944;
  c.moeIntermediateSize = 1408;
  c.numHiddenLayers = 27;
  c.numAttentionHeads = 16;
  c.numKeyValueHeads = 16;
  c.qLoraRank = std::nullopt;
  c.nRoutedExperts = 64;
  c.topkMethod = TopkMethod::Greedy;
  c.nGroup = 1;
  c.topkGroup = 1;
  c.routedScalingFactor = 1.0;
  return c;
}

/// Small enough for random weights and the reference interpreter, yet with
/// q compression, a dense first layer, shared experts, group-limited routing,
/// a routed scaling factor and YaRN with a non-trivial mscale.
ModelConfig tiny() {
  ModelConfig c;
  c.vocabSize = 512;
  c.hiddenSize = 64;
  c.intermediateSize = 128;
  c.moeIntermediateSize = 32;
  c.numHiddenLayers = 3;
  c.numAttentionHeads = 4;
  c.numKeyValueHeads = 4;
  c.qLoraRank = 48;
  c.kvLoraRank = 32;
  c.qkNopeHeadDim = 16;
  c.qkRopeHeadDim = 8;
  c.vHeadDim = 16;
  c.nRoutedExperts = 8;
  c.nSharedExperts = 1;
  c.numExpertsPerTok = 2;
  c.firstKDenseReplace = 1;
  c.moeLayerFreq = 1;
  c.topkMethod = TopkMethod::GroupLimitedGreedy;
  c.nGroup = 4;
  c.topkGroup = 2;
  c.routedScalingFactor = 2.0;
  c.normTopkProb = false;
  c.ropeTheta = 10000.0;
  YarnRopeScaling yarn;
  yarn.factor = 4.0;
  yarn.originalMaxPositionEmbeddings = 64;
  yarn.betaFast = 32.0;
  yarn.betaSlow = 1.0;
  yarn.mscale = 0.707;
  yarn.mscaleAllDim = 0.707;
  c.ropeScaling = yarn;
  c.maxPositionEmbeddings = 256;
  c.rmsNormEps = 1e-6;
  c.tieWordEmbeddings = false;
  c.bosTokenId = 0;
  c.eosTokenId = 1;
  return c;
}

} // namespace

std::vector<std::string> presetNames() {
  return {"deepseek-v2", "deepseek-v2-lite", "tiny"};
}

absl::StatusOr<ModelConfig> presetConfig(std::string_view name) {
  if (name == "deepseek-v2")
    return deepseekV2();
  if (name == "deepseek-v2-lite")
    return deepseekV2Lite();
  if (name == "tiny")
    return tiny();
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown model preset \"", absl::string_view(name.data(), name.size()),
      "\" (known: ", absl::StrJoin(presetNames(), ", "), ")"));
}

namespace {
#include "TinyTokenizer.inc"
} // namespace

std::optional<std::string_view> presetTokenizerJson(std::string_view name) {
  if (name == "tiny")
    return std::string_view(kTinyTokenizerJson, sizeof(kTinyTokenizerJson) - 1);
  return std::nullopt;
}

} // namespace dsv2::model
