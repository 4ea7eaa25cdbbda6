//===- Embedding.cpp - Reference token embedding --------------------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/Embedding.h"

#include <algorithm>

namespace dsv2::reference {

bool embedding(const int32_t *ids, int64_t tokens, const float *table,
               int64_t vocab, int64_t hidden, float *out) {
  for (int64_t t = 0; t < tokens; ++t)
    if (ids[t] < 0 || ids[t] >= vocab)
      return false;
  for (int64_t t = 0; t < tokens; ++t) {
    const float *row = table + static_cast<int64_t>(ids[t]) * hidden;
    std::copy(row, row + hidden, out + t * hidden);
  }
  return true;
}

} // namespace dsv2::reference
