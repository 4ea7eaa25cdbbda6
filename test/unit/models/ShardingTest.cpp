//===- ShardingTest.cpp - tp x ep placement and its accounting ------------===//

#include "models/deepseek_v2/ParameterCount.h"
#include "models/deepseek_v2/Presets.h"
#include "models/deepseek_v2/Sharding.h"

#include <gtest/gtest.h>

namespace dsv2::model {
namespace {

ModelConfig preset(const char *name) {
  auto config = presetConfig(name);
  EXPECT_TRUE(config.ok()) << config.status();
  return *config;
}

TEST(Sharding, EveryShardedElementIsOnExactlyOneRankPerTensorGroup) {
  // Summed over ranks, a tensor split over tp appears once per expert group,
  // one split over all ranks (shared experts) or owned by an expert group
  // exactly once, a replicated one on every rank.
  ModelConfig config = preset("deepseek-v2-lite");
  for (ParallelLayout layout : {ParallelLayout{2, 1}, ParallelLayout{1, 2},
                                ParallelLayout{2, 2}, ParallelLayout{4, 8}}) {
    SCOPED_TRACE(testing::Message() << "tp " << layout.tp << " ep " << layout.ep);
    ASSERT_TRUE(validateParallelLayout(config, layout).ok());
    for (const TensorSpec &tensor : requiredTensors(config)) {
      TensorPlacement placement = placeTensor(config, layout, tensor);
      int64_t sum = 0;
      for (int64_t rank = 0; rank < layout.world(); ++rank)
        sum += elementsOnRank(tensor, placement, layout, rank);
      int64_t holders =
          placement.expertGroup >= 0 ? layout.tp : layout.world();
      int64_t copies = holders / placement.parts;
      EXPECT_EQ(sum, tensor.numElements() * copies) << tensor.name;
    }
  }
}

TEST(Sharding, RanksHoldAboutOneNthOfTheShardedTensors) {
  ModelConfig config = preset("deepseek-v2");
  ParallelLayout layout{2, 4};
  int64_t total = countParameters(config).total;
  for (const RankFootprint &rank : rankFootprints(config, layout)) {
    SCOPED_TRACE(rank.rank);
    // Attention/MLP shards are 1/tp, routed experts 1/(tp*ep): DeepSeek-V2's
    // weights are mostly routed experts, so a rank holds a bit over 1/8.
    double share = double(rank.shardedElements) / rank.shardedTotal;
    EXPECT_GT(share, 1.0 / layout.world());
    EXPECT_LT(share, 1.3 / layout.world());
    EXPECT_EQ(rank.elements, rank.shardedElements + rank.replicatedElements);
    EXPECT_LT(rank.elements, total / 4);
  }
}

TEST(Sharding, PlacementFollowsTheLayers) {
  ModelConfig config = preset("deepseek-v2-lite");
  ParallelLayout layout{2, 2};
  auto find = [&](const std::string &name) {
    for (const TensorSpec &tensor : requiredTensors(config))
      if (tensor.name == name)
        return placeTensor(config, layout, tensor);
    ADD_FAILURE() << "no tensor " << name;
    return TensorPlacement{};
  };
  EXPECT_EQ(find("model.layers.0.self_attn.q_proj.weight").split, Split::Rows);
  EXPECT_EQ(find("model.layers.0.self_attn.kv_b_proj.weight").split, Split::Rows);
  EXPECT_EQ(find("model.layers.0.self_attn.o_proj.weight").split, Split::Columns);
  EXPECT_EQ(find("model.layers.0.self_attn.kv_a_proj_with_mqa.weight").split,
            Split::Replicated);
  EXPECT_EQ(find("model.layers.0.mlp.down_proj.weight").split, Split::Columns);
  TensorPlacement first = find("model.layers.1.mlp.experts.0.up_proj.weight");
  TensorPlacement last = find("model.layers.1.mlp.experts.63.down_proj.weight");
  EXPECT_EQ(first.expertGroup, 0);
  EXPECT_EQ(last.expertGroup, 1);
  EXPECT_EQ(last.split, Split::Columns);
  EXPECT_EQ(last.parts, 2);
  // Shared experts over all four ranks, owned by no expert group.
  TensorPlacement shared =
      find("model.layers.1.mlp.shared_experts.down_proj.weight");
  EXPECT_EQ(shared.split, Split::Columns);
  EXPECT_EQ(shared.parts, 4);
  EXPECT_EQ(shared.expertGroup, -1);
  EXPECT_EQ(find("lm_head.weight").split, Split::Rows);
  EXPECT_EQ(find("model.embed_tokens.weight").split, Split::Replicated);
}

TEST(Sharding, LayoutsThatDoNotDivideAreNamed) {
  ModelConfig config = preset("deepseek-v2-lite");
  auto status = validateParallelLayout(config, {3, 1});
  EXPECT_EQ(status.message(),
            "num_attention_heads (16) is not divisible by tp (3)");
  status = validateParallelLayout(config, {1, 5});
  EXPECT_EQ(status.message(), "n_routed_experts (64) is not divisible by ep (5)");
  // DeepSeek-V2 routes within 8 groups: expert groups must align with them.
  ModelConfig v2 = preset("deepseek-v2");
  EXPECT_TRUE(validateParallelLayout(v2, {1, 8}).ok());
  status = validateParallelLayout(v2, {1, 16});
  EXPECT_EQ(status.message(), "n_group (8) is not divisible by ep (16)");
  EXPECT_FALSE(validateParallelLayout(config, {0, 1}).ok());
}

TEST(Sharding, CommunicationPerToken) {
  ModelConfig config = preset("deepseek-v2-lite"); // 27 layers, 1 dense
  StepCommunication none = stepCommunicationPerToken(config, {1, 1});
  EXPECT_EQ(none.total(), 0);
  EXPECT_EQ(none.collectivesPerStep, 0);
  StepCommunication tp2 = stepCommunicationPerToken(config, {2, 1});
  // 27 o_proj + 1 dense down_proj all-reduces of 2048 f32 over 2 ranks
  // (each rank sends half of 2 x 8 KiB), 26 MoE all-reduces, logits.
  EXPECT_EQ(tp2.tpAllReduceBytes, 28 * 8192);
  EXPECT_EQ(tp2.moeAllReduceBytes, 26 * 8192);
  EXPECT_EQ(tp2.logitsAllGatherBytes, 102400 * 4 / 2);
  EXPECT_EQ(tp2.collectivesPerStep, 28 + 1 + 26);
  StepCommunication ep2 = stepCommunicationPerToken(config, {1, 2});
  EXPECT_EQ(ep2.tpAllReduceBytes, 0);
  EXPECT_EQ(ep2.moeAllReduceBytes, 26 * 8192);
  EXPECT_EQ(ep2.logitsAllGatherBytes, 0);
}

} // namespace
} // namespace dsv2::model
