//===- Passes.td - GPU code generation passes -------------*- tablegen -*-===//
//
// Part of dsv2c. The passes that take `tile` kernels to NVVM-level LLVM
// dialect (codegen/gpu/Pipeline.h chains them with the upstream math, scf
// and LLVM conversions), and the rewrite of that level for the SIMT
// emulator.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_CODEGEN_GPU_PASSES_TD
#define DSV2_CODEGEN_GPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def Dsv2ConvertTileToNVVMPass
    : Pass<"dsv2-convert-tile-to-nvvm", "::mlir::ModuleOp"> {
  let summary = "Lower tile kernels to the code of one GPU thread";
  let description = [{
    Every kernel (a `func.func` with `tile.kernel`) becomes an `llvm.func`
    marked `nvvm.kernel` with `nvvm.reqntid`; one program of the grid is
    one thread block. Tiles are spread over the block's threads in runs
    (thread t holds flat elements t*R .. t*R+R-1, then the same T*R later;
    R = 4 or 2 when the tile divides into T*R, else 1); elementwise ops run per
    element; `tile.broadcast` of loaded data, `tile.reduce` and `tile.dot`
    exchange elements through dynamic shared memory (`@__dsv2_shared`,
    address space 3) between `nvvm.barrier0`s; index arithmetic is
    recomputed instead. Dots of bf16 tiles whose shape divides into
    16 x 8 x 16 blocks run on tensor cores (`llvm.nvvm.mma.m16n8k16.row.col.bf16`
    through `llvm.call_intrinsic`, each warp a set of 16 x 8 output
    blocks); other dots accumulate in f32 with one fma per K step. Global loads and
    stores are guarded by the mask and by the tile's bounds; a run whose
    pointers are contiguous (ContiguityAnalysis) is one wide access (its
    elements packed in one integer) when its address is aligned and its
    mask all set (checked per run at run time); a barrier separates a store from a later load of
    another thread in the same program. bf16 is kept as i16 bit patterns.
    The block size and the shared-memory bytes are recorded on each kernel
    as `dsv2.threads` and `dsv2.shared_bytes`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::NVVM::NVVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect"];
  let options = [
    Option<"maxThreads", "max-threads", "int64_t", "128",
           "Largest thread block">,
    Option<"useMma", "use-mma", "bool", "true",
           "mma.sync (m16n8k16, bf16 inputs) for dots of bf16 tiles">,
    Option<"bf16Activations", "bf16-activations", "bool", "false",
           "Round f32 activations to bf16 for mma.sync when the other dot "
           "operand is a widened bf16 weight">,
    Option<"vectorAccesses", "vector-accesses", "bool", "true",
           "One wide global load or store (2-16 bytes) per run of a "
           "thread's elements where the pointer tile is contiguous along "
           "its rows; alignment and mask checked per run at run time">,
    Option<"warpShuffles", "warp-shuffles", "bool", "true",
           "Reductions along the last axis fold within warps by "
           "shfl.sync.bfly (else a tree over shared memory)">,
    Option<"injectMissingBarrier", "inject-missing-barrier", "bool", "false",
           "Test only: omit the barrier after shared-memory writes">,
    Option<"injectBadMmaLayout", "inject-bad-mma-layout", "bool", "false",
           "Test only: swap the A-fragment rows of every mma.sync">,
    Option<"injectUncheckedAlignment", "inject-unchecked-alignment", "bool",
           "false",
           "Test only: wide global accesses without the run-time alignment "
           "check">,
  ];
}

def Dsv2GpuConvertToLLVMPass
    : Pass<"dsv2-gpu-convert-to-llvm", "::mlir::ModuleOp"> {
  let summary = "arith, math and cf inside GPU kernels to the LLVM dialect";
  let description = [{
    One conversion of what `dsv2-convert-tile-to-nvvm` leaves (after
    scf-to-cf) to the LLVM dialect; NVVM ops stay. f32 `exp`, `sin`, `cos`
    and the other functions without an NVPTX instruction become MLIR's
    polynomial approximations first, the same ones the CPU code uses.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def Dsv2GpuToEmulationPass
    : Pass<"dsv2-gpu-to-emulation", "::mlir::ModuleOp"> {
  let summary = "NVVM-level kernels to host code calling the SIMT emulator";
  let description = [{
    Rewrites every NVVM special-register read, barrier, mma.sync and the
    shared memory base of the lowered GPU kernels into calls through the SIMT
    emulator's function table (runtime/simt/SimtEmuAbi.h), and adds
    `__dsv2_emu_bind`, a per-thread entry `name_thread(void **args)` and the
    runtime's `name_grid` entry for every kernel. Any other NVVM op is an
    error: nothing is approximated silently. Every load and store of a
    kernel first checks its address against the alignment a GPU needs (its
    stated alignment, else its size, at most 16 bytes) and traps, naming the
    kernel, where a GPU would fault with a misaligned address.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // DSV2_CODEGEN_GPU_PASSES_TD
