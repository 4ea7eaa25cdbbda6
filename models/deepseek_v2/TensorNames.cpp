//===- TensorNames.cpp - Hugging Face checkpoint tensor names -------------===//
//
// Mirrors the module tree of DeepSeek's reference modeling_deepseek.py:
// DeepseekV2Attention, DeepseekV2MLP and DeepseekV2MoE (MoEGate, experts,
// shared_experts with intermediate n_shared_experts * moe_intermediate_size).
//
//===----------------------------------------------------------------------===//

#include "models/deepseek_v2/TensorNames.h"

#include <iterator>

#include "absl/strings/str_cat.h"

namespace dsv2::model {

int64_t TensorSpec::numElements() const {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  return count;
}

namespace {
/// Debian's abseil has its own string_view type, which absl::StrCat needs.
absl::string_view toAbsl(std::string_view text) {
  return absl::string_view(text.data(), text.size());
}
} // namespace

std::string layerTensor(int64_t layer, std::string_view suffix) {
  return absl::StrCat("model.layers.", layer, ".", toAbsl(suffix));
}

std::string routedExpertTensor(int64_t layer, int64_t expert,
                               std::string_view projection) {
  return absl::StrCat("model.layers.", layer, ".mlp.experts.", expert, ".",
                      toAbsl(projection), ".weight");
}

namespace {

/// Appends the gate/up/down projections of a SwiGLU MLP of width
/// `intermediate`, named by `nameOf(projection)`.
template <typename NameFn>
void appendSwiGluMlp(std::vector<TensorSpec> &tensors, NameFn nameOf,
                     int64_t hidden, int64_t intermediate, TensorRole role,
                     int64_t layer, int64_t expert) {
  tensors.push_back(
      {nameOf("gate_proj"), {intermediate, hidden}, role, layer, expert});
  tensors.push_back(
      {nameOf("up_proj"), {intermediate, hidden}, role, layer, expert});
  tensors.push_back(
      {nameOf("down_proj"), {hidden, intermediate}, role, layer, expert});
}

} // namespace

std::vector<TensorSpec> layerTensors(const ModelConfig &c, int64_t layer) {
  namespace sfx = layer_suffix;
  const int64_t hidden = c.hiddenSize;
  const int64_t heads = c.numAttentionHeads;
  std::vector<TensorSpec> t;
  auto add = [&](std::string_view suffix, std::vector<int64_t> shape,
                 TensorRole role) {
    t.push_back({layerTensor(layer, suffix), std::move(shape), role, layer,
                 /*expert=*/-1});
  };

  add(sfx::kInputLayernorm, {hidden}, TensorRole::Norm);
  if (c.qLoraRank) {
    add(sfx::kQAProj, {*c.qLoraRank, hidden}, TensorRole::Attention);
    add(sfx::kQALayernorm, {*c.qLoraRank}, TensorRole::Norm);
    add(sfx::kQBProj, {heads * c.qHeadDim(), *c.qLoraRank},
        TensorRole::Attention);
  } else {
    add(sfx::kQProj, {heads * c.qHeadDim(), hidden}, TensorRole::Attention);
  }
  add(sfx::kKvAProjWithMqa, {c.kvLoraRank + c.qkRopeHeadDim, hidden},
      TensorRole::Attention);
  add(sfx::kKvALayernorm, {c.kvLoraRank}, TensorRole::Norm);
  add(sfx::kKvBProj, {heads * (c.qkNopeHeadDim + c.vHeadDim), c.kvLoraRank},
      TensorRole::Attention);
  add(sfx::kOProj, {hidden, heads * c.vHeadDim}, TensorRole::Attention);
  add(sfx::kPostAttentionLayernorm, {hidden}, TensorRole::Norm);

  if (!c.isMoeLayer(layer)) {
    appendSwiGluMlp(
        t,
        [&](absl::string_view proj) {
          return layerTensor(layer, absl::StrCat("mlp.", proj, ".weight"));
        },
        hidden, c.intermediateSize, TensorRole::DenseMlp, layer,
        /*expert=*/-1);
    return t;
  }

  add(sfx::kMoeGate, {c.nRoutedExperts, hidden}, TensorRole::MoeGate);
  for (int64_t expert = 0; expert < c.nRoutedExperts; ++expert)
    appendSwiGluMlp(
        t,
        [&](std::string_view proj) {
          return routedExpertTensor(layer, expert, proj);
        },
        hidden, c.moeIntermediateSize, TensorRole::RoutedExpert, layer, expert);
  if (c.nSharedExperts > 0)
    appendSwiGluMlp(
        t,
        [&](absl::string_view proj) {
          return layerTensor(
              layer, absl::StrCat("mlp.shared_experts.", proj, ".weight"));
        },
        hidden, c.nSharedExperts * c.moeIntermediateSize,
        TensorRole::SharedExpert, layer, /*expert=*/-1);
  return t;
}

std::vector<TensorSpec> requiredTensors(const ModelConfig &c) {
  std::vector<TensorSpec> tensors;
  tensors.push_back({std::string(kEmbedTokensTensor),
                     {c.vocabSize, c.hiddenSize},
                     TensorRole::Embedding});
  for (int64_t layer = 0; layer < c.numHiddenLayers; ++layer) {
    std::vector<TensorSpec> layerSpecs = layerTensors(c, layer);
    tensors.insert(tensors.end(), std::make_move_iterator(layerSpecs.begin()),
                   std::make_move_iterator(layerSpecs.end()));
  }
  tensors.push_back(
      {std::string(kFinalNormTensor), {c.hiddenSize}, TensorRole::Norm});
  if (!c.tieWordEmbeddings)
    tensors.push_back({std::string(kLmHeadTensor),
                       {c.vocabSize, c.hiddenSize},
                       TensorRole::LmHead});
  return tensors;
}

} // namespace dsv2::model
