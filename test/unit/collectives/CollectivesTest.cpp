//===- CollectivesTest.cpp - Collectives on threads, and plans that use them ===//
//
// The in-process backend (each rank a thread) for a tp 2 x ep 2 world: the
// Tensor groups, sums, the all-gather's column layout, broadcast, the run
// agreement and its refusals, deadlines; then CpuExecutor running a plan
// made of collective launches on four threads, and refusing one without a
// backend.
//
//===----------------------------------------------------------------------===//

#include "runtime/collectives/Collectives.h"
#include "runtime/collectives/InProcessCollectives.h"
#include "runtime/collectives/RunAgreement.h"
#include "runtime/cpu/CpuExecutor.h"

#include "test/unit/runtime/ExpectError.h"

#include "gtest/gtest.h"

#include <functional>
#include <thread>
#include <vector>

namespace dsv2::runtime {
namespace {

using testing::expectError;

/// Runs `body(rank's collectives)` on one thread per rank; returns each
/// rank's status.
std::vector<absl::Status>
onRanks(InProcessWorld &world,
        const std::function<absl::Status(Collectives &)> &body) {
  std::vector<absl::Status> results(world.worldSize());
  std::vector<std::thread> threads;
  for (int r = 0; r < world.worldSize(); ++r)
    threads.emplace_back([&, r] {
      std::unique_ptr<Collectives> collectives = world.rank(r);
      results[r] = body(*collectives);
    });
  for (std::thread &thread : threads)
    thread.join();
  return results;
}

void expectAllOk(const std::vector<absl::Status> &results) {
  for (size_t r = 0; r < results.size(); ++r)
    EXPECT_TRUE(results[r].ok()) << "rank " << r << ": " << results[r];
}

RunIdentity identityOf(int tp, int ep) {
  RunIdentity identity;
  identity.buildId.fill(7);
  identity.worldSize = tp * ep;
  identity.tensorParallel = tp;
  identity.expertParallel = ep;
  return identity;
}

TEST(Collectives, TensorGroupsOfTp2Ep2) {
  InProcessWorld world(4, 10);
  expectAllOk(onRanks(world, [](Collectives &c) -> absl::Status {
    if (absl::Status s = agreeToRun(c, identityOf(2, 2)); !s.ok())
      return s;
    EXPECT_EQ(c.groupSize(CollectiveGroup::Tensor), 2);
    EXPECT_EQ(c.groupRank(CollectiveGroup::Tensor), c.rank() % 2);
    EXPECT_EQ(c.groupSize(CollectiveGroup::World), 4);
    // Tensor sums stay within ranks {0, 1} and {2, 3}.
    std::vector<float> tensor = {float(c.rank()), 1.0f};
    if (absl::Status s = c.allReduceSum(tensor.data(), 2, CollectiveGroup::Tensor);
        !s.ok())
      return s;
    EXPECT_EQ(tensor[0], c.rank() < 2 ? 0 + 1 : 2 + 3);
    EXPECT_EQ(tensor[1], 2.0f);
    std::vector<float> all = {float(c.rank())};
    if (absl::Status s = c.allReduceSum(all.data(), 1, CollectiveGroup::World);
        !s.ok())
      return s;
    EXPECT_EQ(all[0], 0 + 1 + 2 + 3);
    return absl::OkStatus();
  }));
}

TEST(Collectives, AllGatherColumnsLaysRanksSideBySide) {
  InProcessWorld world(4, 10);
  expectAllOk(onRanks(world, [](Collectives &c) -> absl::Status {
    if (absl::Status s = agreeToRun(c, identityOf(2, 2)); !s.ok())
      return s;
    const int rows = 3, cols = 2;
    std::vector<float> src(rows * cols);
    for (int r = 0; r < rows; ++r)
      for (int k = 0; k < cols; ++k)
        src[r * cols + k] = 100.0f * c.rank() + 10.0f * r + k;
    std::vector<float> dst(rows * cols * 2, -1.0f);
    if (absl::Status s = allGatherColumns(c, src.data(), dst.data(), rows, cols,
                                          CollectiveGroup::Tensor);
        !s.ok())
      return s;
    // dst[r, g * cols + k] = the group's g-th rank's src[r, k].
    int first = c.rank() / 2 * 2;
    for (int r = 0; r < rows; ++r)
      for (int g = 0; g < 2; ++g)
        for (int k = 0; k < cols; ++k)
          EXPECT_EQ(dst[r * cols * 2 + g * cols + k],
                    100.0f * (first + g) + 10.0f * r + k)
              << "rank " << c.rank() << " row " << r << " part " << g;
    // In place (src and dst the same buffer), over the world.
    std::vector<float> both(4 * 1 * 1 * 4, 0.0f);
    both[0] = float(c.rank());
    if (absl::Status s = allGatherColumns(c, both.data(), both.data(), 1, 1,
                                          CollectiveGroup::World);
        !s.ok())
      return s;
    EXPECT_EQ(std::vector<float>(both.begin(), both.begin() + 4),
              (std::vector<float>{0, 1, 2, 3}));
    return absl::OkStatus();
  }));
}

TEST(Collectives, BroadcastFromRankZero) {
  InProcessWorld world(3, 10);
  expectAllOk(onRanks(world, [](Collectives &c) -> absl::Status {
    int32_t ids[2] = {c.rank() * 10 + 1, c.rank() * 10 + 2};
    if (absl::Status s = c.broadcast(ids, 2); !s.ok())
      return s;
    EXPECT_EQ(ids[0], 1);
    EXPECT_EQ(ids[1], 2);
    return absl::OkStatus();
  }));
}

TEST(Collectives, AgreementRefusesOtherEnginesOnEveryRank) {
  InProcessWorld world(4, 10);
  auto results = onRanks(world, [](Collectives &c) {
    RunIdentity identity = identityOf(2, 2);
    if (c.rank() == 3)
      identity.buildId[0] = 8;
    return agreeToRun(c, identity);
  });
  for (const absl::Status &status : results)
    expectError(status, absl::StatusCode::kFailedPrecondition,
                {"rank 3 runs another engine than rank 0 (build 08070707",
                 "for 4 ranks (tp 2 x ep 2)"});
}

TEST(Collectives, AgreementRefusesAnEngineForAnotherWorld) {
  InProcessWorld world(2, 10);
  auto results = onRanks(world, [](Collectives &c) {
    return agreeToRun(c, identityOf(2, 2));
  });
  for (const absl::Status &status : results)
    expectError(status, absl::StatusCode::kFailedPrecondition,
                {"this engine spans 4 ranks (tp 2 x ep 2); start it with "
                 "mpirun -np 4 (this run has 2 ranks)"});
}

TEST(Collectives, AgreementStopsEveryRankWhenOneIsNotReady) {
  InProcessWorld world(3, 10);
  auto results = onRanks(world, [](Collectives &c) {
    RunIdentity identity = identityOf(3, 1);
    identity.ready = c.rank() != 1;
    return agreeToRun(c, identity);
  });
  expectError(results[0], absl::StatusCode::kFailedPrecondition,
              {"rank 1 could not start (see its error)"});
  EXPECT_TRUE(absl::IsAborted(results[1])) << results[1];
  expectError(results[2], absl::StatusCode::kFailedPrecondition,
              {"rank 1 could not start"});
}

TEST(Collectives, ARankThatNeverComesIsADeadlineNotAHang) {
  InProcessWorld world(3, 0.2);
  auto results = onRanks(world, [](Collectives &c) -> absl::Status {
    if (c.rank() == 2)
      return absl::OkStatus(); // never joins
    float value = 1;
    return c.allReduceSum(&value, 1, CollectiveGroup::World);
  });
  for (int r = 0; r < 2; ++r)
    expectError(results[r], absl::StatusCode::kDeadlineExceeded,
                {"all_reduce over the world group timed out after 0.2 s "
                 "waiting for the other ranks (a rank died or the ranks run "
                 "different engines)"});
}

TEST(Collectives, TimeoutFromTheEnvironment) {
  ::setenv("DSV2_COLLECTIVE_TIMEOUT", "2.5", 1);
  EXPECT_EQ(collectiveTimeoutFromEnvironment(), 2.5);
  ::setenv("DSV2_COLLECTIVE_TIMEOUT", "soon", 1);
  EXPECT_EQ(collectiveTimeoutFromEnvironment(), kDefaultCollectiveTimeoutSeconds);
  ::unsetenv("DSV2_COLLECTIVE_TIMEOUT");
  EXPECT_EQ(collectiveTimeoutFromEnvironment(7), 7);
}

/// Rank `rank`'s plan of a tp 2 x ep 2 engine made of collectives only:
/// logits = the world's sum of each rank's tensor-group gather of its
/// `slice` constant ([context, 2] per rank, value 1000 r + 10 row + col).
LaunchPlan collectivePlan(int rank) {
  const int cols = 2, context = 4;
  LaunchPlan plan;
  plan.rank = rank;
  plan.tensorParallel = 2;
  plan.expertParallel = 2;
  plan.vocabSize = cols * 2;
  plan.maxContext = context;
  int32_t slice = plan.addBuffer("slice", BufferRole::Weight, ElementType::F32,
                                 StepExpr::of(context * cols));
  for (int row = 0; row < context; ++row)
    for (int col = 0; col < cols; ++col)
      plan.buffers[slice].constantData.push_back(1000.0f * rank + 10.0f * row +
                                                 col);
  plan.tokensBuffer = plan.addBuffer("tokens", BufferRole::Tokens,
                                     ElementType::I32, StepExpr::tokens());
  plan.logitsBuffer = plan.addBuffer("logits", BufferRole::Logits,
                                     ElementType::F32, StepExpr::tokens(cols * 2));
  Launch gather;
  gather.origin = "dsv2.all_gather";
  gather.collective = CollectiveKind::AllGatherColumns;
  gather.group = CollectiveGroup::Tensor;
  gather.args = {KernelArg::ofBuffer(slice), KernelArg::ofBuffer(plan.logitsBuffer),
                 KernelArg::ofInt(StepExpr::tokens()),
                 KernelArg::ofInt(StepExpr::of(cols))};
  Launch reduce;
  reduce.origin = "dsv2.all_reduce";
  reduce.collective = CollectiveKind::AllReduceSum;
  reduce.group = CollectiveGroup::World;
  reduce.args = {KernelArg::ofBuffer(plan.logitsBuffer),
                 KernelArg::ofBuffer(plan.logitsBuffer),
                 KernelArg::ofInt(StepExpr::tokens()),
                 KernelArg::ofInt(StepExpr::of(cols * 2))};
  plan.prefill.launches = {gather, reduce};
  return plan;
}

TEST(CpuExecutorCollectives, RunsAPlanOfCollectivesOnFourRanks) {
  InProcessWorld world(4, 10);
  std::vector<std::vector<float>> logits(4);
  expectAllOk(onRanks(world, [&](Collectives &c) -> absl::Status {
    if (absl::Status s = agreeToRun(c, identityOf(2, 2)); !s.ok())
      return s;
    CpuExecutorOptions options;
    options.threads = 1;
    options.collectives = &c;
    auto executor = CpuExecutor::create(collectivePlan(c.rank()), nullptr,
                                        std::vector<const void *>(3, nullptr),
                                        options);
    if (!executor.ok())
      return executor.status();
    const int32_t tokens[2] = {1, 2};
    auto step = (*executor)->step(tokens);
    if (!step.ok())
      return step.status();
    logits[c.rank()] = *step;
    // A one-token step runs the same program over one row.
    return (*executor)->step(absl::MakeConstSpan(tokens, 1)).status();
  }));
  // logits[row, t * 2 + col] = sum over the 4 ranks of their group's
  // gather = 2 * (slice_t + slice_{2 + t})[row, col].
  for (int r = 0; r < 4; ++r) {
    ASSERT_EQ(logits[r].size(), 2u * 4);
    for (int row = 0; row < 2; ++row)
      for (int t = 0; t < 2; ++t)
        for (int col = 0; col < 2; ++col)
          EXPECT_EQ(logits[r][row * 4 + t * 2 + col],
                    2 * ((1000.0f * t + 10 * row + col) +
                         (1000.0f * (2 + t) + 10 * row + col)))
              << "rank " << r << " row " << row << " part " << t;
  }
}

/// collectivePlan(rank) plus its prefillLastRow: the same collectives over
/// the step's last row only (slice row T-1), into a [vocab] buffer.
LaunchPlan collectivePlanWithLastRow(int rank) {
  const int cols = 2;
  LaunchPlan plan = collectivePlan(rank);
  plan.lastRowLogitsBuffer = plan.addBuffer(
      "last_row_logits", BufferRole::Scratch, ElementType::F32,
      StepExpr::of(plan.vocabSize));
  Launch gather = plan.prefill.launches[0], reduce = plan.prefill.launches[1];
  gather.args[0].offset = {-cols, cols, 0, 1}; // row T-1 of the slice
  gather.args[1] = KernelArg::ofBuffer(plan.lastRowLogitsBuffer);
  gather.args[2] = KernelArg::ofInt(StepExpr::of(1));
  reduce.args[0] = reduce.args[1] = KernelArg::ofBuffer(plan.lastRowLogitsBuffer);
  reduce.args[2] = KernelArg::ofInt(StepExpr::of(1));
  plan.prefillLastRow.launches = {gather, reduce};
  return plan;
}

TEST(CpuExecutorCollectives, NextTokenStepsReturnTheLastRowOfTheFullStep) {
  // stepForNextToken runs prefillLastRow and returns [vocab]: the last row
  // of what step returns for the same tokens, on every rank.
  InProcessWorld world(4, 10);
  std::vector<std::vector<float>> full(4), last(4);
  std::vector<int64_t> grown(4);
  expectAllOk(onRanks(world, [&](Collectives &c) -> absl::Status {
    if (absl::Status s = agreeToRun(c, identityOf(2, 2)); !s.ok())
      return s;
    CpuExecutorOptions options;
    options.threads = 1;
    options.collectives = &c;
    auto executor = CpuExecutor::create(collectivePlanWithLastRow(c.rank()),
                                        nullptr,
                                        std::vector<const void *>(4, nullptr),
                                        options);
    if (!executor.ok())
      return executor.status();
    const int32_t tokens[3] = {1, 2, 3};
    auto next = (*executor)->stepForNextToken(0, tokens);
    if (!next.ok())
      return next.status();
    last[c.rank()] = *next;
    // prefillLastRow ran: the [T, vocab] logits were never sized.
    int64_t bytesAfterNext = (*executor)->allocatedBytes();
    (*executor)->reset();
    auto step = (*executor)->step(tokens);
    if (!step.ok())
      return step.status();
    full[c.rank()] = *step;
    grown[c.rank()] = (*executor)->allocatedBytes() - bytesAfterNext;
    return absl::OkStatus();
  }));
  for (int r = 0; r < 4; ++r) {
    ASSERT_EQ(full[r].size(), 3u * 4);
    ASSERT_EQ(last[r].size(), 4u) << "rank " << r;
    EXPECT_EQ(last[r], std::vector<float>(full[r].begin() + 2 * 4, full[r].end()))
        << "rank " << r;
    // Row 2: 2 * (slice_t + slice_{2+t})[2, col].
    EXPECT_EQ(last[r][3], 2 * ((1000.0f + 20 + 1) + (3000.0f + 20 + 1)));
    EXPECT_EQ(grown[r], 3 * 4 * static_cast<int64_t>(sizeof(float)))
        << "rank " << r << ": the full step sized the logits the last-row "
                           "step did not";
  }
}

TEST(CpuExecutorCollectives, APlanWithCollectivesNeedsABackend) {
  CpuExecutorOptions options;
  options.threads = 1;
  auto executor = CpuExecutor::create(collectivePlan(1), nullptr,
                                      std::vector<const void *>(3, nullptr),
                                      options);
  expectError(executor.status(), absl::StatusCode::kFailedPrecondition,
              {"the plan of rank 1 of 4 has collective launches, and the "
               "executor was given no collectives backend"});
  // A backend of another layout is refused as well.
  InProcessWorld world(2, 1);
  std::unique_ptr<Collectives> other = world.rank(1);
  options.collectives = other.get();
  expectError(CpuExecutor::create(collectivePlan(1), nullptr,
                                  std::vector<const void *>(3, nullptr), options)
                  .status(),
              absl::StatusCode::kFailedPrecondition,
              {"the plan is rank 1 of tp 2 x ep 2, the collectives backend "
               "rank 1 of 2"});
}

} // namespace
} // namespace dsv2::runtime
