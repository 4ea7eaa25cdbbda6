//===- MmaTest.cpp - mma.m16n8k16 bf16 fragments, emulated ----------------===//
//
// The test distributes A, B and C to the lanes with its own copy of the PTX
// ISA formulas (section 9.7.14.5.8, "Matrix Fragments for mma.m16n8k16 with
// floating point type"), checks a few lanes against coordinates read straight
// off Figures 79, 81 and 83, and compares D with a double reference.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Bf16.h"
#include "runtime/simt/MmaFragments.h"
#include "runtime/simt/SimtEmulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

namespace dsv2::runtime {
namespace {

const Dsv2SimtEmuApi *api = simtEmulatorApi();

// The ISA formulas, written out again independently of the emulator's.
int aRow(int lane, int i) { return (lane >> 2) + ((i % 4) >= 2 ? 8 : 0); }
int aCol(int lane, int i) {
  return (lane % 4) * 2 + (i & 1) + (i >= 4 ? 8 : 0);
}
int bRow(int lane, int i) {
  return (lane % 4) * 2 + (i & 1) + (i >= 2 ? 8 : 0);
}
int bCol(int lane, int) { return lane >> 2; }
int cRow(int lane, int i) { return (lane >> 2) + (i >= 2 ? 8 : 0); }
int cCol(int lane, int i) { return (lane % 4) * 2 + (i & 1); }

struct Problem {
  uint16_t a[16][16]; // bf16 bits
  uint16_t b[16][8];
  float c[16][8];
  float d[16][8];
};

uint32_t pack(uint16_t low, uint16_t high) {
  return uint32_t(low) | (uint32_t(high) << 16);
}

/// One warp per Problem: lane `tid % 32` of warp `tid / 32` hands its
/// fragments of problems[warp] to the mma and scatters its D fragment back.
/// With args[1] = 2 it runs the mma twice, accumulating into D.
void mmaThread(void **args) {
  Problem *problems = *static_cast<Problem **>(args[0]);
  int repeats = *static_cast<int32_t *>(args[1]);
  int tid = api->tidX(), lane = tid % 32;
  Problem &p = problems[tid / 32];
  uint32_t a[4], b[2];
  for (int r = 0; r < 4; ++r)
    a[r] = pack(p.a[aRow(lane, 2 * r)][aCol(lane, 2 * r)],
                p.a[aRow(lane, 2 * r + 1)][aCol(lane, 2 * r + 1)]);
  for (int r = 0; r < 2; ++r)
    b[r] = pack(p.b[bRow(lane, 2 * r)][bCol(lane, 2 * r)],
                p.b[bRow(lane, 2 * r + 1)][bCol(lane, 2 * r + 1)]);
  float acc[4];
  for (int i = 0; i < 4; ++i)
    acc[i] = p.c[cRow(lane, i)][cCol(lane, i)];
  for (int n = 0; n < repeats; ++n) {
    float d[4];
    api->mmaM16N8K16Bf16(a[0], a[1], a[2], a[3], b[0], b[1], acc[0], acc[1],
                         acc[2], acc[3], d);
    for (int i = 0; i < 4; ++i)
      acc[i] = d[i];
  }
  for (int i = 0; i < 4; ++i)
    p.d[cRow(lane, i)][cCol(lane, i)] = acc[i];
}

void runMma(std::vector<Problem> &problems, int repeats) {
  Problem *data = problems.data();
  int32_t count = repeats;
  void *args[] = {&data, &count};
  int threads = static_cast<int>(problems.size()) * 32;
  api->launch(mmaThread, args, 1, 1, 1, 0, 1, threads, 0);
}

Problem randomProblem(unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-2.0f, 2.0f);
  Problem p{};
  for (auto &row : p.a)
    for (uint16_t &x : row)
      x = float32ToBf16(value(rng));
  for (auto &row : p.b)
    for (uint16_t &x : row)
      x = float32ToBf16(value(rng));
  for (auto &row : p.c)
    for (float &x : row)
      x = value(rng);
  return p;
}

double reference(const Problem &p, int row, int col, int repeats) {
  double product = 0;
  for (int k = 0; k < 16; ++k)
    product += double(bf16ToFloat32(p.a[row][k])) * bf16ToFloat32(p.b[k][col]);
  return p.c[row][col] + repeats * product;
}

TEST(SimtMmaTest, MatchesADoubleReferenceAcrossWarps) {
  std::vector<Problem> problems = {randomProblem(1), randomProblem(2),
                                   randomProblem(3)};
  std::vector<Problem> twice = problems;
  runMma(problems, 1);
  runMma(twice, 2);
  for (size_t w = 0; w < problems.size(); ++w)
    for (int row = 0; row < 16; ++row)
      for (int col = 0; col < 8; ++col) {
        EXPECT_NEAR(problems[w].d[row][col],
                    reference(problems[w], row, col, 1), 1e-4)
            << "warp " << w << " D(" << row << ", " << col << ")";
        EXPECT_NEAR(twice[w].d[row][col], reference(twice[w], row, col, 2),
                    2e-4)
            << "warp " << w << " D(" << row << ", " << col << "), twice";
      }
}

TEST(SimtMmaTest, ASingleProductLandsWhereTheIsaFiguresSay) {
  // A(9, 11) = 2 is a7, the high half of a3, of lane 5 (groupID 1,
  // threadID_in_group 1); B(11, 3) = 3 is b3, the high half of b1, of lane
  // 13 (groupID 3, threadID_in_group 1). Their product D(9, 3) is c3 of
  // lane 5. Everything else is zero.
  struct Kernel {
    static void thread(void **args) {
      float *out = *static_cast<float **>(args[0]);
      int lane = api->tidX();
      uint32_t a3 = lane == 5 ? pack(0, float32ToBf16(2.0f)) : 0;
      uint32_t b1 = lane == 13 ? pack(0, float32ToBf16(3.0f)) : 0;
      api->mmaM16N8K16Bf16(0, 0, 0, a3, 0, b1, 0, 0, 0, 0, out + 4 * lane);
    }
  };
  std::vector<float> d(32 * 4, -1.0f);
  float *data = d.data();
  void *args[] = {&data};
  api->launch(Kernel::thread, args, 1, 1, 1, 0, 1, 32, 0);
  for (int lane = 0; lane < 32; ++lane)
    for (int i = 0; i < 4; ++i)
      EXPECT_EQ(d[4 * lane + i], lane == 5 && i == 3 ? 6.0f : 0.0f)
          << "lane " << lane << " c" << i;
}

TEST(SimtMmaTest, FragmentCoordinatesOfHandPickedLanes) {
  using simt::MatrixCoord;
  auto expectAt = [](MatrixCoord got, int row, int col, const char *what) {
    EXPECT_EQ(got.row, row) << what;
    EXPECT_EQ(got.col, col) << what;
  };
  // Figure 79 (A): lanes 0, 5 and 31, elements a0..a7.
  const int aExpected[3][8][2] = {
      {{0, 0}, {0, 1}, {8, 0}, {8, 1}, {0, 8}, {0, 9}, {8, 8}, {8, 9}},
      {{1, 2}, {1, 3}, {9, 2}, {9, 3}, {1, 10}, {1, 11}, {9, 10}, {9, 11}},
      {{7, 6}, {7, 7}, {15, 6}, {15, 7}, {7, 14}, {7, 15}, {15, 14}, {15, 15}}};
  // Figure 81 (B): b0..b3.
  const int bExpected[3][4][2] = {{{0, 0}, {1, 0}, {8, 0}, {9, 0}},
                                  {{2, 1}, {3, 1}, {10, 1}, {11, 1}},
                                  {{6, 7}, {7, 7}, {14, 7}, {15, 7}}};
  // Figure 83 (C/D): c0..c3.
  const int cExpected[3][4][2] = {{{0, 0}, {0, 1}, {8, 0}, {8, 1}},
                                  {{1, 2}, {1, 3}, {9, 2}, {9, 3}},
                                  {{7, 6}, {7, 7}, {15, 6}, {15, 7}}};
  const int lanes[3] = {0, 5, 31};
  for (int l = 0; l < 3; ++l) {
    SCOPED_TRACE(lanes[l]);
    for (int i = 0; i < 8; ++i)
      expectAt(simt::mmaAElement(lanes[l], i), aExpected[l][i][0],
               aExpected[l][i][1], "A");
    for (int i = 0; i < 4; ++i) {
      expectAt(simt::mmaBElement(lanes[l], i), bExpected[l][i][0],
               bExpected[l][i][1], "B");
      expectAt(simt::mmaCElement(lanes[l], i), cExpected[l][i][0],
               cExpected[l][i][1], "C");
    }
  }
  // And the test's own formulas agree with the figures too.
  for (int l = 0; l < 3; ++l)
    for (int i = 0; i < 8; ++i) {
      EXPECT_EQ(aRow(lanes[l], i), aExpected[l][i][0]);
      EXPECT_EQ(aCol(lanes[l], i), aExpected[l][i][1]);
    }
}

TEST(SimtMmaTest, EveryElementIsHeldByExactlyOneLane) {
  int aSeen[16][16] = {}, bSeen[16][8] = {}, cSeen[16][8] = {};
  for (int lane = 0; lane < 32; ++lane) {
    for (int i = 0; i < 8; ++i) {
      simt::MatrixCoord at = simt::mmaAElement(lane, i);
      ++aSeen[at.row][at.col];
    }
    for (int i = 0; i < 4; ++i) {
      simt::MatrixCoord b = simt::mmaBElement(lane, i);
      ++bSeen[b.row][b.col];
      simt::MatrixCoord c = simt::mmaCElement(lane, i);
      ++cSeen[c.row][c.col];
    }
  }
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c)
      EXPECT_EQ(aSeen[r][c], 1);
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 8; ++c) {
      EXPECT_EQ(bSeen[r][c], 1);
      EXPECT_EQ(cSeen[r][c], 1);
    }
}

