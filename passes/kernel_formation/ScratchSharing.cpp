//===- ScratchSharing.cpp - Step-local buffers that share storage ---------===//

#include "passes/kernel_formation/ScratchSharing.h"
#include "runtime/engine/SequenceSegments.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <vector>

namespace mlir::dsv2 {

namespace rt = ::dsv2::runtime;

namespace {

/// Launch index range [first, last] that names a buffer in one program;
/// empty (first > last) when the program does not use it.
struct LiveRange {
  int64_t first = INT64_MAX;
  int64_t last = -1;
  bool empty() const { return first > last; }
  bool overlaps(const LiveRange &other) const {
    return !empty() && !other.empty() && first <= other.last &&
           other.first <= last;
  }
};

constexpr int kPrograms = 4;

std::array<rt::StepProgram *, kPrograms> programsOf(rt::LaunchPlan &plan) {
  return {&plan.prefill, &plan.decode, &plan.prefillLastRow, &plan.decodeBatch};
}

/// Sizes that a coefficient-wise maximum bounds: no division, no negative
/// term.
bool shareableSize(const rt::StepExpr &e) {
  return e.divisor == 1 && e.constant >= 0 && e.perToken >= 0 &&
         e.perPast >= 0;
}

rt::StepExpr upperBound(const rt::StepExpr &a, const rt::StepExpr &b) {
  return {std::max(a.constant, b.constant), std::max(a.perToken, b.perToken),
          std::max(a.perPast, b.perPast), 1};
}

} // namespace

int64_t shareScratchBuffers(rt::LaunchPlan &plan) {
  const size_t count = plan.buffers.size();
  // live[p][b]: where program p uses buffer b.
  std::array<std::vector<LiveRange>, kPrograms> live;
  auto programs = programsOf(plan);
  for (int p = 0; p < kPrograms; ++p) {
    live[p].assign(count, LiveRange{});
    const std::vector<rt::Launch> &launches = programs[p]->launches;
    // A launch names its buffers from itself to itself, but a launch of a
    // per-sequence run from the run's first to its last: a batched step
    // repeats the run for every sequence, so the next sequence reads them
    // again after the run's later launches.
    for (const rt::LaunchSegment &segment :
         rt::segmentLaunches(*programs[p], plan))
      for (size_t k = segment.first; k < segment.last; ++k) {
        const int64_t first = static_cast<int64_t>(
            segment.perSequence ? segment.first : k);
        const int64_t last = static_cast<int64_t>(
            segment.perSequence ? segment.last - 1 : k);
        for (const rt::KernelArg &arg : launches[k].args) {
          if (arg.kind != rt::KernelArg::Kind::Buffer || arg.buffer < 0 ||
              static_cast<size_t>(arg.buffer) >= count)
            continue;
          LiveRange &range = live[p][arg.buffer];
          range.first = std::min(range.first, first);
          range.last = std::max(range.last, last);
        }
      }
  }

  auto shareable = [&](size_t b) {
    const rt::BufferSpec &spec = plan.buffers[b];
    return spec.role == rt::BufferRole::Scratch &&
           static_cast<int32_t>(b) != plan.lastRowLogitsBuffer &&
           static_cast<int32_t>(b) != plan.logitsBuffer &&
           static_cast<int32_t>(b) != plan.tokensBuffer &&
           shareableSize(spec.elements);
  };

  // Greedy, in creation order (roughly the order of first use): each buffer
  // joins the first slot of its type whose members it never overlaps.
  struct Slot {
    size_t representative;
    std::vector<size_t> members;
  };
  std::vector<Slot> slots;
  std::vector<int32_t> target(count);
  for (size_t b = 0; b < count; ++b) {
    target[b] = static_cast<int32_t>(b);
    if (!shareable(b))
      continue;
    Slot *home = nullptr;
    for (Slot &slot : slots) {
      if (plan.buffers[slot.representative].type != plan.buffers[b].type)
        continue;
      bool disjoint = true;
      for (size_t member : slot.members)
        for (int p = 0; p < kPrograms && disjoint; ++p)
          disjoint = !live[p][member].overlaps(live[p][b]);
      if (disjoint) {
        home = &slot;
        break;
      }
      // Keep scanning: a later slot may fit.
    }
    if (!home) {
      slots.push_back({b, {b}});
      continue;
    }
    home->members.push_back(b);
    rt::BufferSpec &rep = plan.buffers[home->representative];
    rep.elements = upperBound(rep.elements, plan.buffers[b].elements);
    target[b] = static_cast<int32_t>(home->representative);
  }

  // Compact: drop the merged buffers and renumber every reference.
  std::vector<int32_t> renumbered(count, -1);
  std::vector<rt::BufferSpec> kept;
  for (size_t b = 0; b < count; ++b)
    if (target[b] == static_cast<int32_t>(b)) {
      renumbered[b] = static_cast<int32_t>(kept.size());
      kept.push_back(std::move(plan.buffers[b]));
    }
  const int64_t merged = static_cast<int64_t>(count - kept.size());
  auto remap = [&](int32_t buffer) {
    if (buffer < 0 || static_cast<size_t>(buffer) >= count)
      return buffer;
    return renumbered[target[buffer]];
  };
  for (rt::StepProgram *program : programs)
    for (rt::Launch &launch : program->launches)
      for (rt::KernelArg &arg : launch.args)
        if (arg.kind == rt::KernelArg::Kind::Buffer)
          arg.buffer = remap(arg.buffer);
  plan.tokensBuffer = remap(plan.tokensBuffer);
  plan.logitsBuffer = remap(plan.logitsBuffer);
  plan.lastRowLogitsBuffer = remap(plan.lastRowLogitsBuffer);
  plan.buffers = std::move(kept);
  return merged;
}

} // namespace mlir::dsv2
