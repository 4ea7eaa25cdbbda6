//===- TileAttrs.cpp - tile attributes ------------------------------------===//
//
// The launch grid of a kernel: three extents as affine functions of named
// runtime sizes.
//
//===----------------------------------------------------------------------===//

#include "dialect/tile/TileDialect.h"

#include "mlir/IR/AffineExpr.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::tile;

#include "dialect/tile/TileEnums.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dialect/tile/TileAttrs.cpp.inc"

void TileDialect::registerAttributes() {
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dialect/tile/TileAttrs.cpp.inc"
      >();
}

/// Grid symbols name runtime sizes: lower-case identifiers.
static bool isSizeName(StringRef name) {
  if (name.empty() || !(llvm::isLower(name.front()) || name.front() == '_'))
    return false;
  return llvm::all_of(name, [](char c) {
    return llvm::isLower(c) || llvm::isDigit(c) || c == '_';
  });
}

LogicalResult KernelAttr::verify(function_ref<InFlightDiagnostic()> emitError,
                                 AffineMap grid, ArrayAttr gridSymbols,
                                 int64_t numWarps,
                                 DenseI64ArrayAttr block) {
  if (grid.getNumDims() != 0)
    return emitError() << "kernel grid takes runtime sizes as symbols (s0, s1, "
                          "...), not dimensions; it has "
                       << grid.getNumDims() << " dimension(s)";
  if (grid.getNumResults() != 3)
    return emitError() << "kernel grid must give 3 extents (x, y, z), got "
                       << grid.getNumResults();
  if (grid.getNumSymbols() != gridSymbols.size())
    return emitError() << "kernel grid has " << grid.getNumSymbols()
                       << " symbol(s) but grid_symbols names "
                       << gridSymbols.size() << " runtime size(s)";
  llvm::StringSet<> seen;
  for (auto [index, symbol] : llvm::enumerate(gridSymbols)) {
    auto name = dyn_cast<StringAttr>(symbol);
    if (!name || !isSizeName(name.getValue()))
      return emitError() << "grid_symbols entry #" << index << " (s" << index
                         << ") must name a runtime size as a lower-case "
                            "identifier such as \"tokens\", got "
                         << symbol;
    if (!seen.insert(name.getValue()).second)
      return emitError() << "grid symbol \"" << name.getValue()
                         << "\" is named twice";
  }
  static const char *const axisNames[] = {"x", "y", "z"};
  for (auto [index, extent] : llvm::enumerate(grid.getResults()))
    if (auto constant = dyn_cast<AffineConstantExpr>(extent))
      if (constant.getValue() < 1)
        return emitError() << "kernel grid extent " << axisNames[index]
                           << " is the constant " << constant.getValue()
                           << "; every axis needs at least one program";
  if (numWarps < 1 || numWarps > 32 ||
      !llvm::isPowerOf2_64(static_cast<uint64_t>(numWarps)))
    return emitError() << "num_warps " << numWarps
                       << " must be a power of two from 1 to 32";
  if (block)
    for (int64_t size : block.asArrayRef())
      if (size < 1)
        return emitError() << "block hint size " << size
                           << " must be positive";
  return success();
}
