//===- ScratchSharing.h - Step-local buffers that share storage -*- C++ -*-===//
//
// Kernel formation gives every activation its own scratch buffer; most live
// for a few launches of one layer. Sharing storage between buffers that are
// never live at once keeps a step's scratch at a few layers' worth instead
// of the whole model's (a 2032-token prefill of the 4-layer Lite model:
// 5.3 GB of scratch before, all of it first-touched, i.e. page-faulted and
// zeroed, inside the step).
//
//===----------------------------------------------------------------------===//

#ifndef PASSES_KERNEL_FORMATION_SCRATCHSHARING_H
#define PASSES_KERNEL_FORMATION_SCRATCHSHARING_H

#include "runtime/engine/LaunchPlan.h"

namespace mlir::dsv2 {

/// Merges Scratch buffers of `plan` whose live ranges (first to last launch
/// that names them, inclusive, widened to every per-sequence run of
/// launches they appear in: runtime/engine/SequenceSegments.h) are disjoint
/// in every program (prefill, decode, prefillLastRow, decodeBatch), have the
/// same element type and sizes of the form (c + a*T + b*P) with c, a, b >=
/// 0; a merged buffer is sized by the coefficient-wise maximum, which bounds
/// each member at every T and P. The buffer list is compacted and every
/// reference renumbered. The step's result buffers (logits, last-row logits,
/// tokens) are never shared. Returns how many buffers were merged away.
int64_t shareScratchBuffers(::dsv2::runtime::LaunchPlan &plan);

} // namespace mlir::dsv2

#endif // PASSES_KERNEL_FORMATION_SCRATCHSHARING_H