class SimtMmaDeathTest : public ::testing::Test {
protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

void everyLaneMmaThread(void **) {
  float d[4];
  api->mmaM16N8K16Bf16(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, d);
}

void laneFiveExitsThread(void **) {
  if (api->tidX() == 5)
    return;
  everyLaneMmaThread(nullptr);
}

TEST_F(SimtMmaDeathTest, PartialWarpTraps) {
  EXPECT_DEATH(api->launch(everyLaneMmaThread, nullptr, 1, 1, 1, 0, 1, 48, 0),
               "dsv2 SIMT emulator: block \\(0, 0, 0\\) of grid \\(1, 1, 1\\): "
               "mma.sync in warp 1, which has only 16 lanes");
}

TEST_F(SimtMmaDeathTest, LaneThatExitedTraps) {
  EXPECT_DEATH(api->launch(laneFiveExitsThread, nullptr, 1, 1, 1, 0, 1, 32, 0),
               "dsv2 SIMT emulator: block \\(0, 0, 0\\) of grid \\(1, 1, 1\\): "
               "mma.sync reached by 31 of the 32 lanes of warp 0 while 1 have "
               "exited");
}

TEST_F(SimtMmaDeathTest, MmaOutsideALaunchTraps) {
  EXPECT_DEATH(everyLaneMmaThread(nullptr),
               "dsv2 SIMT emulator: mma.sync called outside a kernel launch");
}

} // namespace
} // namespace dsv2::runtime
