//===- Dsv2Types.cpp - dsv2 types -----------------------------------------===//

#include "dialect/dsv2/Dsv2Dialect.h"

#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::dsv2;

#define GET_TYPEDEF_CLASSES
#include "dialect/dsv2/Dsv2OpsTypes.cpp.inc"

void Dsv2Dialect::registerTypes() {
  addTypes<
#define GET_TYPEDEF_LIST
#include "dialect/dsv2/Dsv2OpsTypes.cpp.inc"
      >();
}

/// KV caches are stored as fp32 (oracle), bf16 or f16.
static bool isCacheElementType(Type type) {
  return type.isF32() || type.isBF16() || type.isF16();
}

LogicalResult KvCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                                  int64_t layers, int64_t heads, int64_t keyDim,
                                  int64_t valueDim, Type elementType) {
  if (layers <= 0 || heads <= 0 || keyDim <= 0 || valueDim <= 0)
    return emitError() << "kv_cache dimensions must be positive, got layers = "
                       << layers << ", heads = " << heads << ", key_dim = "
                       << keyDim << ", value_dim = " << valueDim;
  if (!isCacheElementType(elementType))
    return emitError() << "kv_cache element_type must be f32, bf16 or f16, got "
                       << elementType;
  return success();
}

LogicalResult
LatentKvCacheType::verify(function_ref<InFlightDiagnostic()> emitError,
                          int64_t layers, int64_t latentDim, int64_t ropeDim,
                          Type elementType) {
  if (layers <= 0 || latentDim <= 0 || ropeDim <= 0)
    return emitError()
           << "latent_kv_cache dimensions must be positive, got layers = "
           << layers << ", latent_dim = " << latentDim
           << ", rope_dim = " << ropeDim;
  if (!isCacheElementType(elementType))
    return emitError()
           << "latent_kv_cache element_type must be f32, bf16 or f16, got "
           << elementType;
  return success();
}
