//===- ThreadPool.cpp - Parallel ranges for kernel grids ------------------===//

#include "runtime/cpu/ThreadPool.h"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <limits>

namespace dsv2::runtime {

namespace {

constexpr uint64_t kStopping = std::numeric_limits<uint64_t>::max();

int spinFromEnvironment() {
  const char *text = std::getenv("DSV2_THREAD_SPIN_US");
  if (!text || !*text)
    return ThreadPool::kDefaultSpinMicros;
  char *end = nullptr;
  long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value < 0 || value > 1000000)
    return ThreadPool::kDefaultSpinMicros;
  return static_cast<int>(value);
}

/// Busy-waits until `ready()` or `micros` have passed (see ThreadPool.h).
template <typename Ready> void pollFor(int micros, Ready ready) {
  if (micros <= 0)
    return;
  const auto until =
      std::chrono::steady_clock::now() + std::chrono::microseconds(micros);
  while (!ready() && std::chrono::steady_clock::now() < until) {
  }
}

} // namespace

ThreadPool::ThreadPool(int threads, int spinMicros)
    : spinMicros(spinMicros >= 0 ? spinMicros : spinFromEnvironment()) {
  if (threads <= 0)
    threads = std::max(1u, std::thread::hardware_concurrency());
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this] { workerLoop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping = true;
    published.store(kStopping, std::memory_order_release);
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
    unfinished.store(--pendingChunks, std::memory_order_release);
    if (pendingChunks == 0)
      done.notify_all();
  }
  return true;
}

void ThreadPool::workerLoop() {
  uint64_t seen = 0;
  while (true) {
    pollFor(spinMicros, [&] {
      return published.load(std::memory_order_acquire) != seen;
    });
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
    unfinished.store(pendingChunks, std::memory_order_release);
    ++generation;
    published.store(generation, std::memory_order_release);
  }
  wake.notify_all();
  while (runOneChunk()) {
  }
  pollFor(spinMicros,
          [&] { return unfinished.load(std::memory_order_acquire) == 0; });
  std::unique_lock<std::mutex> lock(mutex);
  done.wait(lock, [&] { return pendingChunks == 0; });
  job = nullptr;
}

} // namespace dsv2::runtime
