//===- BlockSchedulingTest.cpp - Threads, barriers and shared memory ------===//
//
// Hand-written "kernels" calling the emulator's table the way an emulated
// kernel library does: block ids, barriers, shared memory, the phase order
// that exposes a missing barrier, and the traps.
//
//===----------------------------------------------------------------------===//

#include "runtime/simt/SimtEmulator.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <xmmintrin.h>
#endif

namespace dsv2::runtime {
namespace {

const Dsv2SimtEmuApi *api = simtEmulatorApi();

template <typename T> T *buffer(void **args, int i) {
  return *static_cast<T **>(args[i]);
}

int64_t linearBlockId() {
  return api->ctaid(0) + int64_t(api->nctaid(0)) *
                             (api->ctaid(1) + api->nctaid(1) * api->ctaid(2));
}

/// out[block] = sum of in[block * ntid + tid] over the block, by a tree
/// reduction in shared memory; coords[block] = its (x, y, z).
void blockSumThread(void **args) {
  const float *in = buffer<const float>(args, 0);
  float *out = buffer<float>(args, 1);
  int32_t *coords = buffer<int32_t>(args, 2);
  int tid = api->tidX(), ntid = api->ntidX();
  int64_t block = linearBlockId();
  float *partial = static_cast<float *>(api->sharedBase());
  partial[tid] = in[block * ntid + tid];
  api->barrier();
  int width = 1;
  while (width < ntid)
    width *= 2;
  for (int stride = width / 2; stride > 0; stride /= 2) {
    if (tid < stride && tid + stride < ntid)
      partial[tid] += partial[tid + stride];
    api->barrier();
  }
  if (tid == 0) {
    out[block] = partial[0];
    for (int axis = 0; axis < 3; ++axis)
      coords[block * 3 + axis] = api->ctaid(axis);
  }
}

struct BlockSumRun {
  int32_t grid[3];
  int threads;
  std::vector<float> in, out;
  std::vector<int32_t> coords;

  BlockSumRun(int32_t x, int32_t y, int32_t z, int threads)
      : grid{x, y, z}, threads(threads) {
    int64_t blocks = blockCount();
    in.resize(blocks * threads);
    for (size_t i = 0; i < in.size(); ++i)
      in[i] = static_cast<float>((i * 7) % 13); // integers: sums are exact
    out.assign(blocks, -1.0f);
    coords.assign(blocks * 3, -1);
  }
  int64_t blockCount() const { return int64_t(grid[0]) * grid[1] * grid[2]; }

  void launch(int64_t first, int64_t last) {
    float *inData = in.data(), *outData = out.data();
    int32_t *coordData = coords.data();
    void *args[] = {&inData, &outData, &coordData};
    api->launch(blockSumThread, args, grid[0], grid[1], grid[2], first, last,
                threads, int64_t(threads) * sizeof(float));
  }

