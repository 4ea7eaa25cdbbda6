//===- RandomWeights.cpp - Deterministic random checkpoints ---------------===//

#include "models/deepseek_v2/RandomWeights.h"

#include <cmath>
#include <cstring>

namespace dsv2::model {
namespace {

/// FNV-1a over the name: a stable per-tensor stream id.
uint64_t hashName(std::string_view name) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : name) {
    hash ^= c;
    hash *= 1099511628211ull;
  }
  return hash;
}

/// splitmix64: small, fast, and identical on every platform.
uint64_t nextRandom(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

/// Uniform in [-1, 1) from the top 24 bits (exact in float).
float uniformSymmetric(uint64_t &state) {
  return static_cast<float>(nextRandom(state) >> 40) * (2.0f / 16777216.0f) -
         1.0f;
}

float roundToStorage(float value, WeightStorage storage) {
  uint32_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  switch (storage) {
  case WeightStorage::F32:
    return value;
  case WeightStorage::BF16: {
    bits += 0x7fffu + ((bits >> 16) & 1u); // round to nearest even
    bits &= 0xffff0000u;
    float rounded;
    std::memcpy(&rounded, &bits, sizeof(rounded));
    return rounded;
  }
  case WeightStorage::F16:
    // Values here are far inside f16's normal range; round the mantissa to
    // 10 bits (nearest even).
    bits += 0xfffu + ((bits >> 13) & 1u);
    bits &= 0xffffe000u;
    float rounded;
    std::memcpy(&rounded, &bits, sizeof(rounded));
    return rounded;
  }
  return value;
}

bool endsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() &&
         text.substr(text.size() - suffix.size()) == suffix;
}

} // namespace

void fillRandomWeight(uint64_t seed, std::string_view name,
                      const std::vector<int64_t> &shape, WeightStorage storage,
                      float *out) {
  int64_t count = 1;
  for (int64_t dim : shape)
    count *= dim;
  uint64_t state = seed * 0x9e3779b97f4a7c15ull ^ hashName(name);
  float offset = 0.0f, scale = 1.0f;
  if (endsWith(name, "norm.weight")) {
    offset = 1.0f;
    scale = 0.1f;
  } else if (name != "model.embed_tokens.weight" && shape.size() == 2) {
    // Uniform [-a, a] has variance a^2/3; a = sqrt(3/in) gives 1/in.
    scale = std::sqrt(3.0f / static_cast<float>(shape[1]));
  }
  for (int64_t i = 0; i < count; ++i)
    out[i] = roundToStorage(offset + scale * uniformSymmetric(state), storage);
}

} // namespace dsv2::model
