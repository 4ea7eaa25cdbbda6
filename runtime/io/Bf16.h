//===- Bf16.h - bfloat16 and IEEE half conversions --------------*- C++ -*-===//
//
// Bit-exact conversions between float32 and the 16-bit float formats found in
// checkpoints: bfloat16 (both directions) and IEEE 754 binary16 (to float32).
// Every function works on the raw 16-bit pattern, so callers never need a
// half-precision C++ type.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IO_BF16_H
#define RUNTIME_IO_BF16_H

#include <cstdint>
#include <cstring>

namespace dsv2::runtime {

/// The float32 value of the bfloat16 bit pattern `bits` (exact: bfloat16 is
/// the upper half of a float32).
inline float bf16ToFloat32(uint16_t bits) {
  const uint32_t widened = static_cast<uint32_t>(bits) << 16;
  float value;
  std::memcpy(&value, &widened, sizeof(value));
  return value;
}

/// The bfloat16 bit pattern nearest to `value`, ties to even. Overflow rounds
/// to infinity; a NaN stays a (quiet) NaN with its sign kept.
inline uint16_t float32ToBf16(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  if ((bits & 0x7fffffffu) > 0x7f800000u) {
    // NaN: keep the sign and the upper payload bits, force the quiet bit so
    // that truncating a payload held only in the low bits cannot yield inf.
    return static_cast<uint16_t>((bits >> 16) | 0x0040u);
  }
  const uint32_t lsbOfResult = (bits >> 16) & 1u;
  bits += 0x7fffu + lsbOfResult;
  return static_cast<uint16_t>(bits >> 16);
}

/// The float32 value of the IEEE 754 binary16 bit pattern `bits` (exact),
/// including subnormals, signed zeros, infinities and NaNs (payload kept).
inline float f16ToFloat32(uint16_t bits) {
  const uint32_t sign = static_cast<uint32_t>(bits & 0x8000u) << 16;
  const uint32_t exponent = (bits >> 10) & 0x1fu;
  const uint32_t mantissa = bits & 0x3ffu;
  uint32_t result;
  if (exponent == 0x1fu) {
    result = sign | 0x7f800000u | (mantissa << 13);
  } else if (exponent != 0) {
    result = sign | ((exponent + (127u - 15u)) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    result = sign;
  } else {
    // Subnormal half: mantissa * 2^-24, renormalized for float32.
    uint32_t shifted = mantissa;
    uint32_t floatExponent = 127u - 15u + 1u;
    while ((shifted & 0x400u) == 0) {
      shifted <<= 1;
      --floatExponent;
    }
    result = sign | (floatExponent << 23) | ((shifted & 0x3ffu) << 13);
  }
  float value;
  std::memcpy(&value, &result, sizeof(value));
  return value;
}

}  // namespace dsv2::runtime

#endif  // RUNTIME_IO_BF16_H
