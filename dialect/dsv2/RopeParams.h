//===- RopeParams.h - #dsv2.rope as reference parameters --------*- C++ -*-===//
//
// The reference interpreter and kernel formation both turn an op's rope
// attribute (theta, dim, optional YaRN) into the plain-C++ parameters of
// dialect/dsv2/reference/Rope.h; this is the one conversion.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_ROPEPARAMS_H
#define DIALECT_DSV2_ROPEPARAMS_H

#include "dialect/dsv2/Dsv2Ops.h"
#include "dialect/dsv2/reference/Rope.h"

namespace mlir::dsv2 {

inline ::dsv2::reference::RopeParams ropeParamsOf(RopeAttr rope) {
  ::dsv2::reference::RopeParams params;
  params.dim = rope.getDim();
  params.theta = rope.getTheta().convertToDouble();
  if (YarnAttr yarn = rope.getYarn()) {
    params.yarn = true;
    params.factor = yarn.getFactor().convertToDouble();
    params.originalMaxPosition = yarn.getOriginalMaxPosition();
    params.betaFast = yarn.getBetaFast().convertToDouble();
    params.betaSlow = yarn.getBetaSlow().convertToDouble();
    params.mscale = yarn.getMscale().convertToDouble();
    params.mscaleAllDim = yarn.getMscaleAllDim().convertToDouble();
  }
  return params;
}

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_ROPEPARAMS_H
