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

} // namespace dsv2::runtime
