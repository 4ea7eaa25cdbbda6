//===- CudaMultiRankTest.cpp - Multi-rank plans on the CUDA executor ------===//
//
// Without GPUs: every rank is a thread with its own CudaExecutor on the fake
// driver (FakeLibcuda.cpp) and the fake NCCL (FakeLibnccl.cpp, which really
// exchanges the ranks' device buffers), bootstrapped through an
// InProcessWorld as dsv2-run bootstraps through MPI. A plan whose kernels
// differ per rank (its weights) with an all-gather of columns (the 2D copy
// for several rows, the direct gather for one) and an all-reduce checks the
// collective launches end to end (decode steps as a CUDA graph of the
// kernels, the NCCL calls after it); plus a missing libnccl, a collective
// whose peers never come (the deadline, then NCCL abort), the device of a
// local rank, and (CudaMultiRankRealGpu) one rank on a real GPU and NCCL.
//
//===----------------------------------------------------------------------===//

#include "runtime/collectives/InProcessCollectives.h"
#include "runtime/cuda/CudaExecutor.h"
#include "runtime/cuda/NcclLibrary.h"

#include "test/unit/runtime/CudaTestPlan.h"

#include "gtest/gtest.h"

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace dsv2::runtime {
namespace {

using testing::kPtx;
using testing::kVocab;
using testing::shapes;

/// Rank r's weights: w[v] = v + 1 + 10 r.
std::vector<float> rankWeights(int rank) {
  std::vector<float> w(kVocab);
  for (int64_t v = 0; v < kVocab; ++v)
    w[v] = static_cast<float>(v + 1 + 10 * rank);
  return w;
}

/// The single-rank test plan (CudaTestPlan.h) with its logits made
/// per rank: fake_logits writes a rank's [T, 4] part, an all-gather of
/// columns over the Tensor group makes [T, 4 tp], an all-reduce over the
/// world sums that over the expert groups into the logits.
LaunchPlan multiRankPlan(int rank, int tp, int ep) {
  LaunchPlan plan = testing::testPlan();
  plan.rank = rank;
  plan.tensorParallel = tp;
  plan.expertParallel = ep;
  plan.vocabSize = kVocab * tp;
  plan.buffers[plan.logitsBuffer].elements = StepExpr::tokens(kVocab * tp);
  int32_t part = plan.addBuffer("part", BufferRole::Scratch, ElementType::F32,
                                StepExpr::tokens(kVocab));
  int32_t gathered =
      plan.addBuffer("gathered", BufferRole::Scratch, ElementType::F32,
                     StepExpr::tokens(kVocab * tp));
  auto collective = [](CollectiveKind kind, CollectiveGroup group, int32_t src,
                       int32_t dst, int64_t cols) {
    Launch launch;
    launch.collective = kind;
    launch.group = group;
    launch.origin = collectiveName(kind);
    launch.args = {KernelArg::ofBuffer(src), KernelArg::ofBuffer(dst),
                   KernelArg::ofInt(StepExpr::tokens()),
                   KernelArg::ofInt(StepExpr::of(cols))};
    return launch;
  };
  for (StepProgram *program : {&plan.prefill, &plan.decode}) {
    program->launches[1].args[3] = KernelArg::ofBuffer(part);
    program->launches.push_back(collective(CollectiveKind::AllGatherColumns,
                                           CollectiveGroup::Tensor, part,
                                           gathered, kVocab));
    program->launches.push_back(collective(CollectiveKind::AllReduceSum,
                                           CollectiveGroup::World, gathered,
                                           plan.logitsBuffer, kVocab * tp));
  }
  // Generation's prefill: the all-reduce of the last row only, into its own
  // buffer.
  plan.lastRowLogitsBuffer =
      plan.addBuffer("last_row_logits", BufferRole::Scratch, ElementType::F32,
                     StepExpr::of(kVocab * tp));
  plan.prefillLastRow = plan.prefill;
  Launch &lastRow = plan.prefillLastRow.launches.back();
  lastRow.args[0] = KernelArg::ofBuffer(
      gathered, StepExpr{-kVocab * tp, kVocab * tp, 0, 1}); // Row T - 1.
  lastRow.args[1] = KernelArg::ofBuffer(plan.lastRowLogitsBuffer);
  lastRow.args[2] = KernelArg::ofInt(StepExpr::of(1));
  return plan;
}

/// The fake driver and NCCL for the test's duration.
class FakeGpus {
public:
  explicit FakeGpus(const char *ncclMode = "") {
    setenv("DSV2_LIBCUDA", DSV2_FAKE_LIBCUDA, 1);
    setenv("DSV2_FAKE_CUDA", "cc90", 1);
    setenv("DSV2_LIBNCCL", DSV2_FAKE_LIBNCCL, 1);
    setenv("DSV2_FAKE_NCCL", ncclMode, 1);
  }
  ~FakeGpus() {
    for (const char *name :
         {"DSV2_LIBCUDA", "DSV2_FAKE_CUDA", "DSV2_LIBNCCL", "DSV2_FAKE_NCCL"})
      unsetenv(name);
  }
};

absl::Span<const uint8_t> ptxImage() {
  return {reinterpret_cast<const uint8_t *>(kPtx), std::strlen(kPtx) + 1};
}

/// Every rank's result of `body(rank, executor)` after creating its
/// executor, on one thread per rank.
template <typename Body>
std::vector<absl::Status> runRanks(int tp, int ep, double timeoutSeconds,
                                   Body body, const char *target = "sm_90a") {
  const int world = tp * ep;
  InProcessWorld hosts(world, timeoutSeconds);
  std::vector<absl::Status> results(world);
  std::vector<std::vector<float>> weights(world);
  std::vector<std::thread> threads;
  for (int r = 0; r < world; ++r) {
    weights[r] = rankWeights(r);
    threads.emplace_back([&, r] {
      std::unique_ptr<Collectives> host = hosts.rank(r);
      if (absl::Status s = host->formTensorGroups(tp); !s.ok()) {
        results[r] = s;
        return;
      }
      LaunchPlan plan = multiRankPlan(r, tp, ep);
      std::vector<const void *> addresses(plan.buffers.size(), nullptr);
      addresses[0] = weights[r].data();
      CudaExecutorOptions options;
      options.collectives = host.get();
      options.collectiveTimeoutSeconds = timeoutSeconds;
      auto executor = CudaExecutor::create(plan, target, ptxImage(), shapes(),
                                           addresses, options);
      results[r] = executor.ok() ? body(r, **executor) : executor.status();
    });
  }
  for (std::thread &thread : threads)
    thread.join();
  return results;
}

/// logits[p][g * 4 + v] = the world's sum of the gathered columns: tp
/// times the sum over expert groups e of rank (e tp + g)'s fake_logits,
/// 0.25 w[v] + token p + 1000 cache[0] + 0.5 context.
float expectedLogit(int tp, int ep, int p, int column,
                    const std::vector<int32_t> &tokens, int64_t context,
                    float cache0) {
  int g = column / kVocab, v = column % kVocab;
  float sum = 0;
  for (int e = 0; e < ep; ++e)
    sum += rankWeights(e * tp + g)[v] * 0.25f + static_cast<float>(tokens[p]) +
           1000.0f * cache0 + 0.5f * static_cast<float>(context);
  return static_cast<float>(tp) * sum;
}

class CudaMultiRank : public ::testing::TestWithParam<std::pair<int, int>> {};

TEST_P(CudaMultiRank, CollectiveLaunchesExchangeDeviceBuffers) {
  FakeGpus fakes;
  auto [tp, ep] = GetParam();
  const std::vector<int32_t> prompt = {3, 1, 2};
  auto results = runRanks(
      tp, ep, 30, [&](int rank, CudaExecutor &executor) -> absl::Status {
        // Generation's prefill (prefillLastRow): the last row only.
        auto next = executor.stepForNextToken(0, prompt);
        if (!next.ok())
          return next.status();
        EXPECT_EQ(next->size(), static_cast<size_t>(kVocab * tp));
        for (int c = 0; c < kVocab * tp; ++c)
          EXPECT_EQ((*next)[c], expectedLogit(tp, ep, 2, c, prompt, 3, 3.0f))
              << "rank " << rank << " last row column " << c;
        executor.reset();
        auto prefill = executor.step(0, prompt);
        if (!prefill.ok())
          return prefill.status();
        auto decode = executor.step(0, std::vector<int32_t>{2});
        if (!decode.ok())
          return decode.status();
        EXPECT_EQ(prefill->size(), prompt.size() * kVocab * tp);
        for (int p = 0; p < 3; ++p)
          for (int c = 0; c < kVocab * tp; ++c)
            EXPECT_EQ((*prefill)[p * kVocab * tp + c],
                      expectedLogit(tp, ep, p, c, prompt, 3, 3.0f))
                << "rank " << rank << " prefill row " << p << " column " << c;
        for (int c = 0; c < kVocab * tp; ++c)
          EXPECT_EQ((*decode)[c], expectedLogit(tp, ep, 0, c, {2}, 4, 3.0f))
              << "rank " << rank << " decode column " << c;
        // Decode steps are a CUDA graph of the two kernels with the NCCL
        // calls after it on the stream; the next step moves both nodes.
        auto later = executor.step(0, std::vector<int32_t>{1});
        if (!later.ok())
          return later.status();
        for (int c = 0; c < kVocab * tp; ++c)
          EXPECT_EQ((*later)[c], expectedLogit(tp, ep, 0, c, {1}, 5, 3.0f))
              << "rank " << rank << " second decode column " << c;
        EXPECT_EQ(executor.decodeLaunchDescription(),
                  "one CUDA graph of 2 kernels (2 kernel updates in 2 steps)");
        return absl::OkStatus();
      });
  for (int r = 0; r < tp * ep; ++r)
    EXPECT_TRUE(results[r].ok()) << "rank " << r << ": " << results[r];
}

INSTANTIATE_TEST_SUITE_P(Layouts, CudaMultiRank,
                         ::testing::Values(std::make_pair(1, 1),
                                           std::make_pair(2, 1),
                                           std::make_pair(2, 2),
                                           std::make_pair(1, 2)),
                         [](const auto &info) {
                           return "tp" + std::to_string(info.param.first) +
                                  "ep" + std::to_string(info.param.second);
                         });

TEST(CudaMultiRankErrors, MissingNcclNamesTheLibraryAndTheVariable) {
  FakeGpus fakes;
  setenv("DSV2_LIBNCCL", "/nonexistent/libnccl.so.2", 1);
  auto results =
      runRanks(2, 1, 30, [](int, CudaExecutor &) { return absl::OkStatus(); });
  for (const absl::Status &status : results) {
    ASSERT_FALSE(status.ok());
    EXPECT_NE(std::string(status.message())
                  .find("cannot load NCCL (/nonexistent/libnccl.so.2: cannot "
                        "open shared object file: No such file or directory); "
                        "a GPU engine over several ranks needs NCCL 2"),
              std::string::npos)
        << status;
    EXPECT_NE(
        std::string(status.message()).find("set DSV2_LIBNCCL to its path"),
        std::string::npos)
        << status;
  }
}

TEST(CudaMultiRankErrors, PlanWithoutHostCollectivesIsRefused) {
  FakeGpus fakes;
  LaunchPlan plan = multiRankPlan(0, 2, 1);
  std::vector<const void *> addresses(plan.buffers.size(), nullptr);
  std::vector<float> weights = rankWeights(0);
  addresses[0] = weights.data();
  auto executor = CudaExecutor::create(plan, "sm_90a", ptxImage(), shapes(),
                                       addresses, CudaExecutorOptions{});
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(executor.status().message(),
            "the plan of rank 0 of 2 has collective launches, and the executor "
            "was given no collectives backend to bootstrap NCCL");
}

TEST(CudaMultiRankDevices, EachLocalRankTakesItsDeviceModuloTheCount) {
  FakeGpus fakes;
  setenv("DSV2_FAKE_CUDA_DEVICES", "2", 1);
  setenv("OMPI_COMM_WORLD_LOCAL_RANK", "3", 1);
  LaunchPlan plan = testing::testPlan();
  std::vector<const void *> addresses(plan.buffers.size(), nullptr);
  addresses[0] = testing::kWeights.data();
  auto executor = CudaExecutor::create(plan, "sm_90a", ptxImage(), shapes(),
                                       addresses, CudaExecutorOptions{});
  unsetenv("DSV2_FAKE_CUDA_DEVICES");
  unsetenv("OMPI_COMM_WORLD_LOCAL_RANK");
  ASSERT_TRUE(executor.ok()) << executor.status();
  EXPECT_EQ((*executor)->device().ordinal, 1);
}

TEST(CudaMultiRankErrors, PeersThatNeverComeEndAtTheDeadline) {
  FakeGpus fakes("stuck");
  auto start = std::chrono::steady_clock::now();
  auto results = runRanks(2, 1, 0.3, [](int, CudaExecutor &executor) {
    return executor.step(0, std::vector<int32_t>{1, 2}).status();
  });
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  for (const absl::Status &status : results) {
    EXPECT_TRUE(absl::IsDeadlineExceeded(status)) << status;
    EXPECT_EQ(status.message(),
              "the step's NCCL collectives (from all_gather) over the tensor "
              "group timed out after 0.3 s waiting for the other ranks (a "
              "rank died or the ranks run different engines)");
  }
  EXPECT_LT(seconds, 5.0);
}

/// On a real GPU with a real NCCL (DSV2_LIBNCCL, e.g. PyTorch's
/// nvidia/nccl/lib/libnccl.so.2): one rank, so one GPU suffices (NCCL
/// refuses two ranks on one device), through the same code: the unique id
/// broadcast, ncclCommInitRank, ncclAllGather into scratch and the
/// cuMemcpy2DAsync placement (prefill), the direct gather (decode),
/// ncclAllReduce and the polled end of the step. Checks our declarations of
/// both ABIs on hardware. Skips without a GPU or NCCL.
TEST(CudaMultiRankRealGpu, OneRankThroughNccl) {
  if (std::getenv("DSV2_LIBCUDA"))
    GTEST_SKIP() << "DSV2_LIBCUDA is set";
  auto driver = cuda::CudaDriver::open("sm_80");
  if (!driver.ok() || !(*driver)->firstDevice().ok())
    GTEST_SKIP() << "needs a GPU";
  auto nccl = cuda::NcclLibrary::open();
  if (!nccl.ok())
    GTEST_SKIP() << "needs NCCL: " << nccl.status();
  auto results = runRanks(
      1, 1, 30,
      [](int, CudaExecutor &executor) -> absl::Status {
        const std::vector<int32_t> prompt = {3, 1, 2};
        auto prefill = executor.step(0, prompt);
        if (!prefill.ok())
          return prefill.status();
        auto decode = executor.step(0, std::vector<int32_t>{2});
        if (!decode.ok())
          return decode.status();
        for (int p = 0; p < 3; ++p)
          for (int c = 0; c < kVocab; ++c)
            EXPECT_EQ((*prefill)[p * kVocab + c],
                      expectedLogit(1, 1, p, c, prompt, 3, 3.0f));
        for (int c = 0; c < kVocab; ++c)
          EXPECT_EQ((*decode)[c], expectedLogit(1, 1, 0, c, {2}, 4, 3.0f));
        return absl::OkStatus();
      },
      "sm_80");
  EXPECT_TRUE(results[0].ok()) << results[0];
}

} // namespace
} // namespace dsv2::runtime
