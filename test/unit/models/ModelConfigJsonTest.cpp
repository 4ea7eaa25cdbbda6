//===- ModelConfigJsonTest.cpp - config.json reader and writer tests ------===//

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "models/deepseek_v2/ModelConfig.h"
#include "models/deepseek_v2/Presets.h"
#include "nlohmann/json.hpp"
#include "test/unit/models/ModelConfigTestData.h"
#include "gtest/gtest.h"

namespace dsv2::model {
namespace {

using nlohmann::json;
using testing::kDeepseekV2ConfigJson;
using testing::kDeepseekV2LiteConfigJson;

ModelConfig preset(std::string_view name) {
  absl::StatusOr<ModelConfig> config = presetConfig(name);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

/// The DeepSeek-V2 config.json with `key` set to `value` (or removed when
/// `value` is discarded).
std::string v2ConfigWith(std::string_view key, json value) {
  json root = json::parse(kDeepseekV2ConfigJson);
  if (value.is_discarded())
    root.erase(std::string(key));
  else
    root[std::string(key)] = std::move(value);
  return root.dump(2);
}

std::string v2ConfigWithout(std::string_view key) {
  return v2ConfigWith(key, json(json::value_t::discarded));
}

std::string v2ConfigWithRopeScaling(json ropeScaling) {
  return v2ConfigWith("rope_scaling", std::move(ropeScaling));
}

/// The error message of parsing `text`, checking that parsing fails with a
/// single-line InvalidArgument.
std::string parseErrorOf(const std::string &text) {
  absl::StatusOr<ModelConfig> config =
      parseModelConfigJson(text, "config.json");
  EXPECT_FALSE(config.ok());
  if (config.ok())
    return "";
  EXPECT_EQ(config.status().code(), absl::StatusCode::kInvalidArgument);
  std::string message(config.status().message());
  EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  return message;
}

ModelConfig parseOk(const std::string &text) {
  absl::StatusOr<ModelConfig> config =
      parseModelConfigJson(text, "config.json");
  EXPECT_TRUE(config.ok()) << config.status();
  return config.ok() ? *config : ModelConfig();
}

TEST(ModelConfigJsonTest, ParsesReleasedDeepseekV2Config) {
  ModelConfig config = parseOk(kDeepseekV2ConfigJson);
  EXPECT_EQ(config, preset("deepseek-v2"));
  EXPECT_EQ(config.topkMethod, TopkMethod::GroupLimitedGreedy);
  EXPECT_EQ(config.qLoraRank, 1536);
  ASSERT_TRUE(config.ropeScaling.has_value());
  EXPECT_EQ(config.ropeScaling->factor, 40.0);
  EXPECT_EQ(config.ropeScaling->originalMaxPositionEmbeddings, 4096);
  EXPECT_EQ(config.routedScalingFactor, 16.0);
  EXPECT_NEAR(config.softmaxScale(), 0.1147214, 1e-6);
}

TEST(ModelConfigJsonTest, ParsesReleasedDeepseekV2LiteConfig) {
  ModelConfig config = parseOk(kDeepseekV2LiteConfigJson);
  EXPECT_EQ(config, preset("deepseek-v2-lite"));
  EXPECT_FALSE(config.qLoraRank.has_value());
  EXPECT_EQ(config.topkMethod, TopkMethod::Greedy);
}

TEST(ModelConfigJsonTest, AcceptsGreadySpelling) {
  ModelConfig config = parseOk(v2ConfigWith("topk_method", "gready"));
  EXPECT_EQ(config.topkMethod, TopkMethod::Greedy);
  config = parseOk(v2ConfigWith("topk_method", "greedy"));
  EXPECT_EQ(config.topkMethod, TopkMethod::Greedy);
}

TEST(ModelConfigJsonTest, MalformedJsonReportsPosition) {
  std::string message = parseErrorOf("{\"vocab_size\": 102400,,}");
  EXPECT_EQ(message.rfind("config.json: malformed JSON at byte 23: ", 0), 0u)
      << message;
  EXPECT_NE(message.find("line 1, column 23"), std::string::npos) << message;
}

TEST(ModelConfigJsonTest, TopLevelMustBeObject) {
  EXPECT_EQ(parseErrorOf("[1, 2]"),
            "config.json: expected a JSON object at the top level, got [1,2]");
}

TEST(ModelConfigJsonTest, MissingRequiredField) {
  EXPECT_EQ(parseErrorOf(v2ConfigWithout("kv_lora_rank")),
            "config.json: missing required field 'kv_lora_rank'");
  EXPECT_EQ(parseErrorOf(v2ConfigWithout("vocab_size")),
            "config.json: missing required field 'vocab_size'");
}

TEST(ModelConfigJsonTest, MoeFieldsRequiredWhenExpertsRouted) {
  EXPECT_EQ(parseErrorOf(v2ConfigWithout("moe_intermediate_size")),
            "config.json: missing required field 'moe_intermediate_size'");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("num_experts_per_tok", nullptr)),
            "config.json: missing required field 'num_experts_per_tok'");
}

TEST(ModelConfigJsonTest, WrongTypeNamesFieldAndValue) {
  EXPECT_EQ(
      parseErrorOf(v2ConfigWith("hidden_size", "2048")),
      "config.json: field 'hidden_size' must be an integer, got \"2048\"");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("hidden_size", 2048.5)),
            "config.json: field 'hidden_size' must be an integer, got 2048.5");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("kv_lora_rank", nullptr)),
            "config.json: field 'kv_lora_rank' must be an integer, got null");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("rms_norm_eps", "tiny")),
            "config.json: field 'rms_norm_eps' must be a number, got \"tiny\"");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("norm_topk_prob", 1)),
            "config.json: field 'norm_topk_prob' must be a boolean, got 1");
  // Long values are shortened.
  std::string message =
      parseErrorOf(v2ConfigWith("hidden_size", std::vector<int>(100, 12345)));
  EXPECT_EQ(message.rfind("config.json: field 'hidden_size' must be an "
                          "integer, got [12345,12345,",
                          0),
            0u)
      << message;
  EXPECT_EQ(message.substr(message.size() - 3), "...");
  EXPECT_LT(message.size(), 150u);
  EXPECT_EQ(parseErrorOf(v2ConfigWith("topk_method", 3)),
            "config.json: field 'topk_method' must be a string, got 3");
  EXPECT_EQ(
      parseErrorOf(
          v2ConfigWith("vocab_size", json::parse("18446744073709551615"))),
      "config.json: field 'vocab_size' must be a 64-bit signed integer, got "
      "18446744073709551615");
}

