//===- SequenceSegments.h - Which launches a batched step repeats -*- C++ -*-===//
//
// A batched step (the prompts of a batch in one prefill, or one token of
// each sequence in one decode_batch step) holds the tokens of several
// sequences, row after row. Most launches treat rows independently (GEMMs,
// norms, MoE routing and experts) and run once over all of them, so a
// weight is streamed once per step instead of once per sequence. The
// others belong to one sequence: they read or write its KV cache, depend
// on its past P, or pick rows by its length T (the last row's logits). The executor runs those
// once per sequence, with the sequence's T and P and its rows
// (KernelArg::rowElements), and runs a consecutive run of them as a unit
// for one sequence before the next: buffers of cached positions (the
// decompressed k/v of a prefill) are the sequence's own only until the run
// ends. The compiler's scratch sharing uses the same runs (every buffer a
// run names stays live for the whole run).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_SEQUENCESEGMENTS_H
#define RUNTIME_ENGINE_SEQUENCESEGMENTS_H

#include "runtime/engine/LaunchPlan.h"

#include "absl/status/status.h"
#include "absl/types/span.h"

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

namespace dsv2::runtime {

/// The launch touches a KV cache or the last-row logits, or a grid size,
/// argument or offset of it depends on P, or a buffer offset depends on T
/// (a row picked by the step's length).
bool runsPerSequence(const Launch &launch, const LaunchPlan &plan);

/// Launches [first, last) of a program: all per-sequence or all batch-wide.
struct LaunchSegment {
  size_t first = 0;
  size_t last = 0;
  bool perSequence = false;
};

/// The program's launches as maximal segments, in order.
std::vector<LaunchSegment> segmentLaunches(const StepProgram &program,
                                           const LaunchPlan &plan);

/// The rows of one sequence in a step: `tokens` of `sequence` after `past`,
/// starting at row `firstRow` of the step's token-row buffers (0 except for
/// a per-sequence launch of a batched step; KernelArg::rowElements).
struct RowSlice {
  int sequence = 0;
  int64_t tokens = 0;
  int64_t past = 0;
  int64_t firstRow = 0;
};

/// How an executor runs a program (prefill, prefillLastRow, decodeBatch)
/// over the rows of several sequences: its segments, and whether it can.
struct BatchLayout {
  const StepProgram *program = nullptr;
  std::vector<LaunchSegment> segments;
  /// Per segment: it writes the last-row logits (copied out per sequence).
  std::vector<bool> writesLastRow;
  /// No collectives, and the last-row logits come from per-sequence
  /// segments only; otherwise batches run one sequence per step.
  bool batchable = true;
};

/// The batch layout of `program`, one of `plan`'s.
BatchLayout layoutBatch(const StepProgram &program, const LaunchPlan &plan);

/// One batched step's launches in order: a batch-wide segment once over
/// `all` (every row), a per-sequence segment for each of `slices` in turn;
/// after a sequence's run of a segment that writes the last-row logits,
/// `lastRowWritten(q)` (the next sequence overwrites them).
absl::Status runBatchSegments(
    const BatchLayout &layout, absl::Span<const RowSlice> slices,
    const RowSlice &all,
    const std::function<absl::Status(size_t first, size_t last,
                                     const RowSlice &rows)> &run,
    const std::function<absl::Status(size_t q)> &lastRowWritten);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_SEQUENCESEGMENTS_H
