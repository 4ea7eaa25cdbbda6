//===- WeightPacking.h - Weights in the engine's layouts --------*- C++ -*-===//
//
// Produces the values of a launch plan's weight buffers from a model's
// weights: checkpoint tensors, routed experts stacked along a leading
// dimension, and the absorbed MLA weights derived from kv_b_proj, converted
// to the buffer's element type.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_WEIGHTPACKING_H
#define TOOLS_DSV2C_WEIGHTPACKING_H

#include "dialect/dsv2/interpreter/WeightProvider.h"
#include "runtime/engine/LaunchPlan.h"

#include "absl/status/status.h"

#include <map>
#include <string>
#include <vector>

namespace dsv2::tools {

/// Fills `destination` (spec.elements values of spec.type) from `weights`
/// following the buffer's recipe (spec.source): "tensor:REF",
/// "stacked:REF-with-{e}", "w_uk_t:KVB:HEADS:NOPE:V" ([heads, C, nope]),
/// "w_uv:KVB:HEADS:NOPE:V" ([heads, V, C]), "kv_b_k:KVB:HEADS:NOPE:V"
/// ([heads*nope, C]) and "kv_b_v:..." ([heads*V, C]); "panels:16:RECIPE"
/// is RECIPE's [N, K] (spec.shape) in column panels of 16
/// (runtime/io/WeightPanels.h), what CPU engines' linear kernels read; an
/// i8 spec holds them quantized per row (--quantize int8) and
/// "scales:16:RECIPE" holds the rows' scales; GPU engines' int8 weights are
/// "int8_rows:RECIPE" (the same q in RECIPE's own [N, K] / [E, N, K] rows)
/// and "row_scales:RECIPE" ([E, N] f32); int4 weights (--quantize
/// int4-experts) are "int4_panels:16:G:RECIPE" (two int4 values per byte)
/// and "int4_scales:16:G:RECIPE" (one scale per group of G inputs). REF
/// and KVB are weight references (dialect/dsv2/WeightReference.h): a
/// checkpoint name, or one rank's slice of it.
///
/// `cache` (optional, one per rank's plan) carries the row scales computed
/// while packing an int8 (int4) weight's panels to its "scales:"
/// ("int4_scales:") buffer, so each such weight is read once instead of
/// twice.
struct PackingCache {
  /// Per-row scales of each int8 recipe ("tensor:REF" / "stacked:REF"), and
  /// per-group scales of each int4 one ("int4:" + recipe), matrix after
  /// matrix, until its scales buffer takes them.
  std::map<std::string, std::vector<float>> scales;
};

absl::Status packWeight(mlir::dsv2::WeightProvider &weights,
                        const dsv2::runtime::BufferSpec &spec,
                        void *destination, PackingCache *cache = nullptr);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_WEIGHTPACKING_H
