//===- ThreadPoolTest.cpp - Parallel ranges for kernel grids ---------------===//
//
// Every index of every job runs exactly once, whether the workers sleep
// between jobs (spin 0) or poll for the next one (the default), over many
// short jobs back to back as a decode step issues them, and a pool that is
// destroyed while its workers poll stops.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/ThreadPool.h"

#include "gtest/gtest.h"

#include <atomic>
#include <vector>

namespace dsv2::runtime {
namespace {

void runJobs(ThreadPool &pool) {
  for (int64_t count : {1, 2, 3, 7, 64, 1000}) {
    for (int repeat = 0; repeat < 50; ++repeat) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(count));
      pool.parallelFor(count, [&](int64_t first, int64_t last) {
        for (int64_t i = first; i < last; ++i)
          hits[static_cast<size_t>(i)].fetch_add(1);
      });
      for (int64_t i = 0; i < count; ++i)
        ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1)
            << "index " << i << " of " << count;
    }
  }
}

TEST(ThreadPool, EveryIndexOnceWithSleepingWorkers) {
  ThreadPool pool(3, /*spinMicros=*/0);
  runJobs(pool);
}

TEST(ThreadPool, EveryIndexOnceWithPollingWorkers) {
  ThreadPool pool(3, ThreadPool::kDefaultSpinMicros);
  runJobs(pool);
}

TEST(ThreadPool, StopsWhileWorkersPoll) {
  for (int i = 0; i < 20; ++i) {
    ThreadPool pool(4, /*spinMicros=*/100000);
    std::atomic<int> ran{0};
    pool.parallelFor(8, [&](int64_t first, int64_t last) {
      ran.fetch_add(static_cast<int>(last - first));
    });
    EXPECT_EQ(ran.load(), 8);
  }
}

} // namespace
} // namespace dsv2::runtime