TEST(ModelConfigJsonTest, UnsupportedTopkMethod) {
  EXPECT_EQ(parseErrorOf(v2ConfigWith("topk_method", "noaux_tc")),
            "config.json: field 'topk_method' has unsupported value "
            "\"noaux_tc\" (supported: \"greedy\", \"gready\", "
            "\"group_limited_greedy\")");
}

TEST(ModelConfigJsonTest, UnsupportedScoringFunc) {
  EXPECT_EQ(parseErrorOf(v2ConfigWith("scoring_func", "sigmoid")),
            "config.json: field 'scoring_func' has unsupported value "
            "\"sigmoid\" (supported: \"softmax\")");
  // Absent means softmax.
  parseOk(v2ConfigWithout("scoring_func"));
}

TEST(ModelConfigJsonTest, UnsupportedHiddenAct) {
  EXPECT_EQ(parseErrorOf(v2ConfigWith("hidden_act", "gelu")),
            "config.json: field 'hidden_act' has unsupported value \"gelu\" "
            "(supported: \"silu\")");
}

TEST(ModelConfigJsonTest, UnsupportedRopeScalingType) {
  EXPECT_EQ(parseErrorOf(
                v2ConfigWithRopeScaling({{"type", "linear"}, {"factor", 2.0}})),
            "config.json: field 'rope_scaling.type' has unsupported value "
            "\"linear\" (supported: \"yarn\")");
  EXPECT_EQ(parseErrorOf(v2ConfigWithRopeScaling(
                {{"rope_type", "dynamic"}, {"factor", 2.0}})),
            "config.json: field 'rope_scaling.rope_type' has unsupported value "
            "\"dynamic\" (supported: \"yarn\")");
  EXPECT_EQ(parseErrorOf(v2ConfigWithRopeScaling({{"factor", 2.0}})),
            "config.json: missing required field 'rope_scaling.type'");
  EXPECT_EQ(parseErrorOf(v2ConfigWithRopeScaling({{"type", "yarn"}})),
            "config.json: missing required field 'rope_scaling.factor'");
  EXPECT_EQ(parseErrorOf(v2ConfigWithRopeScaling("yarn")),
            "config.json: field 'rope_scaling' must be an object or null, got "
            "\"yarn\"");
}

