//===- ContiguityAnalysis.cpp - Contiguous pointer tiles ------------------===//
//
// Part of dsv2c. See ContiguityAnalysis.h.
//
//===----------------------------------------------------------------------===//

#include "dialect/tile/ContiguityAnalysis.h"

#include "dialect/tile/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/IndexingUtils.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::tile;

namespace {

/// The shape of a tile; empty for a scalar.
ArrayRef<int64_t> shapeOf(Value value) {
  if (auto type = dyn_cast<RankedTensorType>(value.getType()))
    return type.getShape();
  return {};
}

/// Checks a dense integer constant along `dim`: every step along it keeps
/// the value (uniform) or adds one (contiguous).
bool constantHas(DenseIntElementsAttr attr, unsigned dim, bool contiguous) {
  if (attr.isSplat())
    return !contiguous;
  auto shape = cast<ShapedType>(attr.getType()).getShape();
  SmallVector<int64_t> strides = computeStrides(shape);
  SmallVector<APInt> values(attr.getValues<APInt>());
  for (int64_t i = 0, e = static_cast<int64_t>(values.size()); i < e; ++i) {
    if (delinearize(i, strides)[dim] == 0)
      continue;
    APInt expected = values[i - strides[dim]];
    if (contiguous)
      expected += 1;
    if (values[i] != expected)
      return false;
  }
  return true;
}

} // namespace

ContiguityAnalysis::ContiguityAnalysis(Operation *root) {
  root->walk([&](Operation *op) {
    Value ptrs;
    if (auto load = dyn_cast<tile::LoadOp>(op))
      ptrs = load.getPtrs();
    else if (auto store = dyn_cast<tile::StoreOp>(op))
      ptrs = store.getPtrs();
    else
      return;
    ArrayRef<int64_t> shape = shapeOf(ptrs);
    if (shape.empty())
      return;
    if (isContiguous(ptrs, shape.size() - 1))
      accesses[op] = AccessPattern::ContiguousRows;
    else if (shape.size() == 2 && isContiguous(ptrs, 0))
      accesses[op] = AccessPattern::ContiguousColumns;
  });
}

bool ContiguityAnalysis::isUniform(Value value, unsigned dim) {
  return has(value, Property::Uniform, dim);
}

bool ContiguityAnalysis::isContiguous(Value value, unsigned dim) {
  return has(value, Property::Contiguous, dim);
}

bool ContiguityAnalysis::has(Value value, Property property, unsigned dim) {
  Key key{value, static_cast<int>(property), dim};
  if (assumed.contains(key))
    return true;
  if (auto it = cache.find(key); it != cache.end())
    return it->second;
  // Results that lean on an assumption are only valid while it holds: they
  // go to a cache that is dropped when the assumption is.
  auto &results = assumed.empty() ? cache : assumingCache;
  if (auto it = results.find(key); it != results.end())
    return it->second;
  bool result = compute(value, property, dim);
  results[key] = result;
  return result;
}

bool ContiguityAnalysis::compute(Value value, Property property, unsigned dim) {
  const bool contiguous = property == Property::Contiguous;
  ArrayRef<int64_t> shape = shapeOf(value);
  // A scalar is uniform (it is splatted when combined with a tile) and has
  // no lanes to be contiguous in; a dimension of one lane is both.
  if (shape.empty())
    return !contiguous;
  if (dim >= shape.size())
    return false;
  if (shape[dim] == 1)
    return true;

  auto uniform = [&](Value v) { return has(v, Property::Uniform, dim); };
  auto contig = [&](Value v) { return has(v, Property::Contiguous, dim); };

  // Loop-carried tiles: the initial value has the property and so does the
  // yielded value, assuming the iter_arg has it.
  auto loopCarried = [&](scf::ForOp loop, unsigned index) {
    Value iterArg = loop.getRegionIterArgs()[index];
    Value init = loop.getInitArgs()[index];
    Value yielded = loop.getBody()->getTerminator()->getOperand(index);
    if (!has(init, property, dim))
      return false;
    Key key{iterArg, static_cast<int>(property), dim};
    bool inserted = assumed.insert(key).second;
    bool result = has(yielded, property, dim);
    if (inserted) {
      assumed.erase(key);
      assumingCache.clear();
    }
    return result;
  };

  if (auto arg = dyn_cast<BlockArgument>(value)) {
    auto loop = dyn_cast<scf::ForOp>(arg.getOwner()->getParentOp());
    if (!loop || arg.getArgNumber() == 0)
      return false;
    return loopCarried(loop, arg.getArgNumber() - 1);
  }

  Operation *def = value.getDefiningOp();
  if (auto loop = dyn_cast<scf::ForOp>(def))
    return loopCarried(loop, cast<OpResult>(value).getResultNumber());

  if (isa<tile::RangeOp>(def))
    return contiguous;
  if (isa<tile::SplatOp>(def))
    return !contiguous;
  if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
    auto attr = dyn_cast<DenseIntElementsAttr>(constant.getValue());
    return attr && constantHas(attr, dim, contiguous);
  }
  if (auto broadcast = dyn_cast<tile::BroadcastOp>(def)) {
    // Input dimensions align with the trailing result dimensions. A new
    // leading dimension or a stretched one repeats the same values.
    ArrayRef<int64_t> inputShape = shapeOf(broadcast.getInput());
    int64_t inputDim = static_cast<int64_t>(dim) -
                       static_cast<int64_t>(shape.size() - inputShape.size());
    if (inputDim < 0 || inputShape[inputDim] == 1)
      return !contiguous;
    return has(broadcast.getInput(), property, inputDim);
  }
  if (auto expand = dyn_cast<tile::ExpandDimsOp>(def)) {
    unsigned axis = expand.getAxis();
    return has(expand.getInput(), property, dim < axis ? dim : dim - 1);
  }
  if (auto addptr = dyn_cast<tile::AddPtrOp>(def)) {
    Value ptr = addptr.getPtr(), offset = addptr.getOffset();
    if (contiguous)
      return (contig(ptr) && uniform(offset)) ||
             (uniform(ptr) && contig(offset));
    return uniform(ptr) && uniform(offset);
  }
  if (auto add = dyn_cast<arith::AddIOp>(def)) {
    Value lhs = add.getLhs(), rhs = add.getRhs();
    if (contiguous)
      return (contig(lhs) && uniform(rhs)) || (uniform(lhs) && contig(rhs));
    return uniform(lhs) && uniform(rhs);
  }
  if (auto sub = dyn_cast<arith::SubIOp>(def)) {
    if (contiguous)
      return contig(sub.getLhs()) && uniform(sub.getRhs());
    return uniform(sub.getLhs()) && uniform(sub.getRhs());
  }
  // Sign extension keeps consecutive values consecutive (offsets that
  // overflowed i32 are already wrong in the kernel).
  if (isa<arith::ExtSIOp, arith::IndexCastOp>(def))
    return has(def->getOperand(0), property, dim);
  // Any other elementwise op of uniform tiles is uniform.
  if (!contiguous && def->getDialect() &&
      isa<arith::ArithDialect>(def->getDialect()) && def->getNumResults() == 1)
    return llvm::all_of(def->getOperands(), uniform);
  return false;
}
