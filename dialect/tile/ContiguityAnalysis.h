//===- ContiguityAnalysis.h - Contiguous pointer tiles ----------*- C++ -*-===//
//
// Part of dsv2c. Finds the tile.load / tile.store ops whose pointer tile
// addresses consecutive elements along a dimension, so the CPU lowering can
// use one vector load or store per row (or per column) instead of a gather
// or scatter, and the GPU emitter one vector access per thread's run of
// elements.
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_TILE_CONTIGUITYANALYSIS_H
#define DIALECT_TILE_CONTIGUITYANALYSIS_H

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

#include <tuple>

namespace mlir::tile {

/// How a pointer tile's lanes lie in memory.
enum class AccessPattern {
  /// Anything: one pointer per lane (a gather or a scatter).
  Scattered,
  /// Lane j of every row (last dimension) addresses element j after lane 0.
  ContiguousRows,
  /// A 2-D tile whose columns are contiguous: lane i of column j addresses
  /// element i after lane (0, j) (the K x N tile of W^T for a [N, K]
  /// weight).
  ContiguousColumns,
};

/// Dataflow over the tile IR of a kernel (run it before the conversion). Two
/// properties of an integer or pointer tile along a dimension d:
///
///  - uniform: moving along d does not change the value (splats, broadcasts
///    that stretch or add d, elementwise integer ops of uniform tiles);
///  - contiguous: moving one lane along d adds one (`tile.range`,
///    contiguous + uniform, broadcasts and `expand_dims` that keep d,
///    `arith.extsi`, `tile.addptr` of a contiguous and a uniform operand).
///
/// A dimension of size 1 has both. `scf.for` iter_args have a property when
/// their initial value has it and the yielded value has it assuming the
/// iter_arg does (pointer tiles advanced by a splat step).
class ContiguityAnalysis {
public:
  /// Analyzes every tile.load and tile.store under `root`.
  explicit ContiguityAnalysis(Operation *root);

  /// How `memoryOp` (a tile.load or tile.store) reaches memory.
  AccessPattern getAccessPattern(Operation *memoryOp) const {
    auto it = accesses.find(memoryOp);
    return it == accesses.end() ? AccessPattern::Scattered : it->second;
  }

  /// The properties themselves, for tests and other analyses.
  bool isUniform(Value value, unsigned dim);
  bool isContiguous(Value value, unsigned dim);

private:
  enum class Property { Uniform, Contiguous };
  using Key = std::tuple<Value, int, unsigned>;
  bool has(Value value, Property property, unsigned dim);
  bool compute(Value value, Property property, unsigned dim);

  llvm::DenseMap<Operation *, AccessPattern> accesses;
  /// Results computed without an active iter_arg assumption.
  llvm::DenseMap<Key, bool> cache;
  /// Results computed while some iter_arg is assumed.
  llvm::DenseMap<Key, bool> assumingCache;
  /// iter_args assumed to have a property while their loop is analyzed.
  llvm::DenseSet<Key> assumed;
};

} // namespace mlir::tile

#endif // DIALECT_TILE_CONTIGUITYANALYSIS_H
