//===- ScratchSharingTest.cpp - shareScratchBuffers on small plans --------===//
//
// Buffers live from the first to the last launch that names them; only
// scratch buffers of one type that are never live at once in any program
// share storage, sized to bound every member; references are renumbered.
//
//===----------------------------------------------------------------------===//

#include "passes/kernel_formation/ScratchSharing.h"
#include "runtime/engine/SequenceSegments.h"

#include "gtest/gtest.h"

namespace {

namespace rt = ::dsv2::runtime;
using rt::BufferRole;
using rt::ElementType;
using rt::KernelArg;
using rt::StepExpr;

rt::Launch launchOf(std::initializer_list<int32_t> buffers) {
  rt::Launch launch;
  launch.kernel = "k";
  for (int32_t b : buffers)
    launch.args.push_back(KernelArg::ofBuffer(b));
  launch.args.push_back(KernelArg::ofInt(StepExpr::tokens()));
  return launch;
}

int32_t scratch(rt::LaunchPlan &plan, const char *name, StepExpr elements,
                ElementType type = ElementType::F32) {
  return plan.addBuffer(name, BufferRole::Scratch, type, elements);
}

std::vector<int32_t> buffersOf(const rt::Launch &launch) {
  std::vector<int32_t> out;
  for (const KernelArg &arg : launch.args)
    if (arg.kind == KernelArg::Kind::Buffer)
      out.push_back(arg.buffer);
  return out;
}

TEST(ScratchSharing, DisjointChainSharesTwoSlots) {
  // a -> b -> c -> d: a and c (b and d) are never live at once.
  rt::LaunchPlan plan;
  int32_t w = plan.addBuffer("w", BufferRole::Weight, ElementType::BF16,
                             StepExpr::of(64));
  int32_t a = scratch(plan, "a", StepExpr::tokens(8));
  int32_t b = scratch(plan, "b", StepExpr::tokens(16));
  int32_t c = scratch(plan, "c", {4, 2, 1, 1});
  int32_t d = scratch(plan, "d", StepExpr::tokens(8));
  plan.prefill.launches = {launchOf({w, a}), launchOf({a, b}),
                           launchOf({b, c}), launchOf({c, d})};
  EXPECT_EQ(mlir::dsv2::shareScratchBuffers(plan), 2);
  ASSERT_EQ(plan.buffers.size(), 3u);
  EXPECT_EQ(plan.buffers[0].name, "w");
  EXPECT_EQ(plan.buffers[1].name, "a");
  EXPECT_EQ(plan.buffers[2].name, "b");
  // a's slot bounds a (8T) and c (4 + 2T + P): 4 + 8T + P.
  EXPECT_EQ(plan.buffers[1].elements.constant, 4);
  EXPECT_EQ(plan.buffers[1].elements.perToken, 8);
  EXPECT_EQ(plan.buffers[1].elements.perPast, 1);
  EXPECT_EQ(plan.buffers[2].elements.perToken, 16);
  EXPECT_EQ(buffersOf(plan.prefill.launches[0]), (std::vector<int32_t>{0, 1}));
  EXPECT_EQ(buffersOf(plan.prefill.launches[1]), (std::vector<int32_t>{1, 2}));
  EXPECT_EQ(buffersOf(plan.prefill.launches[2]), (std::vector<int32_t>{2, 1}));
  EXPECT_EQ(buffersOf(plan.prefill.launches[3]), (std::vector<int32_t>{1, 2}));
}

TEST(ScratchSharing, OverlapInAnyProgramKeepsBuffersApart) {
  // Disjoint in prefill, but decode reads a and c in one launch.
  rt::LaunchPlan plan;
  int32_t a = scratch(plan, "a", StepExpr::tokens(8));
  int32_t b = scratch(plan, "b", StepExpr::tokens(8));
  int32_t c = scratch(plan, "c", StepExpr::tokens(8));
  plan.prefill.launches = {launchOf({a, b}), launchOf({b, c})};
  plan.decode.launches = {launchOf({a}), launchOf({a, c})};
  EXPECT_EQ(mlir::dsv2::shareScratchBuffers(plan), 0);
  EXPECT_EQ(plan.buffers.size(), 3u);
}

TEST(ScratchSharing, TypesResultsAndDividedSizesAreNotShared) {
  rt::LaunchPlan plan;
  int32_t f = scratch(plan, "f32", StepExpr::tokens(8));
  int32_t i = scratch(plan, "i32", StepExpr::tokens(8), ElementType::I32);
  int32_t divided = scratch(plan, "blocks", StepExpr::tokens().ceilDiv(16));
  int32_t last = scratch(plan, "last_row_logits", StepExpr::of(100));
  int32_t g = scratch(plan, "g32", StepExpr::tokens(8));
  plan.lastRowLogitsBuffer = last;
  plan.prefill.launches = {launchOf({f}), launchOf({i}), launchOf({divided}),
                           launchOf({last}), launchOf({g})};
  // Only g can join f's slot: i is another type, `blocks` is divided, the
  // last-row logits are the step's result.
  EXPECT_EQ(mlir::dsv2::shareScratchBuffers(plan), 1);
  ASSERT_EQ(plan.buffers.size(), 4u);
  EXPECT_EQ(plan.lastRowLogitsBuffer, 3);
  EXPECT_EQ(plan.buffers[3].name, "last_row_logits");
  EXPECT_EQ(buffersOf(plan.prefill.launches[4]), (std::vector<int32_t>{0}));
}

TEST(ScratchSharing, PerSequenceRunsKeepTheirBuffersLiveThroughout) {
  // Launches 1..3 touch the cache, so a batched step runs them for one
  // sequence, then the next: `rows` (last read at launch 1) is read again
  // by the next sequence after `keys` (first written at launch 2) was, so
  // they may not share. After the run, `out` may take `rows`' storage.
  rt::LaunchPlan plan;
  int32_t cache = plan.addBuffer("cache", BufferRole::Cache, ElementType::F32,
                                 StepExpr::of(64));
  int32_t rows = scratch(plan, "rows", StepExpr::tokens(8));
  int32_t keys = scratch(plan, "keys", {0, 8, 8, 1}); // cached positions
  int32_t out = scratch(plan, "out", StepExpr::tokens(8));
  rt::Launch toCache = launchOf({rows});
  toCache.args.push_back(KernelArg::ofBuffer(cache, StepExpr::past()));
  rt::Launch fromCache = launchOf({cache, keys});
  rt::Launch attend = launchOf({keys, cache});
  plan.prefill.launches = {launchOf({rows}), toCache, fromCache, attend,
                           launchOf({out})};
  auto segments = rt::segmentLaunches(plan.prefill, plan);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_FALSE(segments[0].perSequence);
  EXPECT_TRUE(segments[1].perSequence);
  EXPECT_EQ(segments[1].first, 1u);
  EXPECT_EQ(segments[1].last, 4u);
  EXPECT_FALSE(segments[2].perSequence);

  EXPECT_EQ(mlir::dsv2::shareScratchBuffers(plan), 1);
  ASSERT_EQ(plan.buffers.size(), 3u);
  EXPECT_EQ(buffersOf(plan.prefill.launches[1])[0], 1); // rows
  EXPECT_EQ(buffersOf(plan.prefill.launches[2])[1], 2); // keys: its own
  EXPECT_EQ(buffersOf(plan.prefill.launches[4]), (std::vector<int32_t>{1}));
}

TEST(ScratchSharing, UnusedBuffersJoinTheFirstSlot) {
  // A buffer no program names is live nowhere: it takes no storage of its own.
  rt::LaunchPlan plan;
  int32_t a = scratch(plan, "a", StepExpr::tokens(8));
  scratch(plan, "unused", StepExpr::tokens(2));
  plan.prefill.launches = {launchOf({a})};
  EXPECT_EQ(mlir::dsv2::shareScratchBuffers(plan), 1);
  EXPECT_EQ(plan.buffers.size(), 1u);
}

} // namespace
