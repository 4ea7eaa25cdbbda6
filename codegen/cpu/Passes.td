//===- Passes.td - CPU code generation passes -------------*- tablegen -*-===//
//
// Part of dsv2c. The passes that take `tile` kernels to the LLVM dialect for
// the host CPU. `dsv2-lower-tile-to-llvm` (codegen/cpu/Pipeline.h) chains
// them with the upstream scf-to-cf and reconcile-unrealized-casts passes.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_CODEGEN_CPU_PASSES_TD
#define DSV2_CODEGEN_CPU_PASSES_TD

include "mlir/Pass/PassBase.td"

def Dsv2ConvertTileToLLVMPass
    : Pass<"dsv2-convert-tile-to-llvm", "::mlir::ModuleOp"> {
  let summary = "Lower tile kernels to vector ops on LLVM pointers";
  let description = [{
    The first step of CPU code generation. Tiles (static-shape tensors)
    become vectors of the same shape, `!tile.ptr<T>` becomes `!llvm.ptr` and
    pointer tiles vectors of `!llvm.ptr`:

    - `tile.range` -> constant vector; `tile.splat` / `tile.broadcast` ->
      `vector.broadcast`; `tile.expand_dims` -> `vector.shape_cast`;
    - `tile.addptr` -> `llvm.getelementptr` (on 1-D vectors of pointers);
    - `tile.load` / `tile.store` -> `llvm.intr.masked.gather` /
      `masked.scatter` with the mask and the `other` fill; a pointer tile
      that is contiguous along its last dimension (found by a dataflow
      analysis through `tile.range`, splats, broadcasts, integer adds and
      `scf.for` iter_args) uses one `llvm.intr.masked.load` /
      `masked.store` (or a plain vector load/store when unmasked) per row,
      and a 2-D tile contiguous along its first dimension (the K x N tile
      of W^T) one per column, with transposes;
    - `tile.dot` -> `arith.extf` of the inputs to f32 + `vector.contract`
      (fp32 accumulation, in K order);
    - `tile.reduce` along the last dimension -> `vector.multi_reduction`
      (one horizontal reduction per row), along another dimension -> the
      slices combined elementwise in order; argmax: max, compare, select
      the lane index, min-reduce (the first maximum wins); bf16 and f16
      reduce in f32;
    - `tile.silu` -> `x / (1 + exp(-x))` in f32;
    - `tile.pair_dot` row by row: with `pair-dot=avx512bw` (`avx2`) the two
      int8 weight rows are interleaved, sign-extended to int16 and
      multiplied with the int16 activation pairs by `pmaddwd` (16 or 8 i32
      lanes; `vpdpwssd` on VNNI targets), else i32 shifts, multiplies and
      adds;
    - upstream arith and math ops on tiles -> the same ops on vectors;
      `scf` loops and branches with converted iter_args and results.

    Kernels get the launch ABI: six trailing i32 arguments `pid_x, pid_y,
    pid_z, nprog_x, nprog_y, nprog_z`, which replace `tile.program_id` and
    `tile.num_programs`; the `tile.kernel` attribute is dropped (after the
    whole lowering, `addGridEntryPoints` of GridEntryPoints.h adds the
    runtime's `<name>_grid` entry points). A kernel
    that uses an op outside tile, arith, math, scf and func fails with a
    diagnostic naming the op.
  }];
  let options = [
    Option<"contiguousAccess", "contiguous-access", "bool", /*default=*/"true",
           "Use per-row (per-column) vector loads/stores for pointer tiles "
           "that are contiguous along their last (first) dimension; "
           "gathers/scatters otherwise">,
    Option<"pairDot", "pair-dot", "std::string", /*default=*/"\"generic\"",
           "Instructions of tile.pair_dot: generic (i32 arithmetic), avx2 "
           "or avx512bw (pmaddwd)">,
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def Dsv2CpuLowerVectorsPass
    : Pass<"dsv2-cpu-lower-vectors", "::mlir::ModuleOp"> {
  let summary = "Lower n-D vector ops, bf16 arithmetic and exp for the CPU";
  let description = [{
    Runs after dsv2-convert-tile-to-llvm:

    0. f32 matmul `vector.contract`s are lowered first (as in step 5),
       while an operand that is the rows of unmasked whole-row loads is
       still recognizable: such an operand (nothing that may write memory
       between its loads and the contraction) is read in place through a
       table of its row addresses instead of a stack copy, and an operand
       defined outside the contraction's block is copied once, where it is
       defined (column by column from memory when its columns are loads);
    1. masked gathers and scatters, and masked loads and stores the target
       has no instruction for, become loops over the active lanes (through
       stack buffers); contiguous ones take one plain vector access when all
       lanes are on. LLVM would otherwise scalarize them into one branch per
       lane, thousands of blocks for a 32 x 64 tile. Masked loads kept for
       LLVM are split into 256-bit pieces: LLVM 22's x86 backend turns a
       part of a wider one whose mask is constant false into an unmasked
       load, reading past the end of a buffer;
    2. math ops on bf16/f16 are computed in f32; f32 `exp`, `expm1`, `log`,
       `log1p`, `log2`, `sin`, `cos` use MLIR's polynomial approximations
       when `approximate-math` is set (vectorizable, within a few ulp;
       without it they become LLVM intrinsics, which the backend turns into
       one libm call per lane). `tanh`, `erf`, `erfc`, `atan`, `atan2`,
       `asin`, `acos` and `cbrt` have no LLVM lowering and are always
       approximated;
    3. arith arithmetic on bf16 is emulated in f32 (extf, op, truncf);
    4. bf16 values become their i16 bit patterns: `arith.extf` from bf16 a
       shift, `arith.truncf` to bf16 integer rounding (to nearest even, NaNs
       stay quiet). The x86 backend legalizes bfloat vectors lane by lane
       (minutes of llc for 1024 lanes) and calls `__truncsfbf2`, which
       libgcc 12 does not have;
    5. vector lowering: an f32 matmul `vector.contract` becomes loops
       through stack buffers over blocks of C (R rows x W columns, at most
       half the registers of `vector-bits`: 64 floats on AVX2, 256 on
       AVX-512), one
       `vector.fma` per row of the block per K step, in K
       order with the block in registers (other contractions: outer
       products, the same order); multi-reductions become one
       `vector.reduction` per row; broadcasts, transposes and shape casts
       become 1-D vector ops.
  }];
  let options = [
    Option<"approximateMath", "approximate-math", "bool", /*default=*/"true",
           "Approximate f32 exp, log and sin/cos by polynomials instead of "
           "libm calls per lane">,
    Option<"nativeMaskedOps", "native-masked-ops", "bool", /*default=*/"true",
           "Keep masked loads/stores of 32- and 64-bit elements for LLVM "
           "(vmaskmov on AVX and later); expand them too when false">,
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"256",
           "Width of the target's widest vector registers (256: AVX2, 512: "
           "AVX-512): sizes the register blocks of matmul contractions">,
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
    "::mlir::ub::UBDialect",
  ];
}

def Dsv2CpuConvertToLLVMPass
    : Pass<"dsv2-cpu-convert-to-llvm", "::mlir::ModuleOp"> {
  let summary = "Convert arith, math, vector, cf, func and ub to LLVM at once";
  let description = [{
    One dialect conversion with one LLVMTypeConverter (index = i64) over the
    upstream arith, math, vector, cf, func and ub to LLVM patterns. Runs
    after dsv2-cpu-lower-vectors and convert-scf-to-cf; leaves
    `unrealized_conversion_cast`s for reconcile-unrealized-casts. An op no
    pattern lowers is reported as "failed to legalize operation".
  }];
  let options = [
    Option<"reassociateFPReductions", "reassociate-fp-reductions", "bool",
           /*default=*/"true",
           "Let LLVM reorder the lane sums of tile.reduce (a tree instead of "
           "a left-to-right chain)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // DSV2_CODEGEN_CPU_PASSES_TD
