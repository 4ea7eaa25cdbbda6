//===- TensorNamesTest.cpp - Checkpoint tensor name tests -----------------===//

#include <map>
#include <set>
#include <string>

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

using ShapeByName = std::map<std::string, std::vector<int64_t>>;

ShapeByName shapesOf(const ModelConfig &config) {
  ShapeByName shapes;
  for (const TensorSpec &tensor : requiredTensors(config)) {
    bool inserted = shapes.emplace(tensor.name, tensor.shape).second;
    EXPECT_TRUE(inserted) << "duplicate tensor " << tensor.name;
  }
  return shapes;
}

TEST(TensorNamesTest, NameHelpers) {
  EXPECT_EQ(layerTensor(3, layer_suffix::kKvBProj),
            "model.layers.3.self_attn.kv_b_proj.weight");
  EXPECT_EQ(routedExpertTensor(1, 159, "down_proj"),
            "model.layers.1.mlp.experts.159.down_proj.weight");
}

TEST(TensorNamesTest, DeepseekV2Layout) {
  ModelConfig config = preset("deepseek-v2");
  ShapeByName shapes = shapesOf(config);
  // 9 attention/norm tensors per layer, 3 dense MLP tensors in layer 0,
  // 1 + 160 * 3 + 3 in each of the 59 MoE layers, embed/norm/lm_head.
  EXPECT_EQ(shapes.size(), 1u + 60 * 9 + 3 + 59 * 484 + 2);
  EXPECT_EQ(requiredTensors(config).size(), shapes.size());

  using Shape = std::vector<int64_t>;
  EXPECT_EQ(shapes["model.embed_tokens.weight"], (Shape{102400, 5120}));
  EXPECT_EQ(shapes["model.norm.weight"], (Shape{5120}));
  EXPECT_EQ(shapes["lm_head.weight"], (Shape{102400, 5120}));
  EXPECT_EQ(shapes["model.layers.0.input_layernorm.weight"], (Shape{5120}));
  EXPECT_EQ(shapes["model.layers.59.post_attention_layernorm.weight"],
            (Shape{5120}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.q_a_proj.weight"],
            (Shape{1536, 5120}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.q_a_layernorm.weight"],
            (Shape{1536}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.q_b_proj.weight"],
            (Shape{128 * 192, 1536}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.kv_a_proj_with_mqa.weight"],
            (Shape{576, 5120}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.kv_a_layernorm.weight"],
            (Shape{512}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.kv_b_proj.weight"],
            (Shape{128 * 256, 512}));
  EXPECT_EQ(shapes["model.layers.7.self_attn.o_proj.weight"],
            (Shape{5120, 128 * 128}));
  EXPECT_EQ(shapes.count("model.layers.7.self_attn.q_proj.weight"), 0u);

  // Layer 0 is dense.
  EXPECT_EQ(shapes["model.layers.0.mlp.gate_proj.weight"],
            (Shape{12288, 5120}));
  EXPECT_EQ(shapes["model.layers.0.mlp.up_proj.weight"], (Shape{12288, 5120}));
  EXPECT_EQ(shapes["model.layers.0.mlp.down_proj.weight"],
            (Shape{5120, 12288}));
  EXPECT_EQ(shapes.count("model.layers.0.mlp.gate.weight"), 0u);

  // Layers 1.. are MoE.
  EXPECT_EQ(shapes.count("model.layers.1.mlp.gate_proj.weight"), 0u);
  EXPECT_EQ(shapes["model.layers.1.mlp.gate.weight"], (Shape{160, 5120}));
  EXPECT_EQ(shapes["model.layers.1.mlp.experts.0.gate_proj.weight"],
            (Shape{1536, 5120}));
  EXPECT_EQ(shapes["model.layers.59.mlp.experts.159.up_proj.weight"],
            (Shape{1536, 5120}));
  EXPECT_EQ(shapes["model.layers.59.mlp.experts.159.down_proj.weight"],
            (Shape{5120, 1536}));
  EXPECT_EQ(shapes.count("model.layers.1.mlp.experts.160.up_proj.weight"), 0u);
  EXPECT_EQ(shapes["model.layers.1.mlp.shared_experts.gate_proj.weight"],
            (Shape{3072, 5120}));
  EXPECT_EQ(shapes["model.layers.1.mlp.shared_experts.down_proj.weight"],
            (Shape{5120, 3072}));
}

TEST(TensorNamesTest, LiteUsesPlainQProj) {
  ShapeByName shapes = shapesOf(preset("deepseek-v2-lite"));
  EXPECT_EQ(shapes["model.layers.0.self_attn.q_proj.weight"],
            (std::vector<int64_t>{16 * 192, 2048}));
  EXPECT_EQ(shapes.count("model.layers.0.self_attn.q_a_proj.weight"), 0u);
  EXPECT_EQ(shapes.count("model.layers.0.self_attn.q_a_layernorm.weight"), 0u);
  EXPECT_EQ(shapes.count("model.layers.0.self_attn.q_b_proj.weight"), 0u);
  EXPECT_EQ(shapes["model.layers.26.mlp.experts.63.down_proj.weight"],
            (std::vector<int64_t>{2048, 1408}));
}

TEST(TensorNamesTest, RolesAndIndices) {
  ModelConfig config = preset("tiny");
  std::set<int64_t> experts;
  for (const TensorSpec &tensor : requiredTensors(config)) {
    if (tensor.role == TensorRole::RoutedExpert) {
      EXPECT_NE(tensor.name.find(".mlp.experts." +
                                 std::to_string(tensor.expert) + "."),
                std::string::npos)
          << tensor.name;
      experts.insert(tensor.expert);
    } else {
      EXPECT_EQ(tensor.expert, -1) << tensor.name;
    }
    if (tensor.layer >= 0) {
      EXPECT_EQ(tensor.name.rfind(
                    "model.layers." + std::to_string(tensor.layer) + ".", 0),
                0u)
          << tensor.name;
    }
    if (tensor.role == TensorRole::Norm) {
      EXPECT_EQ(tensor.shape.size(), 1u) << tensor.name;
    }
  }
  EXPECT_EQ(experts.size(), 8u);
  std::vector<TensorSpec> tensors = requiredTensors(config);
  EXPECT_EQ(tensors.front().role, TensorRole::Embedding);
  EXPECT_EQ(tensors.back().role, TensorRole::LmHead);
}

TEST(TensorNamesTest, TiedEmbeddingsOmitLmHead) {
  ModelConfig config = preset("tiny");
  config.tieWordEmbeddings = true;
  ShapeByName shapes = shapesOf(config);
  EXPECT_EQ(shapes.count("lm_head.weight"), 0u);
  EXPECT_EQ(shapes.count("model.embed_tokens.weight"), 1u);
}

TEST(TensorNamesTest, NoSharedExpertTensorsWithoutSharedExperts) {
  ModelConfig config = preset("tiny");
  config.nSharedExperts = 0;
  ShapeByName shapes = shapesOf(config);
  EXPECT_EQ(shapes.count("model.layers.1.mlp.shared_experts.up_proj.weight"),
            0u);
}

} // namespace
} // namespace dsv2::model
