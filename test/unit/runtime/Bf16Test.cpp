//===- Bf16Test.cpp - bf16 / f16 conversion tests -------------------------===//
//
// Rounding, special values and exhaustive round trips of runtime/io/Bf16.h.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/Bf16.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "gtest/gtest.h"

namespace dsv2::runtime {
namespace {

float fromBits(uint32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof(value));
  return value;
}

uint32_t toBits(float value) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits;
}

TEST(Bf16, WidensExactly) {
  EXPECT_EQ(bf16ToFloat32(0x3f80), 1.0f);
  EXPECT_EQ(bf16ToFloat32(0xc000), -2.0f);
  EXPECT_EQ(bf16ToFloat32(0x3fc0), 1.5f);
  EXPECT_EQ(bf16ToFloat32(0x7f80), std::numeric_limits<float>::infinity());
  EXPECT_EQ(toBits(bf16ToFloat32(0x8000)), 0x80000000u);
  EXPECT_TRUE(std::isnan(bf16ToFloat32(0x7fc0)));
}

TEST(Bf16, RoundsHalfwayCasesToEven) {
  // 1 + 2^-8 lies halfway between bf16 1.0 (0x3f80) and 1 + 2^-7 (0x3f81).
  EXPECT_EQ(float32ToBf16(fromBits(0x3f808000)), 0x3f80);
  // 1 + 3 * 2^-8 lies halfway between 0x3f81 and 0x3f82: the even one wins.
  EXPECT_EQ(float32ToBf16(fromBits(0x3f818000)), 0x3f82);
  EXPECT_EQ(float32ToBf16(fromBits(0xbf808000)), 0xbf80);
}

TEST(Bf16, RoundsToNearest) {
  EXPECT_EQ(float32ToBf16(fromBits(0x3f807fff)), 0x3f80);
  EXPECT_EQ(float32ToBf16(fromBits(0x3f808001)), 0x3f81);
  EXPECT_EQ(float32ToBf16(fromBits(0x3f80ffff)), 0x3f81);
  EXPECT_EQ(float32ToBf16(1.0f), 0x3f80);
  EXPECT_EQ(float32ToBf16(-0.0f), 0x8000);
  // A carry out of the mantissa bumps the exponent: 1.99999 -> 2.
  EXPECT_EQ(float32ToBf16(fromBits(0x3fffffff)), 0x4000);
  // The smallest float32 subnormal rounds to zero.
  EXPECT_EQ(float32ToBf16(fromBits(0x00000001)), 0x0000);
}

TEST(Bf16, OverflowRoundsToInfinity) {
  EXPECT_EQ(float32ToBf16(std::numeric_limits<float>::max()), 0x7f80);
  EXPECT_EQ(float32ToBf16(-std::numeric_limits<float>::max()), 0xff80);
  EXPECT_EQ(float32ToBf16(fromBits(0x7f7f7fff)), 0x7f7f);
  EXPECT_EQ(float32ToBf16(std::numeric_limits<float>::infinity()), 0x7f80);
  EXPECT_EQ(float32ToBf16(-std::numeric_limits<float>::infinity()), 0xff80);
}

TEST(Bf16, NanStaysNan) {
  EXPECT_EQ(float32ToBf16(fromBits(0x7fc00000)), 0x7fc0);
  EXPECT_EQ(float32ToBf16(fromBits(0xffc00000)), 0xffc0);
  // Payload only in the low bits: truncation alone would give infinity.
  const uint16_t low = float32ToBf16(fromBits(0x7f800001));
  EXPECT_TRUE(std::isnan(bf16ToFloat32(low)));
  // A payload whose rounding would carry into the exponent.
  const uint16_t carry = float32ToBf16(fromBits(0x7fffffff));
  EXPECT_TRUE(std::isnan(bf16ToFloat32(carry)));
  EXPECT_EQ(carry & 0x8000, 0);
}

TEST(Bf16, EveryNonNanPatternRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const auto pattern = static_cast<uint16_t>(bits);
    const float value = bf16ToFloat32(pattern);
    if (std::isnan(value)) {
      EXPECT_TRUE(std::isnan(bf16ToFloat32(float32ToBf16(value))));
      continue;
    }
    ASSERT_EQ(float32ToBf16(value), pattern) << "pattern " << bits;
  }
}

TEST(F16, WidensSpecialValues) {
  EXPECT_EQ(f16ToFloat32(0x3c00), 1.0f);
  EXPECT_EQ(f16ToFloat32(0xc000), -2.0f);
  EXPECT_EQ(f16ToFloat32(0x7bff), 65504.0f);
  EXPECT_EQ(f16ToFloat32(0x0400), std::ldexp(1.0f, -14));
  EXPECT_EQ(f16ToFloat32(0x0001), std::ldexp(1.0f, -24));
  EXPECT_EQ(f16ToFloat32(0x03ff), std::ldexp(1023.0f, -24));
  EXPECT_EQ(f16ToFloat32(0x8001), -std::ldexp(1.0f, -24));
  EXPECT_EQ(toBits(f16ToFloat32(0x8000)), 0x80000000u);
  EXPECT_EQ(f16ToFloat32(0x0000), 0.0f);
  EXPECT_EQ(f16ToFloat32(0x7c00), std::numeric_limits<float>::infinity());
  EXPECT_EQ(f16ToFloat32(0xfc00), -std::numeric_limits<float>::infinity());
  EXPECT_TRUE(std::isnan(f16ToFloat32(0x7e00)));
  EXPECT_TRUE(std::isnan(f16ToFloat32(0x7c01)));
  EXPECT_TRUE(std::isnan(f16ToFloat32(0xfe00)));
}

TEST(F16, EveryPatternMatchesTheDefinition) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    const float sign = (bits & 0x8000) ? -1.0f : 1.0f;
    const int exponent = static_cast<int>((bits >> 10) & 0x1f);
    const int mantissa = static_cast<int>(bits & 0x3ff);
    const float value = f16ToFloat32(static_cast<uint16_t>(bits));
    if (exponent == 31) {
      if (mantissa == 0) {
        ASSERT_EQ(value, sign * std::numeric_limits<float>::infinity());
      } else {
        ASSERT_TRUE(std::isnan(value)) << bits;
      }
      continue;
    }
    const double expected =
        exponent == 0 ? sign * std::ldexp(double{1} * mantissa, -24)
                      : sign * std::ldexp(1024.0 + mantissa, exponent - 25);
    ASSERT_EQ(static_cast<double>(value), expected) << "pattern " << bits;
    ASSERT_EQ(std::signbit(value), sign < 0.0f) << "pattern " << bits;
  }
}

}  // namespace
}  // namespace dsv2::runtime
