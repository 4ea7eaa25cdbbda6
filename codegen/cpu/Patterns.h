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
/// scalarizing them into one branch per lane.
void populateExpandMaskedMemoryPatterns(RewritePatternSet &patterns,
                                        bool nativeMaskedOps);

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
