//===- FiberStacks.h - Guarded stacks for emulated GPU threads --*- C++ -*-===//
//
// Each emulated GPU thread runs on its own stack. Stacks are mapped once per
// OS thread (the executor runs blocks of one launch on several pool threads
// at once) and reused by every later block, so a launch maps nothing after
// the first. Below each stack lies a PROT_NONE page: an overflow faults
// instead of silently writing into the neighbouring thread's frames.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SIMT_FIBERSTACKS_H
#define RUNTIME_SIMT_FIBERSTACKS_H

#include <cstddef>
#include <vector>

namespace dsv2::runtime::simt {

inline constexpr size_t kFiberStackBytes = 256 * 1024;

/// The stacks of one OS thread; not shared between threads.
class FiberStacks {
public:
  FiberStacks() = default;
  ~FiberStacks();
  FiberStacks(const FiberStacks &) = delete;
  FiberStacks &operator=(const FiberStacks &) = delete;

  /// Makes at least `count` stacks available; false when mapping fails.
  bool reserve(int count);
  /// The usable (writable) bottom of stack `index` < reserved count.
  void *stack(int index) const { return stacks[index]; }

private:
  /// Each entry points just above its guard page.
  std::vector<void *> stacks;
};

} // namespace dsv2::runtime::simt

#endif // RUNTIME_SIMT_FIBERSTACKS_H
