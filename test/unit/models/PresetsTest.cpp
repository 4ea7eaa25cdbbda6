//===- PresetsTest.cpp - Built-in configuration tests ---------------------===//

#include <cmath>
#include <string>

#include "models/deepseek_v2/ModelConfig.h"
#include "models/deepseek_v2/Presets.h"
#include "gtest/gtest.h"

namespace dsv2::model {
namespace {

ModelConfig preset(std::string_view name) {
  absl::StatusOr<ModelConfig> config = presetConfig(name);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

void expectReleasedYarn(const ModelConfig &c) {
  ASSERT_TRUE(c.ropeScaling.has_value());
  EXPECT_EQ(c.ropeScaling->factor, 40.0);
  EXPECT_EQ(c.ropeScaling->originalMaxPositionEmbeddings, 4096);
  EXPECT_EQ(c.ropeScaling->betaFast, 32.0);
  EXPECT_EQ(c.ropeScaling->betaSlow, 1.0);
  EXPECT_EQ(c.ropeScaling->mscale, 0.707);
  EXPECT_EQ(c.ropeScaling->mscaleAllDim, 0.707);
}

TEST(PresetsTest, Names) {
  EXPECT_EQ(presetNames(), (std::vector<std::string>{
                               "deepseek-v2", "deepseek-v2-lite", "tiny"}));
}

TEST(PresetsTest, UnknownPresetListsKnownNames) {
  absl::StatusOr<ModelConfig> config = presetConfig("deepseek-v3");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(config.status().message(),
            "unknown model preset \"deepseek-v3\" (known: deepseek-v2, "
            "deepseek-v2-lite, tiny)");
}

TEST(PresetsTest, DeepseekV2) {
  ModelConfig c = preset("deepseek-v2");
  EXPECT_EQ(c.vocabSize, 102400);
  EXPECT_EQ(c.hiddenSize, 5120);
  EXPECT_EQ(c.intermediateSize, 12288);
  EXPECT_EQ(c.moeIntermediateSize, 1536);
  EXPECT_EQ(c.numHiddenLayers, 60);
  EXPECT_EQ(c.numAttentionHeads, 128);
  EXPECT_EQ(c.numKeyValueHeads, 128);
  EXPECT_EQ(c.qLoraRank, 1536);
  EXPECT_EQ(c.kvLoraRank, 512);
  EXPECT_EQ(c.qkNopeHeadDim, 128);
  EXPECT_EQ(c.qkRopeHeadDim, 64);
  EXPECT_EQ(c.vHeadDim, 128);
  EXPECT_EQ(c.nRoutedExperts, 160);
  EXPECT_EQ(c.nSharedExperts, 2);
  EXPECT_EQ(c.numExpertsPerTok, 6);
  EXPECT_EQ(c.firstKDenseReplace, 1);
  EXPECT_EQ(c.moeLayerFreq, 1);
  EXPECT_EQ(c.topkMethod, TopkMethod::GroupLimitedGreedy);
  EXPECT_EQ(c.nGroup, 8);
  EXPECT_EQ(c.topkGroup, 3);
  EXPECT_EQ(c.routedScalingFactor, 16.0);
  EXPECT_FALSE(c.normTopkProb);
  EXPECT_EQ(c.ropeTheta, 10000.0);
  expectReleasedYarn(c);
  EXPECT_EQ(c.maxPositionEmbeddings, 163840);
  EXPECT_EQ(c.rmsNormEps, 1e-6);
  EXPECT_FALSE(c.tieWordEmbeddings);
  EXPECT_EQ(c.bosTokenId, 100000);
  EXPECT_EQ(c.eosTokenId, 100001);
}

TEST(PresetsTest, DeepseekV2Lite) {
  ModelConfig c = preset("deepseek-v2-lite");
  EXPECT_EQ(c.vocabSize, 102400);
  EXPECT_EQ(c.hiddenSize, 2048);
  EXPECT_EQ(c.intermediateSize, 10944);
  EXPECT_EQ(c.moeIntermediateSize, 1408);
  EXPECT_EQ(c.numHiddenLayers, 27);
  EXPECT_EQ(c.numAttentionHeads, 16);
  EXPECT_EQ(c.numKeyValueHeads, 16);
  EXPECT_FALSE(c.qLoraRank.has_value());
  EXPECT_EQ(c.kvLoraRank, 512);
  EXPECT_EQ(c.qkNopeHeadDim, 128);
  EXPECT_EQ(c.qkRopeHeadDim, 64);
  EXPECT_EQ(c.vHeadDim, 128);
  EXPECT_EQ(c.nRoutedExperts, 64);
  EXPECT_EQ(c.nSharedExperts, 2);
  EXPECT_EQ(c.numExpertsPerTok, 6);
  EXPECT_EQ(c.firstKDenseReplace, 1);
  EXPECT_EQ(c.moeLayerFreq, 1);
  EXPECT_EQ(c.topkMethod, TopkMethod::Greedy);
  EXPECT_EQ(c.nGroup, 1);
  EXPECT_EQ(c.topkGroup, 1);
  EXPECT_EQ(c.routedScalingFactor, 1.0);
  EXPECT_FALSE(c.normTopkProb);
  EXPECT_EQ(c.ropeTheta, 10000.0);
  expectReleasedYarn(c);
  EXPECT_EQ(c.maxPositionEmbeddings, 163840);
  EXPECT_EQ(c.rmsNormEps, 1e-6);
  EXPECT_FALSE(c.tieWordEmbeddings);
  EXPECT_EQ(c.bosTokenId, 100000);
  EXPECT_EQ(c.eosTokenId, 100001);
}

TEST(PresetsTest, Tiny) {
  ModelConfig c = preset("tiny");
  EXPECT_EQ(c.vocabSize, 512);
  EXPECT_EQ(c.hiddenSize, 64);
  EXPECT_EQ(c.intermediateSize, 128);
  EXPECT_EQ(c.moeIntermediateSize, 32);
  EXPECT_EQ(c.numHiddenLayers, 3);
  EXPECT_EQ(c.numAttentionHeads, 4);
  EXPECT_EQ(c.numKeyValueHeads, 4);
  EXPECT_EQ(c.qLoraRank, 48);
  EXPECT_EQ(c.kvLoraRank, 32);
  EXPECT_EQ(c.qkNopeHeadDim, 16);
  EXPECT_EQ(c.qkRopeHeadDim, 8);
  EXPECT_EQ(c.vHeadDim, 16);
  EXPECT_EQ(c.nRoutedExperts, 8);
  EXPECT_EQ(c.nSharedExperts, 1);
  EXPECT_EQ(c.numExpertsPerTok, 2);
  EXPECT_EQ(c.firstKDenseReplace, 1);
  EXPECT_EQ(c.moeLayerFreq, 1);
  EXPECT_EQ(c.topkMethod, TopkMethod::GroupLimitedGreedy);
  EXPECT_EQ(c.nGroup, 4);
  EXPECT_EQ(c.topkGroup, 2);
  EXPECT_EQ(c.routedScalingFactor, 2.0);
  EXPECT_FALSE(c.normTopkProb);
  EXPECT_EQ(c.ropeTheta, 10000.0);
  ASSERT_TRUE(c.ropeScaling.has_value());
  EXPECT_EQ(c.ropeScaling->factor, 4.0);
  EXPECT_EQ(c.ropeScaling->originalMaxPositionEmbeddings, 64);
  EXPECT_EQ(c.ropeScaling->betaFast, 32.0);
  EXPECT_EQ(c.ropeScaling->betaSlow, 1.0);
  EXPECT_EQ(c.ropeScaling->mscale, 0.707);
  EXPECT_EQ(c.ropeScaling->mscaleAllDim, 0.707);
  EXPECT_EQ(c.maxPositionEmbeddings, 256);
  EXPECT_EQ(c.rmsNormEps, 1e-6);
  EXPECT_FALSE(c.tieWordEmbeddings);
  EXPECT_EQ(c.bosTokenId, 0);
  EXPECT_EQ(c.eosTokenId, 1);
}

TEST(PresetsTest, MoeLayerPlacement) {
  ModelConfig v2 = preset("deepseek-v2");
  EXPECT_FALSE(v2.isMoeLayer(0));
  for (int64_t layer = 1; layer < 60; ++layer)
    EXPECT_TRUE(v2.isMoeLayer(layer)) << layer;
  EXPECT_EQ(v2.numMoeLayers(), 59);
  EXPECT_EQ(preset("deepseek-v2-lite").numMoeLayers(), 26);
  EXPECT_EQ(preset("tiny").numMoeLayers(), 2);

  ModelConfig everyOther = preset("tiny");
  everyOther.moeLayerFreq = 2;
  EXPECT_FALSE(everyOther.isMoeLayer(0));
  EXPECT_FALSE(everyOther.isMoeLayer(1));
  EXPECT_TRUE(everyOther.isMoeLayer(2));
}

TEST(PresetsTest, DeepseekV2AttentionScales) {
  ModelConfig c = preset("deepseek-v2");
  EXPECT_EQ(c.qHeadDim(), 192);
  EXPECT_NEAR(yarnMscale(40.0, 0.707), 1.2608038, 1e-7);
  EXPECT_NEAR(c.softmaxScale(), 0.1147214, 1e-6);
  EXPECT_EQ(c.ropeCosSinScale(), 1.0);
  EXPECT_EQ(preset("deepseek-v2-lite").ropeCosSinScale(), 1.0);
  EXPECT_NEAR(preset("deepseek-v2-lite").softmaxScale(), 0.1147214, 1e-6);
}

TEST(PresetsTest, TinyAttentionScales) {
  ModelConfig c = preset("tiny");
  double m = 0.1 * 0.707 * std::log(4.0) + 1.0;
  EXPECT_DOUBLE_EQ(c.softmaxScale(), m * m / std::sqrt(24.0));
  EXPECT_EQ(c.ropeCosSinScale(), 1.0);
}

TEST(PresetsTest, YarnMscale) {
  EXPECT_EQ(yarnMscale(1.0, 0.707), 1.0);
  EXPECT_EQ(yarnMscale(0.5, 0.707), 1.0);
  EXPECT_EQ(yarnMscale(40.0, 0.0), 1.0);
  EXPECT_DOUBLE_EQ(yarnMscale(40.0, 1.0), 0.1 * std::log(40.0) + 1.0);
}

} // namespace
} // namespace dsv2::model
