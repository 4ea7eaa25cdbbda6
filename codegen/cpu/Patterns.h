//===- Patterns.h - CPU lowering pattern sets -------------------*- C++ -*-===//
//
// Part of dsv2c. Pattern sets of the CPU lowering that are not tied to one
// pass (see ConvertTileToLLVM.h for the tile conversion itself).
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_PATTERNS_H
#define CODEGEN_CPU_PATTERNS_H

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/DialectConversion.h"

namespace mlir::dsv2::cpu {

/// Rewrites llvm.intr.masked.gather / masked.scatter, and masked.load /
/// masked.store of elements without native masked moves (all of them unless
/// `nativeMaskedOps`, else those not 32 or 64 bits wide), into loops over
/// the active lanes through stack buffers; contiguous loads and stores first
/// take a plain vector access when every lane is on. Keeps LLVM from
/// scalarizing them into one branch per lane. With `nativeMaskedOps`, the
/// kept masked loads wider than 256 bits are split into 256-bit pieces:
/// LLVM 22's x86 backend turns a part of a wider one whose mask is constant
/// false into an unmasked load, reading past the end of a buffer.
void populateExpandMaskedMemoryPatterns(RewritePatternSet &patterns,
                                        bool nativeMaskedOps);

/// A stack buffer of `count` elements of `element`, allocated at the start
/// of the function enclosing `op` (so loops do not grow the stack).
Value createEntryStackBuffer(OpBuilder &builder, Operation *op, Type element,
                             int64_t count);

/// Lowers f32 `vector.contract`s of the matmul form ((m, k), (k, n) ->
/// (m, n), kind add) to loops through stack buffers over blocks of C of
/// R rows x W columns (R x W <= 8 registers of `vectorBits`: 64 floats on
/// AVX2, 128 on AVX-512; both dividing C's shape), each
/// block's R accumulators in registers for the whole K chain:
/// C[m, n0:n0+W] = fma(A[m, k], B[k, n0:n0+W], ...) for k = 0, 1, ....
/// Each element sees the same fmuladds in the same (K) order as the
/// outer-product lowering, but the code stays small (unrolled, a 32 x 64
/// accumulator spills on every step and a kernel takes llc tens of
/// seconds) and R independent chains share each load of B
/// (ContractThroughMemory.cpp).
void populateContractThroughMemoryPatterns(RewritePatternSet &patterns,
                                           int64_t vectorBits = 256,
                                           PatternBenefit benefit = 1);

/// bf16 (scalars and vector elements) -> i16, with arith.bitcast
/// materializations.
class Bf16AsI16TypeConverter : public TypeConverter {
public:
  explicit Bf16AsI16TypeConverter(MLIRContext *context);
};

/// Keeps bf16 values as their i16 bit patterns (run after bf16 arithmetic
/// is emulated in f32): extf from and truncf to bf16 become integer
/// operations (round to nearest even, quiet NaNs), constants their bits,
/// every other op retyped. Fills `target` so that no bf16 type remains.
void populateBf16AsI16Patterns(const TypeConverter &typeConverter,
                               RewritePatternSet &patterns,
                               ConversionTarget &target);

} // namespace mlir::dsv2::cpu

#endif // CODEGEN_CPU_PATTERNS_H
