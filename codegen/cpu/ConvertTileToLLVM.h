//===- ConvertTileToLLVM.h - tile kernels to vectors on LLVM ptrs -*- C++
//-*-===//
//
// Part of dsv2c. The pieces of dsv2-convert-tile-to-llvm, exported so other
// lowerings (and tests) can reuse them: the type converter, the launch ABI
// rewrite and the conversion patterns.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_CONVERTTILETOLLVM_H
#define CODEGEN_CPU_CONVERTTILETOLLVM_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Transforms/DialectConversion.h"

#include <optional>
#include <string>

namespace mlir::tile {
class ContiguityAnalysis;
} // namespace mlir::tile

namespace mlir::dsv2::cpu {

/// Number of i32 launch arguments appended to every kernel:
/// pid_x, pid_y, pid_z, nprog_x, nprog_y, nprog_z.
inline constexpr unsigned kNumLaunchArguments = 6;

/// Tiles (static-shape tensors) -> vectors of the same shape;
/// `!tile.ptr<T>` -> `!llvm.ptr`; pointer tiles -> vectors of `!llvm.ptr`;
/// every other type unchanged. Dynamic shapes do not convert.
class TileToLLVMTypeConverter : public TypeConverter {
public:
  explicit TileToLLVMTypeConverter(MLIRContext *context);
};

/// Gives a kernel (a func.func with `tile.kernel`) the CPU launch ABI:
/// appends the six i32 launch arguments, replaces `tile.program_id` and
/// `tile.num_programs` by them and drops the `tile.kernel` attribute.
/// Fails (with a diagnostic) on a kernel without a body, with results or
/// with an argument that is not a pointer or a scalar.
LogicalResult lowerKernelLaunchInterface(func::FuncOp kernel);

/// Reports every op under `root` that dsv2-convert-tile-to-llvm cannot
/// lower (anything outside tile, arith, math, scf, func, vector and llvm),
/// naming the op. Fails when there is one.
LogicalResult checkSupportedOps(Operation *root);

/// The x86 instructions tile.pair_dot may use (pmaddwd on 512- or 256-bit
/// vectors); Generic is plain i32 arithmetic for any target.
enum class PairDotIsa { Generic, Avx2, Avx512 };

/// "generic", "avx2" or "avx512bw"; nullopt for anything else.
std::optional<PairDotIsa> parsePairDotIsa(llvm::StringRef name);

/// The ISA name of parsePairDotIsa for a target's LLVM feature names.
llvm::StringRef pairDotIsaFor(llvm::ArrayRef<std::string> features);

/// Whether tile.pair_dot is one instruction on a target with `features`
/// (vpdpwssd: AVX512-VNNI with AVX-512BW, or AVX-VNNI): 32 (16) multiply-
/// adds where an f32 FMA does 16 (8). Without VNNI, pmaddwd + add cost what
/// two FMAs do, and int16 activations buy no speed.
bool pairDotIsFused(llvm::ArrayRef<std::string> features);

/// The widest vector registers of a target with `features`, in bits: 512
/// with AVX-512F, else 256 (KernelFormationOptions::cpuVectorBits).
int64_t vectorBitsFor(llvm::ArrayRef<std::string> features);

/// The conversion patterns of the tile ops and of arith/math ops on tiles.
/// With `contiguity`, loads and stores it marks contiguous become per-row
/// vector loads/stores; without, every pointer tile access is a gather or
/// scatter.
void populateTileToLLVMConversionPatterns(
    const TypeConverter &typeConverter, RewritePatternSet &patterns,
    const tile::ContiguityAnalysis *contiguity,
    PairDotIsa pairDot = PairDotIsa::Generic);

/// Legality of the conversion: tile illegal; arith, math, func and scf
/// legal once their types are.
void configureTileToLLVMConversionTarget(ConversionTarget &target,
                                         const TypeConverter &typeConverter);

} // namespace mlir::dsv2::cpu

#endif // CODEGEN_CPU_CONVERTTILETOLLVM_H
