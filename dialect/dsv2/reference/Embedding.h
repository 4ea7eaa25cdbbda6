//===- Embedding.h - Reference token embedding ------------------*- C++ -*-===//
//
// Part of dsv2c. Row gather from the embedding table (no scaling, as in
// DeepSeek-V2).
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_EMBEDDING_H
#define DSV2_DIALECT_DSV2_REFERENCE_EMBEDDING_H

#include <cstdint>

namespace dsv2::reference {

/// out[t] = table[ids[t]] for `table` [vocab, hidden] and `out` [tokens,
/// hidden]. Returns false, without writing anything, when any id is outside
/// [0, vocab), so the interpreter can report the bad token instead of
/// crashing.
bool embedding(const int32_t *ids, int64_t tokens, const float *table,
               int64_t vocab, int64_t hidden, float *out);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_EMBEDDING_H
