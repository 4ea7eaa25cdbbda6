//===- ShuffleTest.cpp - shfl.sync.bfly, emulated -------------------------===//
//
// A whole-warp butterfly shuffle hands each lane the value of lane
// (lane ^ mask); lanes that do not all arrive are a trap, never a hang.
//
//===----------------------------------------------------------------------===//

#include "runtime/simt/SimtEmulator.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace dsv2::runtime {
namespace {

const Dsv2SimtEmuApi *api = simtEmulatorApi();

/// out[tid * 5 + i] = the value of lane (lane ^ masks[i]) of this warp, each
/// lane offering 1000 * warp + 3 * lane + 1; then a butterfly sum.
void shuffleThread(void **args) {
  auto *out = *static_cast<uint32_t **>(args[0]);
  int tid = api->tidX(), warp = tid / 32, lane = tid % 32;
  uint32_t mine = 1000u * warp + 3u * lane + 1u;
  const int32_t masks[] = {1, 2, 16, 31};
  for (int i = 0; i < 4; ++i)
    out[tid * 5 + i] = api->shuffleXor(mine, masks[i]);
  uint32_t sum = mine;
  for (int32_t offset = 16; offset >= 1; offset /= 2)
    sum += api->shuffleXor(sum, offset);
  out[tid * 5 + 4] = sum;
}

TEST(SimtShuffleTest, ButterflyReadsThePartnerLaneOfItsOwnWarp) {
  const int threads = 96;
  std::vector<uint32_t> out(threads * 5, 0);
  uint32_t *data = out.data();
  void *args[] = {&data};
  api->launch(shuffleThread, args, 2, 1, 1, 0, 2, threads, 0);
  const int32_t masks[] = {1, 2, 16, 31};
  for (int tid = 0; tid < threads; ++tid) {
    int warp = tid / 32, lane = tid % 32;
    uint32_t warpSum = 0;
    for (int l = 0; l < 32; ++l)
      warpSum += 1000u * warp + 3u * l + 1u;
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(out[tid * 5 + i], 1000u * warp + 3u * (lane ^ masks[i]) + 1u)
          << "thread " << tid << " mask " << masks[i];
    EXPECT_EQ(out[tid * 5 + 4], warpSum) << "thread " << tid;
  }
}

class SimtShuffleDeathTest : public ::testing::Test {
protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

void everyLaneShufflesThread(void **) { (void)api->shuffleXor(1, 1); }

void laneSevenExitsThread(void **) {
  if (api->tidX() == 7)
    return;
  everyLaneShufflesThread(nullptr);
}

void badMaskThread(void **) { (void)api->shuffleXor(1, 32); }

TEST_F(SimtShuffleDeathTest, PartialWarpTraps) {
  EXPECT_DEATH(
      api->launch(everyLaneShufflesThread, nullptr, 1, 1, 1, 0, 1, 40, 0),
      "dsv2 SIMT emulator: block \\(0, 0, 0\\) of grid \\(1, 1, 1\\): "
      "shfl.sync in warp 1, which has only 8 lanes");
}

TEST_F(SimtShuffleDeathTest, LaneThatExitedTraps) {
  EXPECT_DEATH(api->launch(laneSevenExitsThread, nullptr, 1, 1, 1, 0, 1, 32, 0),
               "dsv2 SIMT emulator: block \\(0, 0, 0\\) of grid \\(1, 1, 1\\): "
               "shfl.sync reached by 31 of the 32 lanes of warp 0");
}

TEST_F(SimtShuffleDeathTest, LaneMaskOutsideTheWarpTraps) {
  EXPECT_DEATH(api->launch(badMaskThread, nullptr, 1, 1, 1, 0, 1, 32, 0),
               "shfl.sync.bfly lane mask 32 is not in 0 .. 31");
}

TEST_F(SimtShuffleDeathTest, ShuffleOutsideALaunchTraps) {
  EXPECT_DEATH(everyLaneShufflesThread(nullptr),
               "dsv2 SIMT emulator: shfl.sync called outside a kernel launch");
}

} // namespace
} // namespace dsv2::runtime
