//===- SimtEmulator.cpp - GPU kernels run on the host, thread by thread ---===//
//
// A block runs on the calling OS thread: one fiber per GPU thread (a stack of
// its own; FiberSwitch.h switches), switched only at bar.sync, at a
// warp-collective mma and at exit, so a block is a deterministic sequence of
// phases between barriers. Within a phase the fibers run one after another,
// ascending in even phases and descending in odd ones: a read of another
// thread's write that lacks a barrier sees either the poisoned shared memory
// or a stale value in one of the two orders.
//
//===----------------------------------------------------------------------===//

#include "runtime/simt/SimtEmulator.h"

#include "runtime/simt/FiberStacks.h"
#include "runtime/simt/FiberSwitch.h"
#include "runtime/simt/MmaFragments.h"

#include "absl/strings/str_cat.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define DSV2_SIMT_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define DSV2_SIMT_ASAN 1
#endif
#ifdef DSV2_SIMT_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace dsv2::runtime {
namespace {

using simt::FiberContext;
using simt::FiberStacks;
using simt::kFiberStackBytes;
using simt::kWarpSize;
using simt::MmaLaneFragments;

constexpr int kMaxThreadsPerBlock = 1024;
/// 0xFF bytes read as a NaN float (and -1 as an integer): a value read before
/// any thread wrote it poisons the result instead of passing as zero.
constexpr unsigned char kSharedPoison = 0xff;

enum class FiberState : unsigned char {
  Runnable,
  AtBarrier,
  AtMma,
  AtShuffle,
  Exited
};

/// A warp's pending mma: lanes deposit their registers; the last to arrive
/// computes every lane's D fragment.
struct WarpMma {
  MmaLaneFragments lanes[kWarpSize];
  float d[kWarpSize][4];
  int arrived = 0;
};

/// A warp's pending shuffle: lanes deposit a value and the lane they read;
/// the last to arrive hands every lane its value.
struct WarpShuffle {
  uint32_t values[kWarpSize];
  int32_t laneMasks[kWarpSize];
  uint32_t results[kWarpSize];
  int arrived = 0;
};

/// What the calling OS thread is emulating. Fibers never move between OS
/// threads, so thread_local state is the current block's for every fiber.
struct Emulation {
  // The launch.
  bool inLaunch = false;
  void (*thread)(void **) = nullptr;
  void **args = nullptr;
  int32_t grid[3] = {0, 0, 0};
  int32_t ctaid[3] = {0, 0, 0};
  int64_t blockId = 0;
  int threads = 0;
  // The block's threads; `current` is the running fiber, -1 in the scheduler.
  int current = -1;
  FiberContext scheduler;
  // Thread t's saved context and state. The states are an array of their own
  // (not next to the contexts, which hold a ucontext_t of ~1 KiB): the
  // scheduler scans them every phase.
  std::vector<FiberContext> contexts;
  std::vector<FiberState> states;
  std::vector<WarpMma> warps;
  std::vector<WarpShuffle> shuffles;
  FiberStacks stacks;
  // Shared memory: a mapping grown to the largest block seen and kept, with
  // a PROT_NONE page after it; each launch's buffer ends right at that page,
  // so an access past the kernel's shared bytes faults as on a GPU.
  void *sharedMapping = nullptr;
  size_t sharedMappingBytes = 0;
  size_t sharedCapacity = 0;
  void *shared = nullptr;
  size_t sharedBytes = 0; // this launch's, rounded up to 16
  // Where the scheduler's stack lies, for AddressSanitizer's fiber hooks.
  const void *schedulerStack = nullptr;
  size_t schedulerStackBytes = 0;

