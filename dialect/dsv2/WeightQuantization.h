//===- WeightQuantization.h - Int8 and int4 weight-only quantization -*- C++ -*-===//
//
// `dsv2c compile --quantize int8` stores the projection weights as int8 with
// one f32 scale per output row (symmetric, absmax / 127): decode streams
// every weight once per token, so a quarter of the f32 bytes (half of bf16)
// is the lever. Activations, norms, the router gate and the embedding stay
// in the engine's dtype; the router decides which experts run, so it keeps
// its precision.
//
// The same rule and arithmetic serve the compiler (which weights become
// int8, kernel formation), the weight packer (the int8 panels and their
// scales) and the reference interpreter (`dsv2c eval --quantize int8` reads
// every such weight as scale * q), so an int8 engine is checked against a
// reference that computes with exactly its weights.
//
// `--quantize int4-experts` stores the routed experts (most of the bytes a
// DeepSeek-V2 decode step reads) as int4 with one f32 scale per group of
// up to 128 inputs of an output row (absmax / 7): per-row scales lose too
// much at 4 bits, group scales bound each value's error by its group.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_WEIGHTQUANTIZATION_H
#define DIALECT_DSV2_WEIGHTQUANTIZATION_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::dsv2 {

/// Int8: every projection weight (below); Int8Experts: only the MoE layers'
/// routed and shared experts (~94% of DeepSeek-V2's weights), attention,
/// dense MLPs and lm_head keep the engine's dtype. Int4Experts: the routed
/// experts in int4 with one scale per group of inputs (a quarter of bf16's
/// bytes), the shared experts in int8 as under Int8Experts.
enum class WeightQuantization { None, Int8, Int8Experts, Int4Experts };

/// "none" / "int8" / "int8-experts" / "int4-experts", or nullopt.
std::optional<WeightQuantization> parseWeightQuantization(llvm::StringRef text);
const char *weightQuantizationName(WeightQuantization quantization);

/// Whether checkpoint tensor `name` (a concrete name or one with "{e}") is
/// stored in int8 under `quantization`: with int8 every *_proj weight
/// (attention, dense MLP, shared and routed experts) and lm_head; with
/// int8-experts the experts' *_proj weights only; with int4-experts the
/// shared experts' (the routed ones are int4); never a name that
/// contains one of `keep` (--quantize-keep: e.g. "self_attn", "lm_head").
/// An MLP's gate_proj and up_proj go together: keeping one keeps both (the
/// experts' gate/up kernels read the pair with one weight type).
bool isInt8QuantizedWeight(llvm::StringRef name,
                           WeightQuantization quantization,
                           llvm::ArrayRef<std::string> keep = {});

/// The scale of one output row: max |w| / 127 (0 for a row of zeros).
float int8RowScale(llvm::ArrayRef<float> row);

/// round(value / scale) clamped to [-127, 127] (0 when scale is 0 or the
/// quotient is NaN).
int8_t quantizeInt8(float value, float scale);

/// Replaces every row of the row-major [rows, cols] `values` by scale * q,
/// the values an int8 engine computes with.
void fakeQuantizeInt8Rows(float *values, int64_t rows, int64_t cols);

/// Whether checkpoint tensor `name` is stored in int4 under `quantization`:
/// with int4-experts the routed experts' *_proj weights (".mlp.experts."),
/// unless `keep` keeps them (same rules as isInt8QuantizedWeight).
bool isInt4QuantizedWeight(llvm::StringRef name,
                           WeightQuantization quantization,
                           llvm::ArrayRef<std::string> keep = {});

/// Inputs per int4 scale for rows of `cols` inputs: the largest power of
/// two up to 128 that divides cols, or 0 when cols is odd (no int4 layout:
/// a byte holds two inputs of one group).
int64_t int4GroupSize(int64_t cols);

/// Inputs per int4 scale of checkpoint tensor `name`, an int4 weight with
/// rows of `cols` inputs, in an engine of `tp` tensor-parallel ranks. Tensor
/// parallelism cuts the routed experts' down_proj rows into tp slices
/// (models/deepseek_v2/Sharding.h), so their groups are a slice's,
/// int4GroupSize(cols / tp): a group never straddles two ranks, and each
/// rank's slice is quantized exactly as the whole row is. 0 when there is no
/// layout (a slice of odd length, or cols not divisible by tp).
int64_t int4GroupSizeOf(llvm::StringRef name, int64_t cols, int64_t tp = 1);

/// The scale of one group: max |w| / 7 (0 for a group of zeros).
float int4GroupScale(llvm::ArrayRef<float> group);

/// round(value / scale) clamped to [-7, 7] (symmetric; 0 when scale is 0
/// or the quotient is NaN).
int8_t quantizeInt4(float value, float scale);

/// Replaces every group of `group` inputs of every row of the row-major
/// [rows, cols] `values` by scale * q, the values an int4 engine computes
/// with (group divides cols).
void fakeQuantizeInt4Rows(float *values, int64_t rows, int64_t cols,
                          int64_t group);

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_WEIGHTQUANTIZATION_H
