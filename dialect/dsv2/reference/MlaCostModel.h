//===- MlaCostModel.h - Naive vs absorbed MLA, per step ---------*- C++ -*-===//
//
// FLOPs and bytes of one MLA layer for one step, in the decompressed form
// (K/V rebuilt from the latent cache through kv_b_proj) and in the absorbed
// form (MQA over [c | k_pe]), as functions of the tokens in the step and the
// context length. The `auto` absorption policy picks the cheaper by a
// roofline estimate. docs/mla-absorption-cost-model.md derives the formulas.
// Plain C++: the runtime's launch program uses the same rule.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_REFERENCE_MLACOSTMODEL_H
#define DIALECT_DSV2_REFERENCE_MLACOSTMODEL_H

#include <cstdint>

namespace dsv2::reference {

/// The shapes the cost depends on (config.json names in comments).
struct MlaCostShape {
  int64_t heads;        ///< num_attention_heads (N)
  int64_t kvLoraRank;   ///< kv_lora_rank (C)
  int64_t nope;         ///< qk_nope_head_dim (P)
  int64_t rope;         ///< qk_rope_head_dim (R)
  int64_t vHead;        ///< v_head_dim (V)
  int64_t weightBytes;  ///< bytes per weight element (2 for bf16)
  int64_t cacheBytes;   ///< bytes per cached element (2 for bf16)
};

/// Work of one layer for one step: T new tokens over a context of L
/// positions (L includes the T new ones).
struct MlaStepCost {
  double flops;
  double bytes;
  /// Roofline time in units of 1/peak-FLOP/s for a machine whose
  /// balance is `flopsPerByte`: max(flops, bytes * flopsPerByte).
  double time(double flopsPerByte) const {
    double memory = bytes * flopsPerByte;
    return flops > memory ? flops : memory;
  }
};

/// Decompressed form: rebuild k_nope/v for all L positions through kv_b,
/// then per-head attention of width P+R (scores) and V (values).
MlaStepCost decompressedStepCost(const MlaCostShape &shape, int64_t tokens,
                                 int64_t context);

/// Absorbed form: q_lat = q_nope W_UK, MQA of width C+R over the latent
/// cache, o_lat (C wide) through W_UV.
MlaStepCost absorbedStepCost(const MlaCostShape &shape, int64_t tokens,
                             int64_t context);

/// Machine balance used when none is given: peak FLOP/s over memory bytes/s
/// (~200 for an H200 in bf16, ~10-30 for CPUs); the choice only flips near
/// the crossover, where both forms cost about the same.
inline constexpr double kDefaultFlopsPerByte = 100.0;

/// The `auto` policy: absorbed when it is estimated faster.
bool absorbedIsCheaper(const MlaCostShape &shape, int64_t tokens,
                       int64_t context,
                       double flopsPerByte = kDefaultFlopsPerByte);

} // namespace dsv2::reference

#endif // DIALECT_DSV2_REFERENCE_MLACOSTMODEL_H
