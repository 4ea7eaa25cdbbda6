//===- RandomBuffers.h - Deterministic random test data ---------*- C++ -*-===//
//
// Part of dsv2c. Seeded random float buffers for the reference-kernel tests.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_TEST_UNIT_REFERENCE_RANDOMBUFFERS_H
#define DSV2_TEST_UNIT_REFERENCE_RANDOMBUFFERS_H

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

namespace dsv2::reference::test {

/// `size` floats uniform in [-scale, scale], reproducible from `seed`.
inline std::vector<float> randomBuffer(int64_t size, uint32_t seed,
                                       double scale = 1.0) {
  std::mt19937 generator(seed);
  std::uniform_real_distribution<double> distribution(-scale, scale);
  std::vector<float> buffer(static_cast<size_t>(size));
  for (float &value : buffer)
    value = static_cast<float>(distribution(generator));
  return buffer;
}

} // namespace dsv2::reference::test

#endif // DSV2_TEST_UNIT_REFERENCE_RANDOMBUFFERS_H
