//===- Checksum.h - 64-bit checksum of engine and weight bytes --*- C++ -*-===//
//
// Detects corruption (a flipped byte, a truncated copy) of engine files and
// packed weights; not a cryptographic hash. Four independent lanes of
// multiply-rotate rounds over 32-byte stripes (the construction of xxHash64)
// run at memory speed, so verifying tens of GiB of weights at load costs
// little next to reading them.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_CHECKSUM_H
#define RUNTIME_ENGINE_CHECKSUM_H

#include <cstddef>
#include <cstdint>

namespace dsv2::runtime {

/// The checksum of `size` bytes at `data`; `seed` separates uses.
uint64_t checksum64(const void *data, size_t size, uint64_t seed = 0);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_CHECKSUM_H
