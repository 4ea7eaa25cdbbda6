//===- ThreadPool.h - Parallel ranges for kernel grids ----------*- C++ -*-===//

#ifndef RUNTIME_CPU_THREADPOOL_H
#define RUNTIME_CPU_THREADPOOL_H

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace dsv2::runtime {

/// A fixed set of workers that split [0, count) into chunks; the caller's
/// thread works too, and parallelFor returns when every chunk is done.
class ThreadPool {
public:
  /// `threads` workers in total (including the caller); 0 = hardware.
  explicit ThreadPool(int threads);
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
};

} // namespace dsv2::runtime

#endif // RUNTIME_CPU_THREADPOOL_H
