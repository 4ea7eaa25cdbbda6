//===- SimtEmuAbi.h - How emulated GPU kernels call the emulator -*- C++ -*-===//
//
// An emulated GPU kernel library (dsv2c compile --target sm_90a-emu) is a
// host shared library built from the same NVVM-level kernels the GPU path
// turns into PTX, with every NVVM intrinsic replaced by a call through one
// table of function pointers. The library exports
//
//   extern "C" void __dsv2_emu_bind(const Dsv2SimtEmuApi *api);
//
// and the runtime calls it once after dlopen, before any launch. Each kernel
// `name` is exported as `name_grid` (runtime/engine/KernelAbi.h), which calls
// `api->launch` with a per-thread entry `void thread(void **args)` that runs
// one GPU thread of the current block.
//
// Entries are appended only; kSimtEmuAbiVersion changes with any change.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SIMT_SIMTEMUABI_H
#define RUNTIME_SIMT_SIMTEMUABI_H

#include <cstdint>

extern "C" {

struct Dsv2SimtEmuApi {
  /// Must equal kSimtEmuAbiVersion; a library built for another is refused.
  uint32_t version;
  uint32_t reserved;
  /// %tid.x and %ntid.x: blocks are one-dimensional.
  int32_t (*tidX)(void);
  int32_t (*ntidX)(void);
  /// %ctaid.{x,y,z} and %nctaid.{x,y,z}; axis 0, 1, 2.
  int32_t (*ctaid)(int32_t axis);
  int32_t (*nctaid)(int32_t axis);
  /// bar.sync 0: every thread of the block waits until all have arrived.
  void (*barrier)(void);
  /// The block's shared memory (sharedBytes of launch, 16-byte aligned,
  /// poisoned with NaN-pattern bytes at the start of each block).
  void *(*sharedBase)(void);
  /// mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 for the calling
  /// lane: a0..a3 and b0, b1 are its A and B fragment registers (two bf16
  /// each, low half first), c0..c3 its C fragment; writes its D fragment to
  /// d[0..3]. A warp-collective: all 32 lanes of the warp must call it.
  void (*mmaM16N8K16Bf16)(uint32_t a0, uint32_t a1, uint32_t a2, uint32_t a3,
                          uint32_t b0, uint32_t b1, float c0, float c1,
                          float c2, float c3, float *d);
  /// Runs blocks [first, last) of a gridX x gridY x gridZ launch (linear id
  /// = x + gridX * (y + gridY * z)) with `threads` threads each, calling
  /// thread(args) once per GPU thread.
  void (*launch)(void (*thread)(void **args), void **args, int32_t gridX,
                 int32_t gridY, int32_t gridZ, int64_t first, int64_t last,
                 int32_t threads, int64_t sharedBytes);
  /// Reports a fatal emulation error (an unsupported construct reached at
  /// run time) and aborts the process with the message.
  void (*trap)(const char *message);
  /// shfl.sync.bfly.b32 over the whole warp (member mask 0xffffffff, clamp
  /// 31): returns the `value` lane (lane ^ laneMask) passed. A
  /// warp-collective: all 32 lanes of the warp must call it.
  uint32_t (*shuffleXor)(uint32_t value, int32_t laneMask);
};

} // extern "C"

namespace dsv2::runtime {
inline constexpr uint32_t kSimtEmuAbiVersion = 2;
inline constexpr const char *kSimtEmuBindSymbol = "__dsv2_emu_bind";
} // namespace dsv2::runtime

#endif // RUNTIME_SIMT_SIMTEMUABI_H