TEST(ModelConfigJsonTest, RopeTypeKeyAndYarnDefaults) {
  ModelConfig config =
      parseOk(v2ConfigWithRopeScaling({{"rope_type", "yarn"}, {"factor", 4}}));
  ASSERT_TRUE(config.ropeScaling.has_value());
  EXPECT_EQ(config.ropeScaling->factor, 4.0);
  EXPECT_EQ(config.ropeScaling->originalMaxPositionEmbeddings, 4096);
  EXPECT_EQ(config.ropeScaling->betaFast, 32.0);
  EXPECT_EQ(config.ropeScaling->betaSlow, 1.0);
  EXPECT_EQ(config.ropeScaling->mscale, 1.0);
  EXPECT_EQ(config.ropeScaling->mscaleAllDim, 0.0);
  // mscale_all_dim 0: no softmax correction; cos/sin scaled by mscale(4, 1).
  EXPECT_DOUBLE_EQ(config.softmaxScale(), 1.0 / std::sqrt(192.0));
  EXPECT_DOUBLE_EQ(config.ropeCosSinScale(), 0.1 * std::log(4.0) + 1.0);
}

TEST(ModelConfigJsonTest, NullRopeScalingMeansPlainRope) {
  ModelConfig config = parseOk(v2ConfigWithRopeScaling(nullptr));
  EXPECT_FALSE(config.ropeScaling.has_value());
  EXPECT_DOUBLE_EQ(config.softmaxScale(), 1.0 / std::sqrt(192.0));
  EXPECT_EQ(config.ropeCosSinScale(), 1.0);
  EXPECT_FALSE(parseOk(v2ConfigWithout("rope_scaling")).ropeScaling);
}

TEST(ModelConfigJsonTest, NullQLoraRankMeansPlainQProj) {
  ModelConfig config = parseOk(v2ConfigWith("q_lora_rank", nullptr));
  EXPECT_FALSE(config.qLoraRank.has_value());
  // Absent follows the reference default (1536).
  EXPECT_EQ(parseOk(v2ConfigWithout("q_lora_rank")).qLoraRank, 1536);
}

TEST(ModelConfigJsonTest, NullRoutedExpertsMeansDenseModel) {
  json root = json::parse(kDeepseekV2ConfigJson);
  root["n_routed_experts"] = nullptr;
  root["n_shared_experts"] = nullptr;
  root["num_experts_per_tok"] = nullptr;
  root.erase("moe_intermediate_size");
  ModelConfig config = parseOk(root.dump());
  EXPECT_EQ(config.nRoutedExperts, 0);
  EXPECT_EQ(config.nSharedExperts, 0);
  EXPECT_EQ(config.numExpertsPerTok, 0);
  EXPECT_EQ(config.numMoeLayers(), 0);
  for (int64_t layer = 0; layer < config.numHiddenLayers; ++layer)
    EXPECT_FALSE(config.isMoeLayer(layer)) << layer;
}

TEST(ModelConfigJsonTest, OptionalFieldsTakeReferenceDefaults) {
  json minimal = {{"vocab_size", 102400},     {"hidden_size", 64},
                  {"intermediate_size", 128}, {"num_hidden_layers", 2},
                  {"num_attention_heads", 4}, {"kv_lora_rank", 32},
                  {"qk_nope_head_dim", 16},   {"qk_rope_head_dim", 8},
                  {"v_head_dim", 16}};
  ModelConfig config = parseOk(minimal.dump());
  EXPECT_EQ(config.numKeyValueHeads, 4);
  EXPECT_EQ(config.qLoraRank, 1536);
  EXPECT_EQ(config.nRoutedExperts, 0);
  EXPECT_EQ(config.nSharedExperts, 0);
  EXPECT_EQ(config.firstKDenseReplace, 0);
  EXPECT_EQ(config.moeLayerFreq, 1);
  EXPECT_EQ(config.topkMethod, TopkMethod::Greedy);
  EXPECT_EQ(config.nGroup, 1);
  EXPECT_EQ(config.topkGroup, 1);
  EXPECT_EQ(config.routedScalingFactor, 1.0);
  EXPECT_FALSE(config.normTopkProb);
  EXPECT_EQ(config.ropeTheta, 10000.0);
  EXPECT_FALSE(config.ropeScaling.has_value());
  EXPECT_EQ(config.maxPositionEmbeddings, 2048);
  EXPECT_EQ(config.rmsNormEps, 1e-6);
  EXPECT_FALSE(config.tieWordEmbeddings);
  EXPECT_EQ(config.bosTokenId, 100000);
  EXPECT_EQ(config.eosTokenId, 100001);
}

