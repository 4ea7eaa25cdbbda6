//===- SequenceSegments.cpp - Which launches a batched step repeats -------===//

#include "runtime/engine/SequenceSegments.h"

namespace dsv2::runtime {

bool runsPerSequence(const Launch &launch, const LaunchPlan &plan) {
  for (const StepExpr &size : launch.grid)
    if (size.perPast != 0)
      return true;
  for (const KernelArg &arg : launch.args) {
    if (arg.kind == KernelArg::Kind::Int32 && arg.intValue.perPast != 0)
      return true;
    if (arg.kind != KernelArg::Kind::Buffer)
      continue;
    if (arg.offset.perPast != 0 || arg.offset.perToken != 0)
      return true;
    if (arg.buffer >= 0 &&
        static_cast<size_t>(arg.buffer) < plan.buffers.size() &&
        plan.buffers[arg.buffer].role == BufferRole::Cache)
      return true;
    // The last row's logits are the sequence's own: copied out after its
    // run (the GEMV that writes them may read only scratch, e.g. its row
    // quantized to int16 by a per-sequence launch before it).
    if (arg.buffer >= 0 && arg.buffer == plan.lastRowLogitsBuffer)
      return true;
  }
  return false;
}

std::vector<LaunchSegment> segmentLaunches(const StepProgram &program,
                                           const LaunchPlan &plan) {
  std::vector<LaunchSegment> segments;
  for (size_t l = 0; l < program.launches.size(); ++l) {
    bool perSequence = runsPerSequence(program.launches[l], plan);
    if (segments.empty() || segments.back().perSequence != perSequence)
      segments.push_back({l, l, perSequence});
    segments.back().last = l + 1;
  }
  return segments;
}

namespace {

/// Whether one of the launch's arguments is buffer `buffer`.
bool namesBuffer(const Launch &launch, int32_t buffer) {
  for (const KernelArg &arg : launch.args)
    if (arg.kind == KernelArg::Kind::Buffer && arg.buffer == buffer)
      return true;
  return false;
}

} // namespace

BatchLayout layoutBatch(const StepProgram &program, const LaunchPlan &plan) {
  BatchLayout layout;
  layout.program = &program;
  layout.segments = segmentLaunches(program, plan);
  const bool lastRowProgram = &program == &plan.prefillLastRow;
  for (const LaunchSegment &segment : layout.segments) {
    bool writesLastRow = false;
    for (size_t l = segment.first; l < segment.last; ++l) {
      const Launch &launch = program.launches[l];
      const bool namesLastRow =
          lastRowProgram && namesBuffer(launch, plan.lastRowLogitsBuffer);
      // Collectives would need every rank to agree on the batch; the
      // last-row logits must come from per-sequence launches (copied out
      // after each).
      layout.batchable = layout.batchable && !launch.isCollective() &&
                         (segment.perSequence || !namesLastRow);
      writesLastRow = writesLastRow || namesLastRow;
    }
    layout.writesLastRow.push_back(writesLastRow);
  }
  return layout;
}

absl::Status runBatchSegments(
    const BatchLayout &layout, absl::Span<const RowSlice> slices,
    const RowSlice &all,
    const std::function<absl::Status(size_t, size_t, const RowSlice &)> &run,
    const std::function<absl::Status(size_t)> &lastRowWritten) {
  for (size_t g = 0; g < layout.segments.size(); ++g) {
    const LaunchSegment &segment = layout.segments[g];
    if (!segment.perSequence) {
      if (absl::Status s = run(segment.first, segment.last, all); !s.ok())
        return s;
      continue;
    }
    for (size_t q = 0; q < slices.size(); ++q) {
      if (absl::Status s = run(segment.first, segment.last, slices[q]); !s.ok())
        return s;
      if (layout.writesLastRow[g])
        if (absl::Status s = lastRowWritten(q); !s.ok())
          return s;
    }
  }
  return absl::OkStatus();
}

} // namespace dsv2::runtime
