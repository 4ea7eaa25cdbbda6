//===- Mlp.h - Reference gated SiLU MLP -------------------------*- C++ -*-===//
//
// Part of dsv2c. DeepseekV2MLP: the dense FFN, every routed expert and the
// shared experts.
//
//===----------------------------------------------------------------------===//

#ifndef DSV2_DIALECT_DSV2_REFERENCE_MLP_H
#define DSV2_DIALECT_DSV2_REFERENCE_MLP_H

#include <cstdint>

namespace dsv2::reference {

/// out = down(silu(gate(x)) * up(x)), silu(z) = z / (1 + exp(-z)).
///
/// `x` is [tokens, hidden]; `gate` and `up` are [inter, hidden]; `down` is
/// [hidden, inter]; `out` is [tokens, hidden] and must not alias `x`. The
/// projections are double-accumulated; the [tokens, inter] intermediate is
/// stored in fp32.
void mlp(const float *x, const float *gate, const float *up, const float *down,
         int64_t tokens, int64_t hidden, int64_t inter, float *out);

} // namespace dsv2::reference

#endif // DSV2_DIALECT_DSV2_REFERENCE_MLP_H
