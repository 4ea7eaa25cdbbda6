//===- CudaExecutorTest.cpp - The CUDA executor without (and with) a GPU --===//
//
// The driver is opened at run time, so these run here: a missing driver, a
// machine without a device, a device too old for the engine's target and a
// PTX JIT error each give their one-line message; against the fake driver
// (FakeLibcuda.cpp, whose two kernels run on the host) a two-sequence
// prefill + decode checks uploads, per-sequence caches, argument offsets,
// scalars, launch shapes and logits readback, and decode steps replayed as
// one CUDA graph whose nodes follow each step. The RealGpu tests run the
// same plan's PTX on device 0 and skip when no driver or device is present.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaExecutor.h"
#include "runtime/cuda/PtxSignatures.h"

#include "test/unit/runtime/CudaTestPlan.h"

#include "gtest/gtest.h"

#include <cstdlib>
#include <cstring>
#include <dlfcn.h>
#include <string>

namespace dsv2::runtime {
namespace {

using testing::kPtx;
using testing::kVocab;
using testing::kWeights;
using testing::shapes;
using testing::testPlan;

absl::Span<const uint8_t> ptxImage(const char *text = kPtx) {
  // Passed with its NUL, as an engine may store it.
  return {reinterpret_cast<const uint8_t *>(text), std::strlen(text) + 1};
}

absl::StatusOr<std::unique_ptr<CudaExecutor>>
createTestExecutor(const std::string &target, int sharedBytes = 0,
                   const char *ptx = kPtx) {
  LaunchPlan plan = testPlan();
  std::vector<const void *> weights(plan.buffers.size(), nullptr);
  weights[0] = kWeights.data();
  CudaExecutorOptions options;
  options.sequences = 2;
  return CudaExecutor::create(plan, target, ptxImage(ptx), shapes(sharedBytes),
                              weights, options);
}

/// Uses the fake driver in `mode` for the test's duration.
class FakeDriver {
public:
  explicit FakeDriver(const char *mode) {
    setenv("DSV2_LIBCUDA", DSV2_FAKE_LIBCUDA, 1);
    setenv("DSV2_FAKE_CUDA", mode, 1);
  }
  ~FakeDriver() {
    unsetenv("DSV2_LIBCUDA");
    unsetenv("DSV2_FAKE_CUDA");
  }
  template <typename F> F hook(const char *name) {
    void *handle = dlopen(DSV2_FAKE_LIBCUDA, RTLD_NOW | RTLD_NOLOAD);
    return handle ? reinterpret_cast<F>(dlsym(handle, name)) : nullptr;
  }
};

std::string messageOf(const absl::Status &status) {
  return std::string(status.message());
}

TEST(CudaDriver, MissingDriverSaysSoInOneLine) {
  setenv("DSV2_LIBCUDA", "/nonexistent/libcuda.so.1", 1);
  auto executor = createTestExecutor("sm_90a");
  unsetenv("DSV2_LIBCUDA");
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(messageOf(executor.status()),
            "cannot load the NVIDIA driver (/nonexistent/libcuda.so.1: cannot "
            "open shared object file: No such file or directory); this engine "
            "was compiled for sm_90a and needs a GPU; compile with --target "
            "cpu to run on the CPU");
}

TEST(CudaDriver, NoDevice) {
  FakeDriver fake("no-device");
  auto executor = createTestExecutor("sm_90a");
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(messageOf(executor.status()),
            "no CUDA device (cuInit: CUDA_ERROR_NO_DEVICE (100): no "
            "CUDA-capable device is detected)");
}

TEST(CudaDriver, DeviceTooOldForTheTarget) {
  FakeDriver fake("cc80");
  auto executor = createTestExecutor("sm_90a");
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(messageOf(executor.status()),
            "engine for sm_90a needs compute capability 9.0, device 0 (Fake "
            "A100) has 8.0");
  // sm_80 code runs there.
  EXPECT_TRUE(createTestExecutor("sm_80").ok());
}

TEST(CudaDriver, TargetCapabilities) {
  cuda::CudaDeviceInfo blackwell;
  blackwell.name = "B200";
  blackwell.major = 10;
  EXPECT_TRUE(cuda::checkDeviceRuns("sm_80", blackwell).ok());
  EXPECT_EQ(messageOf(cuda::checkDeviceRuns("sm_90a", blackwell)),
            "engine for sm_90a needs compute capability 9.0, device 0 (B200) "
            "has 10.0; sm_90a code runs only on 9.0 (compile for sm_80 instead)");
  EXPECT_FALSE(cuda::targetCapability("sm_75").ok());
}

TEST(CudaDriver, JitErrorCarriesTheLog) {
  FakeDriver fake("cc90");
  std::string ptx = std::string(kPtx) + "// FAKE_JIT_ERROR\n";
  auto executor = createTestExecutor("sm_90a", 0, ptx.c_str());
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(messageOf(executor.status()),
            "the engine's PTX does not load on device 0 (Fake H200): "
            "cuModuleLoadDataEx: CUDA_ERROR_INVALID_PTX (218): a PTX JIT "
            "compilation failed; JIT log: ptxas fatal   : Unresolved extern "
            "function 'missing'");
}

TEST(CudaDriver, KernelWithoutLaunchShape) {
  FakeDriver fake("cc90");
  LaunchPlan plan = testPlan();
  std::vector<const void *> weights(plan.buffers.size(), nullptr);
  weights[0] = kWeights.data();
  auto executor = CudaExecutor::create(plan, "sm_90a", ptxImage(),
                                       {{"fake_cache", 32, 0}}, weights, {});
  ASSERT_FALSE(executor.ok());
  EXPECT_EQ(messageOf(executor.status()),
            "kernel fake_logits has no GPU launch shape in the engine");
}

TEST(PtxSignatures, ReadsEntryParameters) {
  auto entries = cuda::ptxEntryParams(kPtx);
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries["fake_cache"], (std::vector<std::string>{".u64", ".u64"}));
  EXPECT_EQ(entries["fake_logits"],
            (std::vector<std::string>{".u64", ".u64", ".u64", ".u64", ".u32",
                                      ".u32", ".f32"}));
  EXPECT_TRUE(cuda::checkLaunchSignatures(testPlan(), entries).ok());
}

TEST(PtxSignatures, RefusesAPlanThatDoesNotMatchItsKernels) {
  auto entries = cuda::ptxEntryParams(kPtx);
  LaunchPlan plan = testPlan();
  plan.decode.launches[1].args.pop_back();
  EXPECT_EQ(messageOf(cuda::checkLaunchSignatures(plan, entries)),
            "kernel fake_logits (test.logits) takes 7 parameters (.u64, .u64, "
            ".u64, .u64, .u32, .u32, .f32); the launch plan passes 6 (buffer, "
            "buffer, buffer, buffer, i32, i32)");
  plan = testPlan();
  plan.prefill.launches[0].args[1] = KernelArg::ofInt(StepExpr::of(1));
  EXPECT_EQ(messageOf(cuda::checkLaunchSignatures(plan, entries)),
            "kernel fake_cache (test.cache) takes 2 parameters (.u64, .u64); "
            "the launch plan passes 2 (buffer, i32)");
  plan = testPlan();
  plan.prefill.launches[0].kernel = "fake_missing";
  EXPECT_EQ(messageOf(cuda::checkLaunchSignatures(plan, entries)),
            "kernel fake_missing is not an entry of the engine's PTX");
}

/// Prefill 3 tokens of sequence 0, decode one; prefill 2 of sequence 1;
/// every logit against the formula of testPlan().
void checkSteps(CudaExecutor &executor) {
  auto expect = [](const std::vector<int32_t> &all, int64_t past, int64_t count,
                   const std::vector<float> &logits) {
    ASSERT_EQ(logits.size(), static_cast<size_t>(count * kVocab));
    for (int64_t p = 0; p < count; ++p)
      for (int64_t v = 0; v < kVocab; ++v)
        EXPECT_EQ(logits[p * kVocab + v],
                  kWeights[v] * 0.25f + all[past + p] + 1000.0f * all[0] +
                      0.5f * (past + count))
            << "position " << past + p << " logit " << v;
  };
  std::vector<int32_t> first = {3, 1, 2, 1}, second = {2, 3};
  auto prefill = executor.step(0, absl::MakeConstSpan(first.data(), 3));
  ASSERT_TRUE(prefill.ok()) << prefill.status();
  expect(first, 0, 3, *prefill);
  auto other = executor.step(1, second);
  ASSERT_TRUE(other.ok()) << other.status();
  expect(second, 0, 2, *other);
  auto decode = executor.step(0, absl::MakeConstSpan(first.data() + 3, 1));
  ASSERT_TRUE(decode.ok()) << decode.status();
  expect(first, 3, 1, *decode);
  EXPECT_EQ(executor.past(0), 4);
  EXPECT_EQ(executor.past(1), 2);

  // Refused steps leave the caches as they were.
  std::vector<int32_t> bad = {4};
  EXPECT_EQ(messageOf(executor.step(0, bad).status()),
            "token id 4 at position 4 is outside the vocabulary [0, 4)");
  std::vector<int32_t> many(5, 1);
  EXPECT_EQ(messageOf(executor.step(0, many).status()),
            "context of 9 tokens exceeds the engine's maximum of 8");
  EXPECT_EQ(executor.past(0), 4);
  executor.reset();
  EXPECT_EQ(executor.past(0), 0);
  EXPECT_GT(executor.allocatedBytes(), 0);
}

TEST(CudaExecutor, RunsThePlanOnTheFakeDriver) {
  FakeDriver fake("cc90");
  auto executor = createTestExecutor("sm_90a", 64 * 1024);
  ASSERT_TRUE(executor.ok()) << executor.status();
  EXPECT_EQ((*executor)->device().name, "Fake H200");
  checkSteps(**executor);
  // One block of the kernel's threads, its shared bytes, opted in above 48 KiB.
  EXPECT_EQ(fake.hook<unsigned (*)()>("fakeCudaLastBlock")(), 32u);
  EXPECT_EQ(fake.hook<unsigned (*)()>("fakeCudaLastShared")(), 64u * 1024);
  EXPECT_EQ(fake.hook<int (*)()>("fakeCudaMaxDynamicShared")(), 64 * 1024);
  EXPECT_EQ((*executor)->lastStepTimings().launches, 2);
}

TEST(CudaExecutor, DecodeStepsReplayOneGraph) {
  FakeDriver fake("cc90");
  auto executor = createTestExecutor("sm_90a");
  ASSERT_TRUE(executor.ok()) << executor.status();
  // The fake's hooks, once the executor has loaded it.
  auto launches = fake.hook<int (*)()>("fakeCudaLaunches");
  auto graphLaunches = fake.hook<int (*)()>("fakeCudaGraphLaunches");
  auto updates = fake.hook<int (*)()>("fakeCudaGraphNodeUpdates");
  ASSERT_TRUE(launches && graphLaunches && updates);
  CudaExecutor &e = **executor;
  const int launchesBefore = launches(), graphsBefore = graphLaunches(),
            updatesBefore = updates();
  // Prefill on the stream (2 kernels), the decode step as the graph.
  checkSteps(e);
  EXPECT_EQ(launches() - launchesBefore, 2 * 2);
  EXPECT_EQ(graphLaunches() - graphsBefore, 1);
  EXPECT_EQ(e.graphSteps(), 1);
  EXPECT_EQ(e.graphUpdates(), 0);

  // Decode steps at moving positions and alternating sequences: each one
  // moves the cache slot (both kernels) and the context (fake_logits), so
  // both nodes are set again, and every logit must follow the step's
  // arguments (a stale node would write the wrong slot or context).
  e.reset();
  std::vector<int32_t> tokens[2] = {{2, 3, 1, 2, 3}, {1, 1, 3, 2, 2}};
  for (int t = 0; t < 5; ++t)
    for (int s = 0; s < 2; ++s) {
      auto logits = e.step(s, absl::MakeConstSpan(&tokens[s][t], 1));
      ASSERT_TRUE(logits.ok()) << logits.status();
      for (int64_t v = 0; v < kVocab; ++v)
        ASSERT_EQ((*logits)[v], kWeights[v] * 0.25f + tokens[s][t] +
                                    1000.0f * tokens[s][0] + 0.5f * (t + 1))
            << "sequence " << s << " position " << t << " logit " << v;
    }
  EXPECT_EQ(e.graphSteps(), 11);
  EXPECT_EQ(e.graphUpdates(), 2 * 10);
  EXPECT_EQ(updates() - updatesBefore, 2 * 10);
  EXPECT_EQ(launches() - launchesBefore, 2 * 2); // No more stream launches.

  // The same step again (same sequence, position, buffers): nothing to set.
  e.reset();
  ASSERT_TRUE(e.step(1, absl::MakeConstSpan(&tokens[1][0], 1)).ok());
  e.reset();
  auto again = e.step(1, absl::MakeConstSpan(&tokens[1][0], 1));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)[3], kWeights[3] * 0.25f + 1 + 1000.0f + 0.5f);
  EXPECT_EQ(e.graphUpdates(), 2 * 10 + 2);
  EXPECT_EQ(e.decodeLaunchDescription(),
            "one CUDA graph of 2 kernels (22 kernel updates in 13 steps)");
}

