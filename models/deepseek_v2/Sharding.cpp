//===- Sharding.cpp - Tensor and expert parallel placement ----------------===//

#include "models/deepseek_v2/Sharding.h"

#include "absl/strings/str_cat.h"

#include <string>

namespace dsv2::model {

namespace {

// Debian's abseil has its own string_view: std::string at the boundary.
absl::Status notDivisible(const std::string &what, int64_t value,
                          const std::string &by, int64_t parts) {
  return absl::InvalidArgumentError(
      absl::StrCat(what, " (", value, ") is not divisible by ", by, " (",
                   parts, ")"));
}

bool endsWith(const TensorSpec &tensor, std::string_view suffix) {
  return tensor.name.size() >= suffix.size() &&
         std::string_view(tensor.name).substr(tensor.name.size() -
                                              suffix.size()) == suffix;
}

/// gate/up by output rows, down by input columns.
Split mlpSplit(const TensorSpec &tensor) {
  return endsWith(tensor, "down_proj.weight") ? Split::Columns : Split::Rows;
}

} // namespace

absl::Status validateParallelLayout(const ModelConfig &c,
                                    const ParallelLayout &layout) {
  if (layout.tp < 1 || layout.ep < 1)
    return absl::InvalidArgumentError(absl::StrCat(
        "tp and ep must be at least 1 (got tp ", layout.tp, ", ep ", layout.ep,
        ")"));
  if (c.numAttentionHeads % layout.tp)
    return notDivisible("num_attention_heads", c.numAttentionHeads, "tp",
                        layout.tp);
  if (c.intermediateSize % layout.tp)
    return notDivisible("intermediate_size", c.intermediateSize, "tp",
                        layout.tp);
  if (c.vocabSize % layout.tp)
    return notDivisible("vocab_size", c.vocabSize, "tp", layout.tp);
  bool hasMoe = c.numMoeLayers() > 0;
  if (hasMoe && c.moeIntermediateSize % layout.tp)
    return notDivisible("moe_intermediate_size", c.moeIntermediateSize, "tp",
                        layout.tp);
  if (layout.ep > 1 && !hasMoe)
    return absl::InvalidArgumentError(
        "ep > 1 needs routed experts; this model has no MoE layer");
  if (hasMoe && c.nRoutedExperts % layout.ep)
    return notDivisible("n_routed_experts", c.nRoutedExperts, "ep", layout.ep);
  int64_t sharedIntermediate = c.moeIntermediateSize * c.nSharedExperts;
  if (hasMoe && sharedIntermediate % layout.world())
    return notDivisible("the shared experts' intermediate size",
                        sharedIntermediate, "tp x ep", layout.world());
  if (hasMoe && c.topkMethod == TopkMethod::GroupLimitedGreedy &&
      c.nGroup % layout.ep)
    return notDivisible("n_group", c.nGroup, "ep", layout.ep);
  return absl::OkStatus();
}

TensorPlacement placeTensor(const ModelConfig &c, const ParallelLayout &layout,
                            const TensorSpec &tensor) {
  namespace sfx = layer_suffix;
  const int64_t tp = layout.tp;
  switch (tensor.role) {
  case TensorRole::Embedding:
  case TensorRole::Norm:
  case TensorRole::MoeGate:
    return {Split::Replicated, 1, -1};
  case TensorRole::LmHead:
    return {Split::Rows, tp, -1};
  case TensorRole::Attention:
    if (endsWith(tensor, sfx::kQProj) || endsWith(tensor, sfx::kQBProj) ||
        endsWith(tensor, sfx::kKvBProj))
      return {Split::Rows, tp, -1};
    if (endsWith(tensor, sfx::kOProj))
      return {Split::Columns, tp, -1};
    return {Split::Replicated, 1, -1}; // q_a_proj, kv_a_proj_with_mqa
  case TensorRole::DenseMlp:
    return {mlpSplit(tensor), tp, -1};
  case TensorRole::SharedExpert:
    return {mlpSplit(tensor), layout.world(), -1};
  case TensorRole::RoutedExpert:
    return {mlpSplit(tensor), tp,
            tensor.expert / (c.nRoutedExperts / layout.ep)};
  }
  return {Split::Replicated, 1, -1};
}

int64_t elementsOnRank(const TensorSpec &tensor,
                       const TensorPlacement &placement,
                       const ParallelLayout &layout, int64_t rank) {
  if (placement.expertGroup >= 0 && placement.expertGroup != layout.epRank(rank))
    return 0;
  return tensor.numElements() / placement.parts;
}

std::vector<RankFootprint> rankFootprints(const ModelConfig &config,
                                          const ParallelLayout &layout) {
  std::vector<RankFootprint> ranks(layout.world());
  for (int64_t rank = 0; rank < layout.world(); ++rank)
    ranks[rank].rank = rank;
  for (const TensorSpec &tensor : requiredTensors(config)) {
    TensorPlacement placement = placeTensor(config, layout, tensor);
    bool sharded =
        placement.split != Split::Replicated || placement.expertGroup >= 0;
    for (RankFootprint &footprint : ranks) {
      int64_t here = elementsOnRank(tensor, placement, layout, footprint.rank);
      footprint.elements += here;
      if (sharded) {
        footprint.shardedElements += here;
        footprint.shardedTotal += tensor.numElements();
      } else {
        footprint.replicatedElements += here;
      }
    }
  }
  return ranks;
}

StepCommunication stepCommunicationPerToken(const ModelConfig &c,
                                            const ParallelLayout &layout,
                                            int64_t activationBytes) {
  StepCommunication result;
  int64_t hiddenBytes = c.hiddenSize * activationBytes;
  auto allReduce = [&](int64_t parts) {
    return parts <= 1 ? 0 : 2 * (parts - 1) * hiddenBytes / parts;
  };
  int64_t moeLayers = c.numMoeLayers();
  int64_t denseLayers = c.numHiddenLayers - moeLayers;
  if (layout.tp > 1) {
    // o_proj of every layer and down_proj of every dense MLP.
    result.tpAllReduceBytes = (c.numHiddenLayers + denseLayers) *
                              allReduce(layout.tp);
    result.collectivesPerStep += c.numHiddenLayers + denseLayers;
    result.logitsAllGatherBytes =
        (layout.tp - 1) * c.vocabSize * activationBytes / layout.tp;
    result.collectivesPerStep += 1;
  }
  if (layout.world() > 1 && moeLayers > 0) {
    result.moeAllReduceBytes = moeLayers * allReduce(layout.world());
    result.collectivesPerStep += moeLayers;
  }
  return result;
}

} // namespace dsv2::model
