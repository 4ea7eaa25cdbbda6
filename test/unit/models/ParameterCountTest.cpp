//===- ParameterCountTest.cpp - Parameter and KV-cache accounting tests ---===//

#include <string>

#include "models/deepseek_v2/ParameterCount.h"
#include "models/deepseek_v2/Presets.h"
#include "models/deepseek_v2/TensorNames.h"
#include "gtest/gtest.h"

namespace dsv2::model {
namespace {

ModelConfig preset(std::string_view name) {
  absl::StatusOr<ModelConfig> config = presetConfig(name);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

TEST(ParameterCountTest, DeepseekV2MatchesPaper) {
  ParameterCounts counts = countParameters(preset("deepseek-v2"));
  // Paper: 236B total (235.7B from the shapes), 21B activated per token.
  EXPECT_NEAR(static_cast<double>(counts.total), 235.7e9, 0.01 * 235.7e9);
  EXPECT_GE(counts.active, 20.5e9);
  EXPECT_LE(counts.active, 22e9);
  // Exact values from the shapes, as a regression check.
  EXPECT_EQ(counts.total, 235741434880);
  EXPECT_EQ(counts.active, 20851512320);
  EXPECT_EQ(counts.embedding, 102400LL * 5120);
  EXPECT_EQ(counts.lmHead, 102400LL * 5120);
  EXPECT_EQ(counts.moeGates, 59LL * 160 * 5120);
  EXPECT_EQ(counts.routedExperts, 59LL * 160 * 3 * 5120 * 1536);
  EXPECT_EQ(counts.activeRoutedExperts, 59LL * 6 * 3 * 5120 * 1536);
  EXPECT_EQ(counts.sharedExperts, 59LL * 3 * 5120 * 3072);
  EXPECT_EQ(counts.denseMlp, 3LL * 5120 * 12288);
}

TEST(ParameterCountTest, DeepseekV2LiteMatchesPaper) {
  ParameterCounts counts = countParameters(preset("deepseek-v2-lite"));
  // Paper: 15.7B total, 2.4B activated per token.
  EXPECT_NEAR(static_cast<double>(counts.total), 15.7e9, 0.01 * 15.7e9);
  EXPECT_GE(counts.active, 2.35e9);
  EXPECT_LE(counts.active, 2.5e9);
  EXPECT_EQ(counts.total, 15706484224);
  EXPECT_EQ(counts.active, 2451435008);
}

TEST(ParameterCountTest, PartsSumToTotal) {
  for (const std::string &name : presetNames()) {
    ModelConfig config = preset(name);
    ParameterCounts c = countParameters(config);
    EXPECT_EQ(c.total, c.embedding + c.lmHead + c.attention + c.norms +
                           c.denseMlp + c.moeGates + c.routedExperts +
                           c.sharedExperts)
        << name;
    int64_t sum = 0;
    for (const TensorSpec &tensor : requiredTensors(config))
      sum += tensor.numElements();
    EXPECT_EQ(c.total, sum) << name;
    EXPECT_EQ(c.active,
              c.total - c.embedding - c.routedExperts + c.activeRoutedExperts)
        << name;
  }
}

TEST(ParameterCountTest, Tiny) {
  ParameterCounts counts = countParameters(preset("tiny"));
  EXPECT_EQ(counts.total, 257712);
  EXPECT_EQ(counts.active, 151216);
}

TEST(ParameterCountTest, TiedEmbeddingsCountTheTableOnce) {
  ModelConfig config = preset("tiny");
  ParameterCounts untied = countParameters(config);
  config.tieWordEmbeddings = true;
  ParameterCounts tied = countParameters(config);
  EXPECT_EQ(tied.lmHead, 0);
  EXPECT_EQ(tied.total, untied.total - untied.lmHead);
  // The shared table is the output projection every token multiplies with.
  EXPECT_EQ(tied.active, untied.active);
}

TEST(ParameterCountTest, KvCacheBytesPerToken) {
  ModelConfig v2 = preset("deepseek-v2");
  EXPECT_EQ(kvCacheBytesPerToken(v2, /*elementBytes=*/2, /*latent=*/true),
            69120);
  EXPECT_EQ(kvCacheBytesPerToken(v2, /*elementBytes=*/1, /*latent=*/true),
            34560);
  EXPECT_EQ(kvCacheBytesPerToken(v2, /*elementBytes=*/2, /*latent=*/false),
            60LL * 128 * (192 + 128) * 2);
  ModelConfig lite = preset("deepseek-v2-lite");
  EXPECT_EQ(kvCacheBytesPerToken(lite, 2, true), 576LL * 27 * 2);
  EXPECT_EQ(kvCacheBytesPerToken(lite, 4, false), 27LL * 16 * 320 * 4);
}

} // namespace
} // namespace dsv2::model
