//===- ParameterCount.cpp - Parameter and KV-cache accounting -------------===//

#include "models/deepseek_v2/ParameterCount.h"

#include <map>

#include "models/deepseek_v2/TensorNames.h"

namespace dsv2::model {

ParameterCounts countParameters(const ModelConfig &config) {
  ParameterCounts counts;
  // Routed-expert parameters per MoE layer; experts of a layer are equal in
  // size, so a token uses numExpertsPerTok / nRoutedExperts of them.
  std::map<int64_t, int64_t> routedPerLayer;
  for (const TensorSpec &tensor : requiredTensors(config)) {
    int64_t size = tensor.numElements();
    counts.total += size;
    switch (tensor.role) {
    case TensorRole::Embedding:
      counts.embedding += size;
      break;
    case TensorRole::LmHead:
      counts.lmHead += size;
      break;
    case TensorRole::Norm:
      counts.norms += size;
      break;
    case TensorRole::Attention:
      counts.attention += size;
      break;
    case TensorRole::DenseMlp:
      counts.denseMlp += size;
      break;
    case TensorRole::MoeGate:
      counts.moeGates += size;
      break;
    case TensorRole::RoutedExpert:
      counts.routedExperts += size;
      routedPerLayer[tensor.layer] += size;
      break;
    case TensorRole::SharedExpert:
      counts.sharedExperts += size;
      break;
    }
  }
  for (const auto &[layer, size] : routedPerLayer)
    counts.activeRoutedExperts +=
        size / config.nRoutedExperts * config.numExpertsPerTok;

  // With tied embeddings the table is the output projection every token
  // multiplies with.
  int64_t outputProjection =
      config.tieWordEmbeddings ? counts.embedding : counts.lmHead;
  counts.active = counts.attention + counts.norms + counts.denseMlp +
                  counts.moeGates + counts.sharedExperts +
                  counts.activeRoutedExperts + outputProjection;
  return counts;
}

int64_t kvCacheBytesPerToken(const ModelConfig &config, int64_t elementBytes,
                             bool latent) {
  int64_t elementsPerLayer =
      latent ? config.kvLoraRank + config.qkRopeHeadDim
             : config.numAttentionHeads * (config.qHeadDim() + config.vHeadDim);
  return elementsPerLayer * config.numHiddenLayers * elementBytes;
}

} // namespace dsv2::model
