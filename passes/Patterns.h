//===- Patterns.h - dsv2 rewrite pattern sets -------------------*- C++ -*-===//
//
// Part of dsv2c. The patterns behind the dsv2 passes, exported so pipelines
// and other passes can combine them (the pass bodies only apply them).
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_PATTERNS_H
#define PASSES_PATTERNS_H

#include "dialect/dsv2/Dsv2Dialect.h"

#include "mlir/IR/PatternMatch.h"

#include <cstdint>

namespace mlir::dsv2 {

/// dsv2-moe-routing-dispatch-fusion: rewrites a `dsv2.moe_experts` whose
/// routing weights and indices both come from one `dsv2.moe_gate` on the
/// same input (and feed nothing else) into a `dsv2.moe_fused` with dispatch
/// offsets padded to `blockSize` (>= 1), and erases the gate.
void populateMoeRoutingDispatchFusionPatterns(RewritePatternSet &patterns,
                                              int64_t blockSize);

/// dsv2-kv-latent-compression: retypes a func.func that carries the
/// per-head `!dsv2.kv_cache` (signature, block arguments, the new_cache of
/// every `dsv2.mla_attention`) to `!dsv2.latent_kv_cache` with latent_dim =
/// kv_lora_rank and rope_dim = qk_rope_head_dim of its attentions. Functions
/// that fail checkKvLatentCompressionPreconditions are left alone.
void populateKvLatentCompressionPatterns(RewritePatternSet &patterns);

/// Emits an error on every op under `root` that keeps a per-head KV cache
/// from being compressed (a cache used by anything but a
/// `dsv2.mla_attention` or `func.return`, attentions that disagree on
/// kv_lora_rank or qk_rope_head_dim, a cache no attention uses).
LogicalResult checkKvLatentCompressionPreconditions(Operation *root);

/// dsv2-mla-weight-absorption: gives every `dsv2.mla_attention` over a latent
/// cache the `absorb` attribute `policy` and, unless it is `never`, W_UK and
/// W_UV from one `dsv2.split_kv_b` per kv_b_proj value (removed for
/// `never`). Attentions over a per-head cache are left alone.
void populateMlaWeightAbsorptionPatterns(RewritePatternSet &patterns,
                                         Absorption policy);

/// Emits an error on every `dsv2.mla_attention` under `root` that still reads
/// a per-head KV cache when `policy` is not `never`.
LogicalResult checkMlaWeightAbsorptionPreconditions(Operation *root,
                                                    Absorption policy);

} // namespace mlir::dsv2

#endif // PASSES_PATTERNS_H
