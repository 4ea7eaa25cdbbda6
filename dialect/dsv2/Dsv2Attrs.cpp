//===- Dsv2Attrs.cpp - dsv2 attributes ------------------------------------===//

#include "dialect/dsv2/Dsv2Dialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::dsv2;

#include "dialect/dsv2/Dsv2Enums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialect/dsv2/Dsv2Attrs.cpp.inc"

void Dsv2Dialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/dsv2/Dsv2Attrs.cpp.inc"
      >();
}

LogicalResult YarnAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               APFloat factorValue, int64_t originalMaxPosition,
                               APFloat betaFastValue, APFloat betaSlowValue,
                               APFloat mscale, APFloat mscaleAllDim) {
  double factor = factorValue.convertToDouble();
  double betaFast = betaFastValue.convertToDouble();
  double betaSlow = betaSlowValue.convertToDouble();
  if (!(factor >= 1.0))
    return emitError() << "yarn factor " << factor
                       << " must be >= 1 (YaRN only extends the context)";
  if (originalMaxPosition <= 0)
    return emitError() << "yarn original_max_position "
                       << originalMaxPosition << " must be positive";
  if (!(betaFast > betaSlow))
    return emitError() << "yarn beta_fast " << betaFast
                       << " must be greater than beta_slow "
                       << betaSlow;
  if (!(betaSlow > 0.0))
    return emitError() << "yarn beta_slow " << betaSlow
                       << " must be positive";
  // mscale values only enter 0.1 * mscale * ln(factor) + 1, which must stay
  // positive to scale cos/sin and the softmax.
  double logFactor = std::log(factor);
  for (auto [value, name] : {std::pair{mscale.convertToDouble(), "mscale"},
                             std::pair{mscaleAllDim.convertToDouble(),
                                       "mscale_all_dim"}})
    if (!std::isfinite(value) || !(0.1 * value * logFactor + 1.0 > 0.0))
      return emitError() << "yarn " << name << " " << value
                         << " makes the YaRN attention scale non-positive";
  return success();
}

LogicalResult RopeAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                               int64_t dim, APFloat thetaValue, YarnAttr yarn) {
  double theta = thetaValue.convertToDouble();
  if (dim <= 0 || dim % 2 != 0)
    return emitError() << "rope dim " << dim
                       << " must be positive and even (RoPE rotates pairs)";
  if (!(theta > 1.0))
    return emitError() << "rope theta " << theta
                       << " must be greater than 1";
  (void)yarn;
  return success();
}
