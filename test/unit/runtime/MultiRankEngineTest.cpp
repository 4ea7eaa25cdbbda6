//===- MultiRankEngineTest.cpp - Engines of several ranks: files and checks ===//
//
// A tp 2 engine written with EngineWriter (one weight file per rank) and read
// back rank by rank: the parallel plan, each rank's plan with its collective
// launches, each rank's own weights. Then what is refused: a rank outside
// the world, a weight file of another rank, writer misuse, and engines whose
// rank programs or collectives do not follow the contract (LaunchPlan.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineReader.h"
#include "runtime/engine/EngineWriter.h"

#include "test/unit/runtime/ExpectError.h"
#include "test/unit/runtime/TestFiles.h"

#include "gtest/gtest.h"

#include <cstring>
#include <filesystem>
#include <functional>

namespace dsv2::runtime {
namespace {

using testing::expectError;
using testing::ScratchDir;

EngineDescription description() {
  EngineDescription d;
  d.target = "cpu";
  d.model = {"two ranks", "{}", 16, 4, 1, 64, 0, 1, "f32"};
  d.kvCache = {"latent", 3, 1, ElementType::F32, 8, 12, 1};
  d.kernels = {"cpu", "elf-shared-object", "x86-64", {}, {"k0"}};
  return d;
}

/// Rank `rank` of tp 2: a packed weight "w" (4 f32), a bf16 weight "h", a
/// kernel writing its half of the logits into "part", then the
/// all-gather of the halves and an all-reduce over the world.
LaunchPlan rankPlan(int rank) {
  LaunchPlan plan;
  plan.rank = rank;
  plan.tensorParallel = 2;
  plan.vocabSize = 16;
  plan.maxContext = 8;
  int32_t w = plan.addBuffer("w", BufferRole::Weight, ElementType::F32,
                             StepExpr::of(4));
  int32_t h = plan.addBuffer("h", BufferRole::Weight, ElementType::BF16,
                             StepExpr::of(2));
  int32_t part = plan.addBuffer("part", BufferRole::Scratch, ElementType::F32,
                                StepExpr::tokens(8));
  plan.tokensBuffer = plan.addBuffer("tokens", BufferRole::Tokens,
                                     ElementType::I32, StepExpr::tokens());
  plan.logitsBuffer = plan.addBuffer("logits", BufferRole::Logits,
                                     ElementType::F32, StepExpr::tokens(16));
  Launch kernel;
  kernel.kernel = "k0";
  kernel.origin = "dsv2.linear";
  kernel.args = {KernelArg::ofBuffer(w), KernelArg::ofBuffer(h),
                 KernelArg::ofBuffer(part)};
  Launch gather;
  gather.origin = "dsv2.all_gather";
  gather.collective = CollectiveKind::AllGatherColumns;
  gather.group = CollectiveGroup::Tensor;
  gather.args = {KernelArg::ofBuffer(part), KernelArg::ofBuffer(plan.logitsBuffer),
                 KernelArg::ofInt(StepExpr::tokens()),
                 KernelArg::ofInt(StepExpr::of(8))};
  Launch reduce = gather;
  reduce.origin = "dsv2.all_reduce";
  reduce.collective = CollectiveKind::AllReduceSum;
  reduce.group = CollectiveGroup::World;
  reduce.args[0] = KernelArg::ofBuffer(plan.logitsBuffer);
  reduce.args[3] = KernelArg::ofInt(StepExpr::of(16));
  plan.prefill.launches = {kernel, gather, reduce};
  return plan;
}

std::vector<uint8_t> weightBytes(int rank, size_t bytes) {
  std::vector<uint8_t> out(bytes);
  for (size_t i = 0; i < bytes; ++i)
    out[i] = static_cast<uint8_t>(100 * rank + i);
  return out;
}

const std::vector<uint8_t> kImage(40, 0xab);

std::string writeTwoRanks(const ScratchDir &dir) {
  std::string path = dir.file("tp2.dsv2");
  auto writer = EngineWriter::create(path, 2);
  EXPECT_TRUE(writer.ok()) << writer.status();
  EXPECT_EQ((*writer)->temporaryPaths().size(), 3u);
  for (int rank = 0; rank < 2; ++rank) {
    EXPECT_TRUE((*writer)->addWeight(rank, 0, "w", weightBytes(rank, 16)).ok());
    EXPECT_TRUE((*writer)->addWeight(rank, 1, "h", weightBytes(rank, 4)).ok());
  }
  EXPECT_EQ((*writer)->weightFileBytes(1), kWeightsHeaderBytes + 64 + 4);
  std::vector<LaunchPlan> plans = {rankPlan(0), rankPlan(1)};
  absl::Status committed = (*writer)->commit(description(), plans, kImage);
  EXPECT_TRUE(committed.ok()) << committed;
  return path;
}

TEST(MultiRankEngine, EachRankLoadsItsPlanAndItsWeights) {
  ScratchDir dir;
  std::string path = writeTwoRanks(dir);
  for (int rank = 0; rank < 2; ++rank) {
    EngineLoadOptions options;
    options.rank = rank;
    auto loaded = LoadedEngine::open(path, options);
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    const EngineDescription &d = (*loaded)->description();
    EXPECT_EQ(d.parallel.worldSize, 2);
    EXPECT_EQ(d.parallel.tensorParallel, 2);
    EXPECT_EQ(d.parallel.expertParallel, 1);
    EXPECT_EQ((*loaded)->rank(), rank);
    EXPECT_EQ(d.plan.rank, rank);
    EXPECT_EQ(d.plan.tensorParallel, 2);
    EXPECT_EQ(d.plan.worldSize(), 2);
    EXPECT_EQ((*loaded)->weightPath(), weightFilePath(path, rank));
    const std::vector<Launch> &launches = d.plan.prefill.launches;
    ASSERT_EQ(launches.size(), 3u);
    EXPECT_FALSE(launches[0].isCollective());
    EXPECT_EQ(launches[1].collective, CollectiveKind::AllGatherColumns);
    EXPECT_EQ(launches[1].group, CollectiveGroup::Tensor);
    EXPECT_TRUE(launches[1].kernel.empty());
    EXPECT_EQ(launches[2].collective, CollectiveKind::AllReduceSum);
    EXPECT_EQ(launches[2].group, CollectiveGroup::World);
    EXPECT_EQ(launches[2].args[3].intValue.evaluate(1, 0), 16);
    EXPECT_EQ(std::memcmp((*loaded)->weightAddresses()[0],
                          weightBytes(rank, 16).data(), 16),
              0);
  }
  auto identity = readEngineIdentity(path);
  ASSERT_TRUE(identity.ok()) << identity.status();
  EXPECT_EQ(identity->parallel.worldSize, 2);
}

TEST(MultiRankEngine, ARankOutsideTheWorldIsRefused) {
  ScratchDir dir;
  std::string path = writeTwoRanks(dir);
  EngineLoadOptions options;
  options.rank = 2;
  expectError(LoadedEngine::open(path, options).status(),
              absl::StatusCode::kInvalidArgument,
              {path, "rank 2 of an engine of 2 ranks"});
}

TEST(MultiRankEngine, AnotherRanksWeightFileIsRefused) {
  ScratchDir dir;
  std::string path = writeTwoRanks(dir);
  std::filesystem::copy_file(weightFilePath(path, 0), weightFilePath(path, 1),
                             std::filesystem::copy_options::overwrite_existing);
  EngineLoadOptions options;
  options.rank = 1;
  expectError(LoadedEngine::open(path, options).status(),
              absl::StatusCode::kFailedPrecondition,
              {weightFilePath(path, 1), "is the weight file of rank 0, not of rank 1"});
}

TEST(MultiRankEngine, AnUncommittedWriterLeavesNoWeightFile) {
  ScratchDir dir;
  {
    auto writer = EngineWriter::create(dir.file("e.dsv2"), 3);
    ASSERT_TRUE(writer.ok());
    ASSERT_TRUE((*writer)->addWeight(2, 0, "w", weightBytes(2, 16)).ok());
    expectError((*writer)->addWeight(3, 0, "w", weightBytes(3, 16)),
                absl::StatusCode::kInvalidArgument,
                {"weight w for rank 3 of an engine of 3 ranks"});
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(MultiRankEngine, TheWriterChecksTheRankPlans) {
  ScratchDir dir;
  auto writer = EngineWriter::create(dir.file("e.dsv2"), 2);
  ASSERT_TRUE(writer.ok());
  std::vector<LaunchPlan> one = {rankPlan(0)};
  expectError((*writer)->commit(description(), one, kImage),
              absl::StatusCode::kInvalidArgument,
              {"1 rank plans for an engine created with 2 ranks"});
  std::vector<LaunchPlan> swapped = {rankPlan(1), rankPlan(0)};
  expectError((*writer)->commit(description(), swapped, kImage),
              absl::StatusCode::kInvalidArgument,
              {"rank plan 0 says rank 1 of tp 2 x ep 1; expected rank 0 of 2 ranks"});
}

/// Parses an engine serialized from the two rank plans after `change`.
absl::Status parseChanged(
    const std::function<void(std::vector<RankProgramInfo> &)> &change) {
  std::vector<RankProgramInfo> ranks;
  for (int rank = 0; rank < 2; ++rank)
    ranks.push_back({rankPlan(rank), absl::StrCat("e.dsv2.rank", rank, ".weights"),
                     kWeightsHeaderBytes + 128,
                     {{0, "w", kWeightsHeaderBytes, 16, 0},
                      {1, "h", kWeightsHeaderBytes + 64, 4, 0}}});
  change(ranks);
  std::vector<uint8_t> bytes =
      serializeEngine(description(), ranks, kImage, BuildId{});
  return parseEngine(bytes, "e.dsv2").status();
}

TEST(MultiRankEngine, TheRankProgramsMustMatchTheParallelPlan) {
  EXPECT_TRUE(parseChanged([](auto &) {}).ok()) << parseChanged([](auto &) {});
  expectError(parseChanged([](auto &ranks) { ranks.pop_back(); }),
              absl::StatusCode::kDataLoss,
              {"e.dsv2: corrupt engine: 1 rank programs for a world of 2 ranks"});
  expectError(parseChanged([](auto &ranks) { std::swap(ranks[0], ranks[1]); }),
              absl::StatusCode::kDataLoss,
              {"rank program 0 says it is rank 1"});
  expectError(parseChanged([](auto &ranks) {
                for (RankProgramInfo &rank : ranks)
                  rank.plan.tensorParallel = 0;
              }),
              absl::StatusCode::kDataLoss, {"world size 0 is not tp 0 x ep 1"});
}

TEST(MultiRankEngine, CollectivesMustFollowTheContract) {
  auto collective = [](std::vector<RankProgramInfo> &ranks) -> Launch & {
    return ranks[1].plan.prefill.launches[1];
  };
  expectError(parseChanged([&](auto &ranks) { collective(ranks).kernel = "k0"; }),
              absl::StatusCode::kDataLoss,
              {"e.dsv2: rank 1: corrupt engine: all_gather (dsv2.all_gather) "
               "names kernel k0"});
  expectError(parseChanged([&](auto &ranks) { collective(ranks).args.pop_back(); }),
              absl::StatusCode::kDataLoss,
              {"all_gather (dsv2.all_gather) has 3 arguments, not (source "
               "buffer, destination buffer, rows, columns)"});
  expectError(parseChanged([&](auto &ranks) {
                collective(ranks).args[2] = KernelArg::ofFloat(1);
              }),
              absl::StatusCode::kDataLoss, {"has 4 arguments, not (source"});
  expectError(parseChanged([&](auto &ranks) {
                collective(ranks).args[0] = KernelArg::ofBuffer(1);
              }),
              absl::StatusCode::kDataLoss,
              {"all_gather (dsv2.all_gather) on buffer h, which is not f32"});
  expectError(parseChanged([&](auto &ranks) {
                ranks[0].plan.prefill.launches[0].kernel.clear();
              }),
              absl::StatusCode::kDataLoss,
              {"e.dsv2: rank 0: corrupt engine: a launch (dsv2.linear) names "
               "no kernel"});
  expectError(parseChanged([&](auto &ranks) {
                collective(ranks).collective = static_cast<CollectiveKind>(7);
              }),
              absl::StatusCode::kDataLoss, {"an unknown collective or group"});
}

TEST(MultiRankEngine, OlderSchemaVersionsAskForARecompile) {
  std::vector<RankProgramInfo> ranks = {
      {rankPlan(0), "e.dsv2.rank0.weights", kWeightsHeaderBytes + 128, {}}};
  std::vector<uint8_t> bytes =
      serializeEngine(description(), ranks, kImage, BuildId{});
  EngineHeader header;
  std::memcpy(&header, bytes.data(), sizeof header);
  header.schemaVersion = 2;
  std::memcpy(bytes.data(), &header, sizeof header);
  expectError(parseEngine(bytes, "old.dsv2").status(),
              absl::StatusCode::kFailedPrecondition,
              {"old.dsv2: engine schema version 2, this runtime reads version 4; "
               "recompile the engine with a matching dsv2c"});
}

} // namespace
} // namespace dsv2::runtime
