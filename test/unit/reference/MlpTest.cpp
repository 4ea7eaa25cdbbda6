//===- MlpTest.cpp - Tests of the reference gated SiLU MLP ----------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Mlp.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace dsv2::reference {
namespace {

TEST(MlpTest, DownOfSiluGateTimesUp) {
  // hidden 1, inter 2: gate rows (1, -2), up rows (2, 1), down (3, 0.5).
  std::vector<float> gate = {1, -2}, up = {2, 1}, down = {3, 0.5f};
  float x = 1.5f, out = 0;
  mlp(&x, gate.data(), up.data(), down.data(), 1, 1, 2, &out);
  auto silu = [](double z) { return z / (1 + std::exp(-z)); };
  double expected = 3 * silu(1.5) * 3.0 + 0.5 * silu(-3.0) * 1.5;
  EXPECT_FLOAT_EQ(out, static_cast<float>(expected));
}

} // namespace
} // namespace dsv2::reference