TEST(CudaExecutor, DecodeFallsBackToTheStreamWhenTheGraphCannotBeMade) {
  FakeDriver fake("cc90");
  setenv("DSV2_FAKE_CUDA_GRAPH_FAILS", "1", 1);
  auto executor = createTestExecutor("sm_90a");
  ASSERT_TRUE(executor.ok()) << executor.status();
  checkSteps(**executor);
  unsetenv("DSV2_FAKE_CUDA_GRAPH_FAILS");
  EXPECT_EQ((*executor)->graphSteps(), 0);
  EXPECT_EQ((*executor)->decodeLaunchDescription(),
            "stream launches (cuGraphInstantiate: CUDA_ERROR_OUT_OF_MEMORY (2): "
            "out of memory)");
}

TEST(CudaExecutor, GraphsCanBeTurnedOff) {
  FakeDriver fake("cc90");
  setenv("DSV2_CUDA_GRAPHS", "0", 1);
  auto executor = createTestExecutor("sm_90a");
  unsetenv("DSV2_CUDA_GRAPHS");
  ASSERT_TRUE(executor.ok()) << executor.status();
  auto graphLaunches = fake.hook<int (*)()>("fakeCudaGraphLaunches");
  ASSERT_TRUE(graphLaunches);
  const int before = graphLaunches();
  checkSteps(**executor);
  EXPECT_EQ(graphLaunches(), before);
  EXPECT_EQ((*executor)->graphSteps(), 0);
  EXPECT_EQ((*executor)->decodeLaunchDescription(),
            "stream launches (DSV2_CUDA_GRAPHS=0)");
}