TEST(ModelConfigJsonTest, NullGroupsDefaultToOne) {
  json root = json::parse(kDeepseekV2LiteConfigJson);
  root["n_group"] = nullptr;
  root["topk_group"] = nullptr;
  root["num_key_value_heads"] = nullptr;
  ModelConfig config = parseOk(root.dump());
  EXPECT_EQ(config.nGroup, 1);
  EXPECT_EQ(config.topkGroup, 1);
  EXPECT_EQ(config.numKeyValueHeads, 16);
}

TEST(ModelConfigJsonTest, UnknownAndTrainingOnlyFieldsIgnored) {
  json root = json::parse(kDeepseekV2ConfigJson);
  root["aux_loss_alpha"] = "not a number";
  root["seq_aux"] = 7;
  root["ep_size"] = {1, 2};
  root["some_future_field"] = {{"nested", true}};
  EXPECT_EQ(parseOk(root.dump()), preset("deepseek-v2"));
}

TEST(ModelConfigJsonTest, RejectsFeaturesTheCheckpointLayoutLacks) {
  EXPECT_EQ(parseErrorOf(v2ConfigWith("attention_bias", true)),
            "config.json: field 'attention_bias' has unsupported value true "
            "(supported: false)");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("use_mla", false)),
            "config.json: field 'use_mla' has unsupported value false "
            "(supported: true)");
}

TEST(ModelConfigJsonTest, ValidationFailuresCarrySourceName) {
  EXPECT_EQ(parseErrorOf(v2ConfigWith("n_group", 7)),
            "config.json: field 'n_routed_experts' (160) must be divisible by "
            "field 'n_group' (7) for topk_method \"group_limited_greedy\"");
  EXPECT_EQ(parseErrorOf(v2ConfigWith("num_key_value_heads", 1)),
            "config.json: field 'num_key_value_heads' is 1 but multi-head "
            "latent attention needs it equal to 'num_attention_heads' (128)");
}

TEST(ModelConfigJsonTest, RoundTripsThroughJson) {
  for (const std::string &name : presetNames()) {
    ModelConfig config = preset(name);
    std::string text = modelConfigToJson(config);
    EXPECT_EQ(parseOk(text), config) << name << "\n" << text;
  }
  // A dense model with a plain q_proj, tied embeddings and plain RoPE.
  ModelConfig dense = preset("tiny");
  dense.nRoutedExperts = 0;
  dense.nSharedExperts = 0;
  dense.numExpertsPerTok = 0;
  dense.topkMethod = TopkMethod::Greedy;
  dense.nGroup = 1;
  dense.topkGroup = 1;
  dense.qLoraRank = std::nullopt;
  dense.tieWordEmbeddings = true;
  dense.ropeScaling = std::nullopt;
  dense.rmsNormEps = 1.0 / 3.0;
  ASSERT_TRUE(validateModelConfig(dense).ok());
  EXPECT_EQ(parseOk(modelConfigToJson(dense)), dense);
}

TEST(ModelConfigJsonTest, WrittenJsonUsesHuggingFaceNames) {
  json root = json::parse(modelConfigToJson(preset("deepseek-v2-lite")));
  EXPECT_TRUE(root["q_lora_rank"].is_null());
  EXPECT_EQ(root["topk_method"], "greedy");
  EXPECT_EQ(root["n_routed_experts"], 64);
  EXPECT_EQ(root["rope_scaling"]["type"], "yarn");
  EXPECT_EQ(root["rope_scaling"]["mscale_all_dim"], 0.707);
  EXPECT_EQ(root["kv_lora_rank"], 512);
}

TEST(ModelConfigJsonTest, LoadsConfigFromModelDirectory) {
  std::filesystem::path dir =
      std::filesystem::path(::testing::TempDir()) / "dsv2_model_config_test";
  std::filesystem::create_directories(dir);
  {
    std::ofstream file(dir / "config.json");
    file << kDeepseekV2LiteConfigJson;
  }
  absl::StatusOr<ModelConfig> config = loadModelConfig(dir.string());
  ASSERT_TRUE(config.ok()) << config.status();
  EXPECT_EQ(*config, preset("deepseek-v2-lite"));

  {
    std::ofstream file(dir / "config.json");
    file << "{}";
  }
  config = loadModelConfig(dir.string() + "/");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().message(),
            (dir / "config.json").string() +
                ": missing required field 'vocab_size'");
  std::filesystem::remove_all(dir);

  config = loadModelConfig(dir.string());
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.status().code(), absl::StatusCode::kNotFound);
  EXPECT_NE(config.status().message().find((dir / "config.json").string()),
            std::string::npos)
      << config.status();
}

} // namespace
} // namespace dsv2::model