  ~Emulation() {
    if (sharedMapping)
      munmap(sharedMapping, sharedMappingBytes);
  }
};

thread_local Emulation emulation;

[[noreturn]] void trapWith(const std::string &message) {
  std::fprintf(stderr, "dsv2 SIMT emulator: %s\n", message.c_str());
  std::fflush(stderr);
  std::abort();
}

std::string blockName(const Emulation &e) {
  return absl::StrCat("block (", e.ctaid[0], ", ", e.ctaid[1], ", ", e.ctaid[2],
                      ") of grid (", e.grid[0], ", ", e.grid[1], ", ",
                      e.grid[2], ")");
}

/// The running fiber's emulation; `what` names the caller in the trap when
/// no GPU thread is running on this OS thread.
Emulation &runningFiber(const char *what) {
  Emulation &e = emulation;
  if (e.current < 0)
    trapWith(absl::StrCat(what, " called outside a kernel launch (no GPU "
                                "thread is running on this OS thread)"));
  return e;
}

// AddressSanitizer must be told about every stack switch, or it reports
// the fibers' frames as overflows of the scheduler's stack.
#ifdef DSV2_SIMT_ASAN
void beforeSwitch(void **fakeStack, const void *stack, size_t bytes) {
  __sanitizer_start_switch_fiber(fakeStack, stack, bytes);
}
void afterSwitch(void *fakeStack, const void **oldStack, size_t *oldBytes) {
  __sanitizer_finish_switch_fiber(fakeStack, oldStack, oldBytes);
}
#else
void beforeSwitch(void **, const void *, size_t) {}
void afterSwitch(void *, const void **, size_t *) {}
#endif

/// Suspends the running fiber in `state` until the scheduler resumes it.
void suspendRunningFiber(Emulation &e, FiberState state) {
  FiberContext &context = e.contexts[e.current];
  e.states[e.current] = state;
  void *fakeStack = nullptr;
  beforeSwitch(&fakeStack, e.schedulerStack, e.schedulerStackBytes);
  simt::fiberSwitch(context, e.scheduler);
  afterSwitch(fakeStack, &e.schedulerStack, &e.schedulerStackBytes);
}

void fiberMain() {
  Emulation &e = emulation;
  afterSwitch(nullptr, &e.schedulerStack, &e.schedulerStackBytes);
  e.thread(e.args);
  e.states[e.current] = FiberState::Exited;
  // This stack is done with: back to the scheduler for good.
  beforeSwitch(nullptr, e.schedulerStack, e.schedulerStackBytes);
  simt::fiberExit(e.scheduler);
}

void resumeFiber(Emulation &e, int index) {
  e.current = index;
  void *fakeStack = nullptr;
  beforeSwitch(&fakeStack, e.stacks.stack(index), kFiberStackBytes);
  simt::fiberSwitch(e.scheduler, e.contexts[index]);
  afterSwitch(fakeStack, nullptr, nullptr);
  e.current = -1;
}

/// Traps when no fiber can run and not every live one waits at a barrier:
/// a warp short of lanes at an mma, or a barrier some threads never reach.
void checkStalledBlock(const Emulation &e, int atBarrier, int exited) {
  for (size_t warp = 0; warp < e.warps.size(); ++warp) {
    if (e.warps[warp].arrived == 0)
      continue;
    int first = static_cast<int>(warp) * kWarpSize;
    int warpExited = 0, warpAtBarrier = 0;
    for (int t = first; t < first + kWarpSize && t < e.threads; ++t) {
      warpExited += e.states[t] == FiberState::Exited;
      warpAtBarrier += e.states[t] == FiberState::AtBarrier;
    }
    trapWith(absl::StrCat(
        blockName(e), ": mma.sync reached by ", e.warps[warp].arrived,
        " of the 32 lanes of warp ", warp, " while ", warpExited,
        " have exited and ", warpAtBarrier,
        " wait at bar.sync; every lane of a warp must execute it"));
  }
  for (size_t warp = 0; warp < e.shuffles.size(); ++warp)
    if (e.shuffles[warp].arrived != 0)
      trapWith(absl::StrCat(
          blockName(e), ": shfl.sync reached by ", e.shuffles[warp].arrived,
          " of the 32 lanes of warp ", warp,
          "; every lane of a warp must execute it"));
  if (exited > 0)
    trapWith(absl::StrCat(
        blockName(e), ": bar.sync reached by ", atBarrier, " of ", e.threads,
        " threads while ", exited,
        " have exited; every thread of a block must reach each barrier"));
}

/// Points fiber `index` at the start of fiberMain on its stack. The stacks
/// are page-aligned, so the fibers' top frames would all fall in the same
/// L1 cache sets and evict each other at every switch: each fiber starts
/// (index % 64) cache lines below its stack's top instead.
void prepareFiber(Emulation &e, int index) {
  size_t colour = static_cast<size_t>(index % 64) * 64;
  simt::fiberPrepare(e.contexts[index], e.stacks.stack(index),
                     kFiberStackBytes - colour, fiberMain);
  e.states[index] = FiberState::Runnable;
}

void runBlock(Emulation &e, int64_t id) {
  e.blockId = id;
  e.ctaid[0] = static_cast<int32_t>(id % e.grid[0]);
  e.ctaid[1] = static_cast<int32_t>((id / e.grid[0]) % e.grid[1]);
  e.ctaid[2] = static_cast<int32_t>(id / (int64_t(e.grid[0]) * e.grid[1]));
  std::memset(e.shared, kSharedPoison, e.sharedBytes);
  for (WarpMma &warp : e.warps)
    warp.arrived = 0;
  for (WarpShuffle &warp : e.shuffles)
    warp.arrived = 0;
  for (int t = 0; t < e.threads; ++t)
    prepareFiber(e, t);
  for (int phase = 0;; ++phase) {
    bool descending = phase % 2 == 1;
    // Threads resumed by a completed mma run in the next sweep of the phase.
    for (bool ran = true; ran;) {
      ran = false;
      for (int n = 0; n < e.threads; ++n) {
        int t = descending ? e.threads - 1 - n : n;
        if (e.states[t] != FiberState::Runnable)
          continue;
        resumeFiber(e, t);
        ran = true;
      }
    }
    int atBarrier = 0, exited = 0;
    for (FiberState state : e.states) {
      atBarrier += state == FiberState::AtBarrier;
      exited += state == FiberState::Exited;
    }
    if (exited == e.threads)
      return;
    if (atBarrier + exited != e.threads || exited > 0) {
      checkStalledBlock(e, atBarrier, exited);
      trapWith(absl::StrCat(blockName(e), ": no GPU thread can proceed"));
    }
    for (FiberState &state : e.states)
      state = FiberState::Runnable;
  }
}

//===----------------------------------------------------------------------===//
// The table's entries.
//===----------------------------------------------------------------------===//

int32_t emuTidX() { return runningFiber("tid.x").current; }

int32_t emuNtidX() { return runningFiber("ntid.x").threads; }

int32_t checkedAxis(int32_t axis, const char *what) {
  if (axis < 0 || axis > 2)
    trapWith(absl::StrCat(what, " axis ", axis, " is not 0, 1 or 2"));
  return axis;
}

int32_t emuCtaid(int32_t axis) {
  Emulation &e = runningFiber("ctaid");
  return e.ctaid[checkedAxis(axis, "ctaid")];
}

int32_t emuNctaid(int32_t axis) {
  Emulation &e = runningFiber("nctaid");
  return e.grid[checkedAxis(axis, "nctaid")];
}

void emuBarrier() {
  suspendRunningFiber(runningFiber("bar.sync"), FiberState::AtBarrier);
}

void *emuSharedBase() { return runningFiber("shared memory base").shared; }

/// The warp of the running thread, which a warp-collective `what` needs
/// whole (all 32 lanes in the block).
int wholeWarp(const Emulation &e, const char *what) {
  int warp = e.current / kWarpSize;
  if ((warp + 1) * kWarpSize > e.threads)
    trapWith(absl::StrCat(blockName(e), ": ", what, " in warp ", warp,
                          ", which has only ", e.threads - warp * kWarpSize,
                          " lanes (a block of ", e.threads,
                          " threads); all 32 lanes of a warp must execute it"));
  return warp;
}

/// Makes the lanes of `warp` that wait in `state` runnable again.
void releaseWarp(Emulation &e, int warp, FiberState state) {
  for (int t = warp * kWarpSize; t < (warp + 1) * kWarpSize; ++t)
    if (e.states[t] == state)
      e.states[t] = FiberState::Runnable;
}

void emuMma(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3, uint32_t b0,
            uint32_t b1, float c0, float c1, float c2, float c3, float *d) {
  Emulation &e = runningFiber("mma.sync");
  int warp = wholeWarp(e, "mma.sync"), lane = e.current % kWarpSize;
  WarpMma &pending = e.warps[warp];
  pending.lanes[lane] =
      MmaLaneFragments{{a0, a1, a2, a3}, {b0, b1}, {c0, c1, c2, c3}};
  if (++pending.arrived == kWarpSize) {
    simt::mmaM16N8K16Bf16Warp(pending.lanes, pending.d);
    pending.arrived = 0;
    releaseWarp(e, warp, FiberState::AtMma);
  } else {
    // The warp's D is read only after every lane has deposited again, so
    // pending.d[lane] is still this call's result when the fiber resumes.
    suspendRunningFiber(e, FiberState::AtMma);
  }
  std::memcpy(d, pending.d[lane], sizeof(pending.d[lane]));
}

/// Maps at least `bytes` of shared memory followed by a PROT_NONE page.
bool growSharedMemory(Emulation &e, size_t bytes) {
  size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  size_t usable = (bytes + page - 1) / page * page;
  void *mapping = mmap(nullptr, usable + page, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mapping == MAP_FAILED)
    return false;
  if (mprotect(static_cast<char *>(mapping) + usable, page, PROT_NONE) != 0) {
    munmap(mapping, usable + page);
    return false;
  }
  if (e.sharedMapping)
    munmap(e.sharedMapping, e.sharedMappingBytes);
  e.sharedMapping = mapping;
  e.sharedMappingBytes = usable + page;
  e.sharedCapacity = usable;
  return true;
}

void emuLaunch(void (*thread)(void **args), void **args, int32_t gridX,
               int32_t gridY, int32_t gridZ, int64_t first, int64_t last,
               int32_t threads, int64_t sharedBytes) {
  Emulation &e = emulation;
  if (e.inLaunch)
    trapWith("launch called from inside a kernel launch");
  if (threads < 1 || threads > kMaxThreadsPerBlock)
    trapWith(absl::StrCat("launch with ", threads, " threads per block; 1 to ",
                          kMaxThreadsPerBlock, " are supported"));
  if (gridX < 1 || gridY < 1 || gridZ < 1)
    trapWith(absl::StrCat("launch with grid (", gridX, ", ", gridY, ", ", gridZ,
                          "): every extent must be at least 1"));
  int64_t blocks = int64_t(gridX) * gridY * gridZ;
  if (first < 0 || first > last || last > blocks)
    trapWith(absl::StrCat("launch of blocks [", first, ", ", last,
                          ") of a grid of ", blocks, " blocks"));
  if (sharedBytes < 0)
    trapWith(absl::StrCat("launch with ", sharedBytes,
                          " bytes of shared "
                          "memory"));
  if (!e.stacks.reserve(threads))
    trapWith(absl::StrCat("cannot map ", threads, " thread stacks of ",
                          kFiberStackBytes, " bytes"));
  size_t sharedNeeded = (static_cast<size_t>(sharedBytes) + 15) & ~size_t(15);
  if (sharedNeeded == 0)
    sharedNeeded = 16;
  if (sharedNeeded > e.sharedCapacity && !growSharedMemory(e, sharedNeeded))
    trapWith(absl::StrCat("cannot map ", sharedBytes,
                          " bytes of shared memory"));
  // 16-byte aligned: the guard page is page-aligned, sharedNeeded a multiple
  // of 16.
  e.shared = static_cast<char *>(e.sharedMapping) + e.sharedCapacity -
             sharedNeeded;
  e.sharedBytes = sharedNeeded;
  e.inLaunch = true;
  e.thread = thread;
  e.args = args;
  e.grid[0] = gridX;
  e.grid[1] = gridY;
  e.grid[2] = gridZ;
  e.threads = threads;
  e.contexts.resize(threads);
  e.states.resize(threads);
  e.warps.resize((threads + kWarpSize - 1) / kWarpSize);
  e.shuffles.resize(e.warps.size());
  for (int64_t id = first; id < last; ++id)
    runBlock(e, id);
  e.thread = nullptr;
  e.args = nullptr;
  e.inLaunch = false;
}

void emuTrap(const char *message) { trapWith(message ? message : "trap"); }

uint32_t emuShuffleXor(uint32_t value, int32_t laneMask) {
  Emulation &e = runningFiber("shfl.sync");
  int warp = wholeWarp(e, "shfl.sync"), lane = e.current % kWarpSize;
  if (laneMask < 0 || laneMask >= kWarpSize)
    trapWith(absl::StrCat(blockName(e), ": shfl.sync.bfly lane mask ",
                          laneMask, " is not in 0 .. 31"));
  WarpShuffle &pending = e.shuffles[warp];
  pending.values[lane] = value;
  pending.laneMasks[lane] = laneMask;
  if (++pending.arrived == kWarpSize) {
    for (int l = 0; l < kWarpSize; ++l)
      pending.results[l] = pending.values[l ^ pending.laneMasks[l]];
    pending.arrived = 0;
    releaseWarp(e, warp, FiberState::AtShuffle);
  } else {
    // Read after every lane has deposited again (as for mma).
    suspendRunningFiber(e, FiberState::AtShuffle);
  }
  return pending.results[lane];
}

} // namespace

const Dsv2SimtEmuApi *simtEmulatorApi() {
  static const Dsv2SimtEmuApi api = {kSimtEmuAbiVersion,
                                     0,
                                     emuTidX,
                                     emuNtidX,
                                     emuCtaid,
                                     emuNctaid,
                                     emuBarrier,
                                     emuSharedBase,
                                     emuMma,
                                     emuLaunch,
                                     emuTrap,
                                     emuShuffleXor};
  return &api;
}

} // namespace dsv2::runtime