TEST(CudaExecutor, BatchedStepsPlaceEachSequenceInItsRows) {
  FakeDriver fake("cc90");
  auto executor = createTestExecutor("sm_90a");
  ASSERT_TRUE(executor.ok()) << executor.status();
  CudaExecutor &e = **executor;
  // Two prompts in one prefill (rows 0-2 and 3-4 of the step), then one
  // token of each in one decodeBatch step (rows 0 and 1).
  std::vector<int32_t> first = {3, 1, 2, 1}, second = {2, 3, 3};
  auto logit = [](const std::vector<int32_t> &all, int64_t position,
                  int64_t context, int64_t v) {
    return kWeights[v] * 0.25f + all[position] + 1000.0f * all[0] +
           0.5f * context;
  };
  std::vector<SequenceTokens> prefill = {
      {0, absl::MakeConstSpan(first.data(), 3)},
      {1, absl::MakeConstSpan(second.data(), 2)}};
  auto rows = e.stepBatch(prefill, /*lastRowOnly=*/false);
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ((*rows)[0].size(), static_cast<size_t>(3 * kVocab));
  ASSERT_EQ((*rows)[1].size(), static_cast<size_t>(2 * kVocab));
  for (int64_t v = 0; v < kVocab; ++v) {
    EXPECT_EQ((*rows)[0][2 * kVocab + v], logit(first, 2, 3, v));
    EXPECT_EQ((*rows)[1][1 * kVocab + v], logit(second, 1, 2, v));
  }
  std::vector<SequenceTokens> decode = {
      {0, absl::MakeConstSpan(first.data() + 3, 1)},
      {1, absl::MakeConstSpan(second.data() + 2, 1)}};
  auto next = e.stepBatch(decode, /*lastRowOnly=*/true);
  ASSERT_TRUE(next.ok()) << next.status();
  for (int64_t v = 0; v < kVocab; ++v) {
    EXPECT_EQ((*next)[0][v], logit(first, 3, 4, v)) << "logit " << v;
    EXPECT_EQ((*next)[1][v], logit(second, 2, 3, v)) << "logit " << v;
  }
  EXPECT_EQ(e.past(0), 4);
  EXPECT_EQ(e.past(1), 3);
  // decodeBatch ran (as the graph of batch size 2), not one decode step
  // each; the next rounds update the graph's nodes (the cache slots moved).
  EXPECT_EQ(e.graphSteps(), 0);
  std::vector<int32_t> more = {2, 1, 3, 2};
  for (int round = 0; round < 2; ++round) {
    std::vector<SequenceTokens> step = {
        {0, absl::MakeConstSpan(&more[round], 1)},
        {1, absl::MakeConstSpan(&more[2 + round], 1)}};
    auto rows = e.stepBatch(step, /*lastRowOnly=*/true);
    ASSERT_TRUE(rows.ok()) << rows.status();
    first.push_back(more[round]);
    second.push_back(more[2 + round]);
    for (int64_t v = 0; v < kVocab; ++v) {
      EXPECT_EQ((*rows)[0][v], logit(first, 4 + round, 5 + round, v));
      EXPECT_EQ((*rows)[1][v], logit(second, 3 + round, 4 + round, v));
    }
  }
  EXPECT_EQ(e.graphUpdates(), 0); // The single-step graph never ran.
  EXPECT_EQ(e.decodeLaunchDescription(),
            "3 steps of a whole batch (decodeBatch) as CUDA graphs, one per "
            "batch size (1)");
}

