//===- ThreadPool.h - Parallel ranges for kernel grids ----------*- C++ -*-===//

#ifndef RUNTIME_CPU_THREADPOOL_H
#define RUNTIME_CPU_THREADPOOL_H

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dsv2::runtime {

/// A fixed set of workers that split [0, count) into chunks; the caller's
/// thread works too, and parallelFor returns when every chunk is done.
///
/// A worker that finished a job polls for the next one for `spinMicros`
/// before it sleeps on the condition variable, and the caller polls for
/// the workers' last chunks as long before it sleeps: a decode step is ~80
/// short launches back to back, and a sleeping thread woke 20-40 us late
/// for each (a 3-program silu_mul took 28-43 us of which ~1 us was work).
class ThreadPool {
public:
  /// `threads` workers in total (including the caller); 0 = hardware.
  /// `spinMicros` < 0: $DSV2_THREAD_SPIN_US, else kDefaultSpinMicros.
  explicit ThreadPool(int threads, int spinMicros = -1);

  static constexpr int kDefaultSpinMicros = 100;
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  int size() const { return static_cast<int>(workers.size()) + 1; }

  /// Calls body(first, last) over disjoint ranges covering [0, count).
  void parallelFor(int64_t count,
                   const std::function<void(int64_t, int64_t)> &body);

private:
  void workerLoop();
  bool runOneChunk();

  std::vector<std::thread> workers;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable done;
  const std::function<void(int64_t, int64_t)> *job = nullptr;
  int64_t jobCount = 0, chunkSize = 1, nextStart = 0, pendingChunks = 0;
  uint64_t generation = 0;
  bool stopping = false;
  /// `generation` (and stopping, as UINT64_MAX) and `pendingChunks`, for
  /// polling without the lock.
  std::atomic<uint64_t> published{0};
  std::atomic<int64_t> unfinished{0};
  int spinMicros;
};

} // namespace dsv2::runtime

#endif // RUNTIME_CPU_THREADPOOL_H
