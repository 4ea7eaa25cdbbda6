//===- ParallelWork.h - One job on a few threads ----------------*- C++ -*-===//
//
// Loading an engine runs a few parallel jobs (reading a weight file into
// memory, verifying weight checksums) before any executor or thread pool
// exists: each job's threads take their items from shared state (an atomic
// counter) until none are left.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IO_PARALLELWORK_H
#define RUNTIME_IO_PARALLELWORK_H

#include <algorithm>
#include <cstddef>
#include <functional>
#include <system_error>
#include <thread>
#include <vector>

namespace dsv2::runtime {

/// Threads for a loading job of `items` items: one per hardware thread, at
/// most 4 (the memory bandwidth is shared) and at most one per item.
inline size_t loadingThreads(size_t items) {
  const size_t hardware =
      std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
  return std::max<size_t>(1, std::min(items, hardware));
}

/// Runs work(0) on the calling thread and work(1) .. work(threads - 1) on
/// new ones (fewer when the system cannot start them: the work is shared,
/// so the running ones do it all); returns when every call has returned.
inline void runOnThreads(size_t threads,
                         const std::function<void(size_t)> &work) {
  std::vector<std::thread> helpers;
  for (size_t i = 1; i < threads; ++i) {
    try {
      helpers.emplace_back(work, i);
    } catch (const std::system_error &) {
      break;
    }
  }
  work(0);
  for (std::thread &helper : helpers)
    helper.join();
}

} // namespace dsv2::runtime

#endif // RUNTIME_IO_PARALLELWORK_H
