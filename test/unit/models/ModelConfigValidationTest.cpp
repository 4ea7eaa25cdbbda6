//===- ModelConfigValidationTest.cpp - validateModelConfig tests ----------===//

#include <functional>
#include <limits>
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

/// The validation message of `name` after `mutate`, expecting failure.
std::string problemAfter(std::string_view name,
                         const std::function<void(ModelConfig &)> &mutate) {
  ModelConfig config = preset(name);
  mutate(config);
  absl::Status status = validateModelConfig(config);
  EXPECT_FALSE(status.ok());
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  return std::string(status.message());
}

TEST(ModelConfigValidationTest, PresetsAreValid) {
  for (const std::string &name : presetNames())
    EXPECT_TRUE(validateModelConfig(preset(name)).ok()) << name;
}

TEST(ModelConfigValidationTest, RoutedExpertsMustDivideIntoGroups) {
  EXPECT_EQ(problemAfter("deepseek-v2",
                         [](ModelConfig &c) { c.nRoutedExperts = 100; }),
            "field 'n_routed_experts' (100) must be divisible by field "
            "'n_group' (8) for topk_method \"group_limited_greedy\"");
  // Greedy routing ignores the groups.
  ModelConfig greedy = preset("deepseek-v2");
  greedy.topkMethod = TopkMethod::Greedy;
  greedy.nRoutedExperts = 100;
  EXPECT_TRUE(validateModelConfig(greedy).ok());
}

TEST(ModelConfigValidationTest, TopkGroupMustNotExceedGroups) {
  EXPECT_EQ(
      problemAfter("deepseek-v2", [](ModelConfig &c) { c.topkGroup = 9; }),
      "field 'topk_group' (9) must not exceed field 'n_group' (8)");
}

TEST(ModelConfigValidationTest, ExpertsPerTokenBounded) {
  EXPECT_EQ(problemAfter("deepseek-v2-lite",
                         [](ModelConfig &c) { c.numExpertsPerTok = 65; }),
            "field 'num_experts_per_tok' (65) must not exceed field "
            "'n_routed_experts' (64)");
  // tiny: 8 experts in 4 groups, 2 groups kept -> at most 4 eligible.
  EXPECT_EQ(
      problemAfter("tiny", [](ModelConfig &c) { c.numExpertsPerTok = 5; }),
      "field 'num_experts_per_tok' (5) exceeds the 4 experts in the "
      "'topk_group' (2) groups a token may use under "
      "\"group_limited_greedy\"");
  EXPECT_EQ(
      problemAfter("tiny", [](ModelConfig &c) { c.numExpertsPerTok = 0; }),
      "field 'num_experts_per_tok' must be positive, got 0");
}

TEST(ModelConfigValidationTest, KeyValueHeadsMustEqualHeads) {
  EXPECT_EQ(
      problemAfter("tiny", [](ModelConfig &c) { c.numKeyValueHeads = 2; }),
      "field 'num_key_value_heads' is 2 but multi-head latent attention "
      "needs it equal to 'num_attention_heads' (4)");
}

TEST(ModelConfigValidationTest, RopeHeadDimMustBeEven) {
  EXPECT_EQ(
      problemAfter("tiny", [](ModelConfig &c) { c.qkRopeHeadDim = 7; }),
      "field 'qk_rope_head_dim' must be even (RoPE rotates pairs), got 7");
}

TEST(ModelConfigValidationTest, DimensionsMustBePositive) {
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.hiddenSize = 0; }),
            "field 'hidden_size' must be positive, got 0");
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.qLoraRank = -1; }),
            "field 'q_lora_rank' must be positive, got -1");
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.kvLoraRank = -4; }),
            "field 'kv_lora_rank' must be positive, got -4");
  EXPECT_EQ(
      problemAfter("tiny", [](ModelConfig &c) { c.moeIntermediateSize = 0; }),
      "field 'moe_intermediate_size' must be positive, got 0");
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.nSharedExperts = -1; }),
            "field 'n_shared_experts' must not be negative, got -1");
}

TEST(ModelConfigValidationTest, MoeLayerFrequencyAtLeastOne) {
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.moeLayerFreq = 0; }),
            "field 'moe_layer_freq' must be positive, got 0");
}

TEST(ModelConfigValidationTest, RmsNormEpsMustBePositive) {
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.rmsNormEps = 0.0; }),
            "field 'rms_norm_eps' must be a positive number, got 0");
  EXPECT_EQ(problemAfter("tiny",
                         [](ModelConfig &c) {
                           c.rmsNormEps =
                               std::numeric_limits<double>::quiet_NaN();
                         }),
            "field 'rms_norm_eps' must be a positive number, got nan");
}

TEST(ModelConfigValidationTest, YarnFactorAtLeastOne) {
  EXPECT_EQ(problemAfter("deepseek-v2",
                         [](ModelConfig &c) { c.ropeScaling->factor = 0.5; }),
            "field 'rope_scaling.factor' must be >= 1 for yarn, got 0.5");
  EXPECT_EQ(problemAfter("deepseek-v2",
                         [](ModelConfig &c) { c.ropeScaling->betaSlow = 0; }),
            "field 'rope_scaling.beta_slow' must be a positive number, got 0");
}

TEST(ModelConfigValidationTest, SpecialTokensInsideVocabulary) {
  EXPECT_EQ(problemAfter("tiny", [](ModelConfig &c) { c.eosTokenId = 512; }),
            "field 'eos_token_id' is 512, outside the vocabulary [0, 512)");
}

TEST(ModelConfigValidationTest, DenseModelNeedsNoMoeFields) {
  ModelConfig dense = preset("tiny");
  dense.nRoutedExperts = 0;
  dense.nSharedExperts = 0;
  dense.numExpertsPerTok = 0;
  dense.moeIntermediateSize = 0;
  dense.topkMethod = TopkMethod::Greedy;
  EXPECT_TRUE(validateModelConfig(dense).ok());
  EXPECT_EQ(dense.numMoeLayers(), 0);
}

} // namespace
} // namespace dsv2::model