  void expectCorrect() const {
    for (int64_t block = 0; block < blockCount(); ++block) {
      double expected = 0;
      for (int t = 0; t < threads; ++t)
        expected += in[block * threads + t];
      EXPECT_EQ(out[block], expected) << "block " << block;
      EXPECT_EQ(coords[block * 3 + 0], block % grid[0]);
      EXPECT_EQ(coords[block * 3 + 1], (block / grid[0]) % grid[1]);
      EXPECT_EQ(coords[block * 3 + 2], block / (grid[0] * grid[1]));
    }
  }
};

TEST(SimtEmulatorTest, BlockSumAtOddBlockSizesOverA3DGrid) {
  for (int threads : {1, 33, 128, 1000}) {
    SCOPED_TRACE(threads);
    BlockSumRun run(3, 2, 2, threads);
    run.launch(0, run.blockCount());
    run.expectCorrect();
  }
}

TEST(SimtEmulatorTest, RunsOnlyTheBlocksOfItsRange) {
  BlockSumRun run(5, 1, 1, 64);
  run.launch(1, 3);
  EXPECT_EQ(run.out[0], -1.0f);
  EXPECT_NE(run.out[1], -1.0f);
  EXPECT_NE(run.out[2], -1.0f);
  EXPECT_EQ(run.out[3], -1.0f);
}

void gridExtentsThread(void **args) {
  int32_t *out = buffer<int32_t>(args, 0);
  if (api->tidX() == 0 && linearBlockId() == 0)
    for (int axis = 0; axis < 3; ++axis)
      out[axis] = api->nctaid(axis);
}

TEST(SimtEmulatorTest, ReportsTheGridExtents) {
  int32_t extents[3] = {0, 0, 0};
  int32_t *data = extents;
  void *args[] = {&data};
  api->launch(gridExtentsThread, args, 4, 3, 2, 0, 1, 8, 0);
  EXPECT_EQ(extents[0], 4);
  EXPECT_EQ(extents[1], 3);
  EXPECT_EQ(extents[2], 2);
}

/// out[block] = the first shared word's bits as found by thread 0 before any
/// write, then the shared base's alignment; thread 0 writes the word.
void sharedPoisonThread(void **args) {
  uint32_t *out = buffer<uint32_t>(args, 0);
  auto *word = static_cast<uint32_t *>(api->sharedBase());
  if (api->tidX() == 0) {
    int64_t block = linearBlockId();
    out[2 * block] = *word;
    out[2 * block + 1] =
        static_cast<uint32_t>(reinterpret_cast<uintptr_t>(word) % 16);
    *word = 0;
  }
}

TEST(SimtEmulatorTest, SharedMemoryIsPoisonedAtEveryBlockAndAligned) {
  std::vector<uint32_t> seen(6, 1);
  uint32_t *data = seen.data();
  void *args[] = {&data};
  api->launch(sharedPoisonThread, args, 3, 1, 1, 0, 3, 4, 20);
  for (int block = 0; block < 3; ++block) {
    EXPECT_EQ(seen[2 * block], 0xffffffffu) << "block " << block;
    EXPECT_EQ(seen[2 * block + 1], 0u) << "block " << block;
    float asFloat;
    std::memcpy(&asFloat, &seen[2 * block], sizeof(asFloat));
    EXPECT_TRUE(std::isnan(asFloat));
  }
}

//===----------------------------------------------------------------------===//
// A missing barrier gives a wrong answer, whichever thread writes first.
//===----------------------------------------------------------------------===//

/// Every thread writes shared[tid] = tid + 1; `reader` sums them. args[1]
/// says which barriers the kernel has: bit 0 = the one before the writes
/// (which puts them in the second, descending phase), bit 1 = the one
/// between the writes and the read.
void writeThenSumThread(void **args) {
  float *out = buffer<float>(args, 0);
  int barriers = *static_cast<int32_t *>(args[1]);
  int reader = *static_cast<int32_t *>(args[2]);
  int tid = api->tidX(), ntid = api->ntidX();
  float *shared = static_cast<float *>(api->sharedBase());
  if (barriers & 1)
    api->barrier();
  shared[tid] = static_cast<float>(tid + 1);
  if (barriers & 2)
    api->barrier();
  if (tid == (reader < 0 ? ntid - 1 : reader)) {
    float sum = 0;
    for (int t = 0; t < ntid; ++t)
      sum += shared[t];
    *out = sum;
  }
}

float writeThenSum(int barriers, int reader, int threads) {
  float result = -1;
  float *data = &result;
  int32_t barrierBits = barriers, readerId = reader;
  void *args[] = {&data, &barrierBits, &readerId};
  api->launch(writeThenSumThread, args, 1, 1, 1, 0, 1, threads,
              threads * sizeof(float));
  return result;
}

TEST(SimtEmulatorTest, MissingBarrierIsExposedInTheAscendingPhase) {
  // Phase 0 runs threads 0, 1, ...: thread 0 reads before the others write.
  EXPECT_EQ(writeThenSum(/*barriers=*/2, /*reader=*/0, 64), 64 * 65 / 2);
  EXPECT_TRUE(std::isnan(writeThenSum(/*barriers=*/0, /*reader=*/0, 64)));
}

TEST(SimtEmulatorTest, MissingBarrierIsExposedInTheDescendingPhase) {
  // Phase 1 runs threads ..., 1, 0: the last thread reads first.
  EXPECT_EQ(writeThenSum(/*barriers=*/3, /*reader=*/-1, 64), 64 * 65 / 2);
  EXPECT_TRUE(std::isnan(writeThenSum(/*barriers=*/1, /*reader=*/-1, 64)));
  // In the ascending phase the last thread reads after every write: only
  // the alternation catches this one.
  EXPECT_EQ(writeThenSum(/*barriers=*/0, /*reader=*/-1, 64), 64 * 65 / 2);
}

TEST(SimtEmulatorTest, BlockSumWithoutItsFirstBarrierIsWrong) {
  // The reduction of BlockSumRun with the barrier after the loads removed:
  // thread 0 adds partial[stride] before its owner stored it.
  struct Kernel {
    static void thread(void **args) {
      float *out = buffer<float>(args, 0);
      int tid = api->tidX(), ntid = api->ntidX();
      float *partial = static_cast<float *>(api->sharedBase());
      partial[tid] = 1.0f;
      for (int stride = ntid / 2; stride > 0; stride /= 2) {
        if (tid < stride)
          partial[tid] += partial[tid + stride];
        api->barrier();
      }
      if (tid == 0)
        *out = partial[0];
    }
  };
  float result = 0;
  float *data = &result;
  void *args[] = {&data};
  api->launch(Kernel::thread, args, 1, 1, 1, 0, 1, 128, 128 * sizeof(float));
  EXPECT_NE(result, 128.0f);
}

//===----------------------------------------------------------------------===//
// Several OS threads emulate blocks of one launch at once.
//===----------------------------------------------------------------------===//

TEST(SimtEmulatorTest, ConcurrentLaunchesFromSeveralOsThreads) {
  BlockSumRun run(16, 3, 1, 96);
  int64_t blocks = run.blockCount();
  constexpr int kOsThreads = 4;
  std::vector<std::thread> workers;
  for (int w = 0; w < kOsThreads; ++w)
    workers.emplace_back([&run, blocks, w] {
      // Interleaved small ranges, as the executor's pool hands them out.
      for (int64_t first = w * 2; first < blocks; first += kOsThreads * 2)
        run.launch(first, std::min(blocks, first + 2));
    });
  for (std::thread &worker : workers)
    worker.join();
  run.expectCorrect();
}

//===----------------------------------------------------------------------===//
// Traps.
//===----------------------------------------------------------------------===//

class SimtEmulatorDeathTest : public ::testing::Test {
protected:
  void SetUp() override { GTEST_FLAG_SET(death_test_style, "threadsafe"); }
};

void partialBarrierThread(void **) {
  if (api->tidX() < 3)
    api->barrier();
}

TEST_F(SimtEmulatorDeathTest, BarrierReachedByOnlySomeThreadsTraps) {
  EXPECT_DEATH(api->launch(partialBarrierThread, nullptr, 2, 1, 1, 1, 2, 8, 0),
               "dsv2 SIMT emulator: block \\(1, 0, 0\\) of grid \\(2, 1, 1\\): "
               "bar.sync reached by 3 of 8 threads while 5 have exited");
}

TEST_F(SimtEmulatorDeathTest, ApiOutsideALaunchTraps) {
  EXPECT_DEATH(api->tidX(), "dsv2 SIMT emulator: tid.x called outside a "
                            "kernel launch");
  EXPECT_DEATH(api->barrier(), "dsv2 SIMT emulator: bar.sync called outside");
  EXPECT_DEATH(api->sharedBase(), "dsv2 SIMT emulator: shared memory base "
                                  "called outside");
  EXPECT_DEATH(api->ctaid(0), "dsv2 SIMT emulator: ctaid called outside");
}

void nestedLaunchThread(void **) {
  api->launch(partialBarrierThread, nullptr, 1, 1, 1, 0, 1, 1, 0);
}

TEST_F(SimtEmulatorDeathTest, BadLaunchesTrap) {
  EXPECT_DEATH(
      api->launch(partialBarrierThread, nullptr, 1, 1, 1, 0, 1, 1025, 0),
      "dsv2 SIMT emulator: launch with 1025 threads per block");
  EXPECT_DEATH(api->launch(partialBarrierThread, nullptr, 2, 1, 1, 0, 3, 1, 0),
               "dsv2 SIMT emulator: launch of blocks \\[0, 3\\) of a grid of "
               "2 blocks");
  EXPECT_DEATH(api->launch(nestedLaunchThread, nullptr, 1, 1, 1, 0, 1, 1, 0),
               "dsv2 SIMT emulator: launch called from inside a kernel");
}

int recurse(int depth) {
  volatile char frame[4096];
  frame[0] = static_cast<char>(depth);
  if (depth == 0)
    return frame[0];
  return recurse(depth - 1) + frame[0];
}

void deepRecursionThread(void **) { recurse(1000); }

TEST_F(SimtEmulatorDeathTest, StackOverflowHitsTheGuardPage) {
  // 4 MiB of frames on a 256 KiB stack: the guard page stops it.
  EXPECT_DEATH(api->launch(deepRecursionThread, nullptr, 1, 1, 1, 0, 1, 2, 0),
               "");
}

/// Reads the 32-bit word `args[0]` of shared memory.
void sharedWordThread(void **args) {
  int32_t word = *static_cast<int32_t *>(args[0]);
  volatile uint32_t *shared = static_cast<uint32_t *>(api->sharedBase());
  (void)shared[word];
}

TEST_F(SimtEmulatorDeathTest, SharedMemoryOverrunHitsTheGuardPage) {
  // 64 bytes: words 0..15 are the block's; word 16 lies on the guard page
  // (a GPU faults on an access past the launch's dynamic shared memory).
  int32_t last = 15, past = 16;
  void *lastArgs[] = {&last};
  api->launch(sharedWordThread, lastArgs, 1, 1, 1, 0, 1, 32, 64);
  void *pastArgs[] = {&past};
  EXPECT_DEATH(api->launch(sharedWordThread, pastArgs, 1, 1, 1, 0, 1, 32, 64),
               "");
}

TEST_F(SimtEmulatorDeathTest, TrapPrintsItsMessage) {
  EXPECT_DEATH(api->trap("unsupported construct"),
               "dsv2 SIMT emulator: unsupported construct");
}

#if defined(__x86_64__)
/// Odd threads switch MXCSR to round-toward-zero before a barrier; every
/// thread must find its own setting after it (a fiber switch keeps each
/// thread's control words).
void roundingModeThread(void **args) {
  uint32_t *seen = buffer<uint32_t>(args, 0);
  int tid = api->tidX();
  if (tid % 2 == 1)
    _mm_setcsr((_mm_getcsr() & ~_MM_ROUND_MASK) | _MM_ROUND_TOWARD_ZERO);
  api->barrier();
  api->barrier();
  seen[tid] = _mm_getcsr() & _MM_ROUND_MASK;
  _mm_setcsr((_mm_getcsr() & ~_MM_ROUND_MASK) | _MM_ROUND_NEAREST);
}

TEST(SimtEmulatorTest, EachThreadKeepsItsFloatControlWord) {
  uint32_t before = _mm_getcsr();
  std::vector<uint32_t> seen(64, 0xffffffffu);
  uint32_t *seenData = seen.data();
  void *args[] = {&seenData};
  api->launch(roundingModeThread, args, 1, 1, 1, 0, 1, 64, 0);
  for (int tid = 0; tid < 64; ++tid)
    EXPECT_EQ(seen[tid], tid % 2 == 1 ? uint32_t(_MM_ROUND_TOWARD_ZERO)
                                      : uint32_t(_MM_ROUND_NEAREST))
        << "thread " << tid;
  EXPECT_EQ(_mm_getcsr(), before);
}
#endif

} // namespace
} // namespace dsv2::runtime
