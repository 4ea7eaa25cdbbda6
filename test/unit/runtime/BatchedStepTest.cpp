//===- BatchedStepTest.cpp - What a batched step checks and repeats -------===//
//
// checkBatchInput refuses what no executor could run (naming the sequence),
// and segmentLaunches splits a program into the launches a batched step runs
// once over every sequence's rows and those it repeats per sequence.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/SequenceSegments.h"
#include "runtime/engine/StepInput.h"

#include "test/unit/runtime/ExpectError.h"

#include "gtest/gtest.h"

namespace dsv2::runtime {
namespace {

using testing::expectError;

LaunchPlan planOf(int64_t maxContext) {
  LaunchPlan plan;
  plan.vocabSize = 10;
  plan.maxContext = maxContext;
  return plan;
}

TEST(BatchedStep, InputIsCheckedPerSequenceAndInAll) {
  LaunchPlan plan = planOf(8);
  std::vector<int64_t> cached = {0, 6, 0};
  std::vector<int32_t> three = {1, 2, 3}, two = {4, 5}, bad = {1, 10};
  EXPECT_TRUE(checkBatchInput(plan, cached, {{0, three}, {2, two}}).ok());
  expectError(checkBatchInput(plan, cached, {}),
              absl::StatusCode::kInvalidArgument,
              {"a batched step needs a sequence"});
  expectError(checkBatchInput(plan, cached, {{0, three}, {2, bad}}),
              absl::StatusCode::kInvalidArgument,
              {"sequence 2: token id 10 at position 1 is outside the "
               "vocabulary [0, 10)"});
  expectError(checkBatchInput(plan, cached, {{1, three}, {0, two}}),
              absl::StatusCode::kOutOfRange,
              {"sequence 1: context of 9 tokens", "maximum of 8"});
  expectError(checkBatchInput(plan, cached, {{3, two}}),
              absl::StatusCode::kInvalidArgument,
              {"sequence 3 of a batch of 3"});
  expectError(checkBatchInput(plan, cached, {{0, two}, {0, three}}),
              absl::StatusCode::kInvalidArgument,
              {"sequence 0 appears twice in a batched step"});
  // Each fits its cache, but not all at once in the step's rows.
  std::vector<int32_t> five = {1, 2, 3, 4, 5};
  expectError(checkBatchInput(plan, {0, 0, 0}, {{0, five}, {1, five}}),
              absl::StatusCode::kOutOfRange,
              {"a batched step of 10 tokens exceeds the engine's maximum "
               "context of 8"});
}

Launch launchWith(std::vector<KernelArg> args) {
  Launch launch;
  launch.kernel = "k";
  launch.args = std::move(args);
  return launch;
}

TEST(BatchedStep, LaunchesTouchingASequenceRunPerSequence) {
  LaunchPlan plan = planOf(8);
  int32_t rows = plan.addBuffer("rows", BufferRole::Scratch, ElementType::F32,
                                StepExpr::tokens(4));
  int32_t cache = plan.addBuffer("cache", BufferRole::Cache, ElementType::F32,
                                 StepExpr::of(32));
  // Row-wise: rows in, rows out, T as a scalar.
  Launch rowWise = launchWith({KernelArg::ofBuffer(rows, {}, 4),
                               KernelArg::ofInt(StepExpr::tokens())});
  EXPECT_FALSE(runsPerSequence(rowWise, plan));
  // The cache, at any offset.
  EXPECT_TRUE(runsPerSequence(launchWith({KernelArg::ofBuffer(cache)}), plan));
  // P as a scalar, in a grid size, or in an offset.
  EXPECT_TRUE(runsPerSequence(
      launchWith({KernelArg::ofInt(StepExpr::past())}), plan));
  Launch overContext = rowWise;
  overContext.grid[0] = StepExpr::context().ceilDiv(4);
  EXPECT_TRUE(runsPerSequence(overContext, plan));
  // A row picked by T (the last row's logits).
  EXPECT_TRUE(runsPerSequence(
      launchWith({KernelArg::ofBuffer(rows, {-4, 4, 0, 1}, 4)}), plan));
  // The last-row logits, even from scratch that holds one row (the int16
  // GEMV of an int8 lm_head reads its row quantized by the launch before).
  int32_t oneRow = plan.addBuffer("one row", BufferRole::Scratch,
                                  ElementType::I32, StepExpr::of(4));
  plan.lastRowLogitsBuffer = plan.addBuffer(
      "last row logits", BufferRole::Scratch, ElementType::F32, StepExpr::of(8));
  EXPECT_FALSE(runsPerSequence(launchWith({KernelArg::ofBuffer(oneRow)}), plan));
  EXPECT_TRUE(runsPerSequence(
      launchWith({KernelArg::ofBuffer(oneRow),
                  KernelArg::ofBuffer(plan.lastRowLogitsBuffer)}),
      plan));

  StepProgram program;
  program.launches = {rowWise, rowWise, launchWith({KernelArg::ofBuffer(cache)}),
                      overContext, rowWise};
  std::vector<LaunchSegment> segments = segmentLaunches(program, plan);
  ASSERT_EQ(segments.size(), 3u);
  EXPECT_EQ(segments[0].first, 0u);
  EXPECT_EQ(segments[0].last, 2u);
  EXPECT_FALSE(segments[0].perSequence);
  EXPECT_EQ(segments[1].first, 2u);
  EXPECT_EQ(segments[1].last, 4u);
  EXPECT_TRUE(segments[1].perSequence);
  EXPECT_EQ(segments[2].first, 4u);
  EXPECT_EQ(segments[2].last, 5u);
  EXPECT_TRUE(segmentLaunches(StepProgram{}, plan).empty());
}

} // namespace
} // namespace dsv2::runtime
