//===- ThreadPool.cpp - Parallel ranges for kernel grids ------------------===//

#include "runtime/cpu/ThreadPool.h"

#include <algorithm>

namespace dsv2::runtime {

ThreadPool::ThreadPool(int threads) {
  if (threads <= 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
  }
  wake.notify_all();
  for (std::thread &worker : workers)
    worker.join();
}

bool ThreadPool::runOneChunk() {
  int64_t first, last;
  const std::function<void(int64_t, int64_t)> *body;
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (!job || nextStart >= jobCount)
      return false;
    first = nextStart;
    last = std::min(jobCount, first + chunkSize);
    nextStart = last;
    body = job;
  }
  (*body)(first, last);
  {
    std::lock_guard<std::mutex> lock(mutex);
    if (--pendingChunks == 0)
      done.notify_all();
  }
  return true;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    {
      std::unique_lock<std::mutex> lock(mutex);
      wake.wait(lock, [&] { return stopping || generation != seen; });
      if (stopping)
        return;
      seen = generation;
    }
    while (runOneChunk()) {
    }
  }
}

void ThreadPool::parallelFor(
    int64_t count, const std::function<void(int64_t, int64_t)> &body) {
  if (count <= 0)
    return;
  if (workers.empty() || count == 1) {
    body(0, count);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    job = &body;
    jobCount = count;
    // A few chunks per thread balance uneven programs (masked tails).
    chunkSize = std::max<int64_t>(1, count / (4 * size()));
    nextStart = 0;
    pendingChunks = (count + chunkSize - 1) / chunkSize;
    ++generation;
  }
  wake.notify_all();
  while (runOneChunk()) {
  }
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return pendingChunks == 0; });
  job = nullptr;
}

} // namespace dsv2::runtime