/// A real driver and device, or skip.
bool haveGpu(std::string &why) {
  if (std::getenv("DSV2_LIBCUDA")) {
    why = "DSV2_LIBCUDA is set";
    return false;
  }
  auto driver = cuda::CudaDriver::open("sm_80");
  if (!driver.ok()) {
    why = messageOf(driver.status());
    return false;
  }
  auto device = (*driver)->firstDevice();
  if (!device.ok()) {
    why = messageOf(device.status());
    return false;
  }
  return true;
}

TEST(CudaExecutorRealGpu, RunsThePlan) {
  std::string why;
  if (!haveGpu(why))
    GTEST_SKIP() << "needs a GPU: " << why;
  auto executor = createTestExecutor("sm_80", 64 * 1024);
  ASSERT_TRUE(executor.ok()) << executor.status();
  checkSteps(**executor);
}

TEST(CudaExecutorRealGpu, JitErrorsCarryTheLog) {
  std::string why;
  if (!haveGpu(why))
    GTEST_SKIP() << "needs a GPU: " << why;
  auto executor = createTestExecutor(
      "sm_80", 0, ".version 7.0\n.target sm_80\n.address_size 64\nnot ptx\n");
  ASSERT_FALSE(executor.ok());
  EXPECT_NE(messageOf(executor.status()).find("JIT log: "), std::string::npos)
      << executor.status();
}

} // namespace
} // namespace dsv2::runtime
