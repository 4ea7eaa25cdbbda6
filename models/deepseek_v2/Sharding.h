//===- Sharding.h - Tensor and expert parallel placement --------*- C++ -*-===//
//
// How a DeepSeek-V2 model spreads over tp x ep ranks (rank r is tensor
// rank r % tp of expert group r / tp):
//
//   - attention: heads split by tp (q_proj / q_b_proj and kv_b_proj by
//     rows, o_proj by columns); the latent projections q_a and kv_a_proj
//     are replicated, so every rank caches the full 576-value latent;
//   - dense MLPs: gate/up by rows, down by columns (tp); shared experts
//     the same way over all tp x ep ranks (their partial sums join the
//     routed experts' in the MoE layer's one all-reduce over all ranks);
//   - routed experts: expert e lives in expert group e / (E / ep) and is
//     split by tp inside it; with group-limited routing the expert groups
//     of the router align with the ranks (the paper's device-limited
//     routing), so ep must divide n_group;
//   - norms, the router and the embedding table replicated; lm_head split
//     by vocabulary rows (tp), logits all-gathered.
//
// Activations stay replicated: one all-reduce of [T, hidden] per attention
// and dense MLP within the tp group, one across all ranks per MoE layer
// (routed and shared partial sums together). Plain C++; the report and the
// sharding pass share it.
//
//===----------------------------------------------------------------------===//

#ifndef MODELS_DEEPSEEK_V2_SHARDING_H
#define MODELS_DEEPSEEK_V2_SHARDING_H

#include "models/deepseek_v2/ModelConfig.h"
#include "models/deepseek_v2/TensorNames.h"

#include "absl/status/status.h"

#include <cstdint>
#include <vector>

namespace dsv2::model {

struct ParallelLayout {
  int64_t tp = 1;
  int64_t ep = 1;
  int64_t world() const { return tp * ep; }
  int64_t tpRank(int64_t rank) const { return rank % tp; }
  int64_t epRank(int64_t rank) const { return rank / tp; }
};

/// Whether `layout` divides `config`: heads, MLP widths and the vocabulary
/// by tp; routed experts (and router groups) by ep. The error names the
/// dimension that does not divide.
absl::Status validateParallelLayout(const ModelConfig &config,
                                    const ParallelLayout &layout);

enum class Split {
  /// Every rank (of the tensor's expert group) holds all of it.
  Replicated,
  /// Dimension 0 (output features) in tp equal parts.
  Rows,
  /// Dimension 1 (input features) in tp equal parts.
  Columns,
};

struct TensorPlacement {
  Split split = Split::Replicated;
  /// Equal parts of a split tensor: tp, or tp x ep for shared experts
  /// (part: the rank's tensor rank, or the rank itself); 1 if replicated.
  int64_t parts = 1;
  /// The expert group holding the tensor; -1: every group.
  int64_t expertGroup = -1;
};

TensorPlacement placeTensor(const ModelConfig &config,
                            const ParallelLayout &layout,
                            const TensorSpec &tensor);

/// Elements of `tensor` on `rank` (0 when its expert group is another).
int64_t elementsOnRank(const TensorSpec &tensor,
                       const TensorPlacement &placement,
                       const ParallelLayout &layout, int64_t rank);

struct RankFootprint {
  int64_t rank = 0;
  /// Every element on the rank.
  int64_t elements = 0;
  /// Elements of split or expert-owned tensors on the rank, and those
  /// tensors' full size (the rank holds about 1/world or 1/tp of them).
  int64_t shardedElements = 0;
  int64_t shardedTotal = 0;
  int64_t replicatedElements = 0;
};

std::vector<RankFootprint> rankFootprints(const ModelConfig &config,
                                          const ParallelLayout &layout);

/// Bytes each rank sends per token of a step, with ring collectives
/// (all-reduce of n bytes over p ranks: 2 (p-1)/p n; all-gather: (p-1)/p n).
struct StepCommunication {
  /// Attention and dense-MLP outputs, within the tp group.
  int64_t tpAllReduceBytes = 0;
  /// MoE outputs (routed + shared), across all ranks.
  int64_t moeAllReduceBytes = 0;
  /// Logits, within the tp group.
  int64_t logitsAllGatherBytes = 0;
  int64_t collectivesPerStep = 0;
  int64_t total() const {
    return tpAllReduceBytes + moeAllReduceBytes + logitsAllGatherBytes;
  }
};

StepCommunication stepCommunicationPerToken(const ModelConfig &config,
                                            const ParallelLayout &layout,
                                            int64_t activationBytes = 4);

} // namespace dsv2::model

#endif // MODELS_DEEPSEEK_V2_SHARDING_H
