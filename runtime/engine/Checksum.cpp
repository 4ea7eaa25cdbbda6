//===- Checksum.cpp - 64-bit checksum of engine and weight bytes ----------===//

#include "runtime/engine/Checksum.h"

#include <cstring>

namespace dsv2::runtime {
namespace {

// Odd 64-bit constants with well-mixed bits (the xxHash64 primes).
constexpr uint64_t kPrime1 = 0x9E3779B185EBCA87ULL;
constexpr uint64_t kPrime2 = 0xC2B2AE3D27D4EB4FULL;
constexpr uint64_t kPrime3 = 0x165667B19E3779F9ULL;
constexpr uint64_t kPrime4 = 0x85EBCA77C2B2AE63ULL;
constexpr uint64_t kPrime5 = 0x27D4EB2F165667C5ULL;

uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

// Unaligned little-endian loads (every supported host is little-endian).
uint64_t load64(const uint8_t *p) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}
uint32_t load32(const uint8_t *p) {
  uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

uint64_t round(uint64_t acc, uint64_t lane) {
  acc += lane * kPrime2;
  return rotl(acc, 31) * kPrime1;
}

uint64_t mergeLane(uint64_t hash, uint64_t acc) {
  hash ^= round(0, acc);
  return hash * kPrime1 + kPrime4;
}

} // namespace

uint64_t checksum64(const void *data, size_t size, uint64_t seed) {
  const auto *p = static_cast<const uint8_t *>(data);
  const uint8_t *end = p + size;
  uint64_t hash;
  if (size >= 32) {
    uint64_t lanes[4] = {seed + kPrime1 + kPrime2, seed + kPrime2, seed,
                         seed - kPrime1};
    for (; p + 32 <= end; p += 32)
      for (int i = 0; i < 4; ++i)
        lanes[i] = round(lanes[i], load64(p + 8 * i));
    hash = rotl(lanes[0], 1) + rotl(lanes[1], 7) + rotl(lanes[2], 12) +
           rotl(lanes[3], 18);
    for (uint64_t lane : lanes)
      hash = mergeLane(hash, lane);
  } else {
    hash = seed + kPrime5;
  }
  hash += static_cast<uint64_t>(size);
  for (; p + 8 <= end; p += 8)
    hash = rotl(hash ^ round(0, load64(p)), 27) * kPrime1 + kPrime4;
  if (p + 4 <= end) {
    hash = rotl(hash ^ (load32(p) * kPrime1), 23) * kPrime2 + kPrime3;
    p += 4;
  }
  for (; p < end; ++p)
    hash = rotl(hash ^ (*p * kPrime5), 11) * kPrime1;
  // Avalanche: every input bit affects every output bit.
  hash ^= hash >> 33;
  hash *= kPrime2;
  hash ^= hash >> 29;
  hash *= kPrime3;
  hash ^= hash >> 32;
  return hash;
}

} // namespace dsv2::runtime
