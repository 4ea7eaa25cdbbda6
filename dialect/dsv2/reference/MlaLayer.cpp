//===- MlaLayer.cpp - Shapes and weights of one MLA layer -----------------===//
//
// Part of dsv2c.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MlaLayer.h"

#include <cmath>

namespace dsv2::reference {

double mlaSoftmaxScale(int64_t qkHeadDim, const RopeParams &ropeParams) {
  double m = ropeParams.yarn
                 ? yarnMscale(ropeParams.factor, ropeParams.mscaleAllDim)
                 : 1.0;
  return m * m / std::sqrt(static_cast<double>(qkHeadDim));
}

} // namespace dsv2::reference
