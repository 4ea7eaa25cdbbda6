//===- SimtEmitter.h - One tile program -> one CUDA thread block -*- C++ -*-===//
//
// Part of dsv2c. Rewrites a `tile` kernel into the code one GPU thread runs:
// every program of the kernel's grid becomes one thread block, and every
// tile value is spread over the block's threads. See codegen/gpu/README.md
// for the layout, the shared-memory exchanges and the barriers.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_GPU_SIMTEMITTER_H
#define CODEGEN_GPU_SIMTEMITTER_H

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <cstdint>
#include <string>

namespace mlir::dsv2::gpu {

struct SimtOptions {
  /// Largest block; a kernel gets the smallest power of two >= 32 that
  /// covers its largest tile, up to this.
  int64_t maxThreads = 128;
  /// Tensor-core mma.sync (m16n8k16, bf16 inputs, f32 accumulators, sm_80
  /// and later) for dots whose tiles divide into 16 x 8 x 16 blocks and
  /// whose inputs are bf16.
  bool useMma = true;
  /// Also feed mma.sync with f32 activations rounded to bf16 when the other
  /// operand is a bf16 tile widened to f32 (a bf16 weight): the GEMMs of a
  /// bf16 engine then run on tensor cores, with bf16 activations as in the
  /// reference model's bf16 inference. Off: those dots stay exact f32 FMA.
  bool bf16Activations = false;
  /// One wide global load or store (2-16 bytes) per run of a thread's
  /// elements that is contiguous in memory and aligned (checked per run at
  /// run time; scalar accesses otherwise).
  bool vectorAccesses = true;
  /// sum / max / min along the last axis of f32 and bf16 tiles whose rows
  /// lie in whole runs: each thread folds its runs of a row, a butterfly of
  /// shfl.sync.bfly folds a row's lanes within a warp, one shared-memory
  /// exchange the warps (instead of a tree with a barrier per level).
  bool warpShuffles = true;
  /// Test only: drop the barrier after shared-memory writes (a missing
  /// barrier the SIMT emulator must expose).
  bool injectMissingBarrier = false;
  /// Test only: swap the A-fragment registers of rows g and g+8 in every
  /// mma.sync (a wrong fragment layout the SIMT emulator must expose).
  bool injectBadMmaLayout = false;
  /// Test only: wide global accesses without the run-time alignment check
  /// (misaligned ones, which a GPU faults on, the SIMT emulator must trap).
  bool injectUncheckedAlignment = false;
};

/// How the runtime launches a lowered kernel (recorded in the engine).
struct SimtKernelInfo {
  std::string name;
  int64_t threads = 0;
  int64_t sharedBytes = 0;
};

/// Replaces `kernel` (a func.func with `tile.kernel`) by an `llvm.func` of
/// the same name and arguments (pointers become `!llvm.ptr`) marked
/// `nvvm.kernel`, whose body is scalar arith/math/scf/llvm code plus NVVM
/// special-register reads, barriers and mma.sync intrinsics. Fails with a diagnostic
/// on anything it cannot lower.
FailureOr<SimtKernelInfo> emitSimtKernel(func::FuncOp kernel,
                                         const SimtOptions &options);

/// Name of the module-level dynamic shared memory (an external
/// `!llvm.array<0 x i8>` in address space 3).
inline constexpr const char *kSharedMemoryGlobal = "__dsv2_shared";
/// The tensor-core instruction the generator emits (llvm.call_intrinsic).
inline constexpr const char *kMmaIntrinsic =
    "llvm.nvvm.mma.m16n8k16.row.col.bf16";
/// Attribute recording the launch shape on the lowered kernel.
inline constexpr const char *kThreadsAttr = "dsv2.threads";
inline constexpr const char *kSharedBytesAttr = "dsv2.shared_bytes";

} // namespace mlir::dsv2::gpu

#endif // CODEGEN_GPU_SIMTEMITTER_H
