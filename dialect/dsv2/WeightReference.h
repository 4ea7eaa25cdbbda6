//===- WeightReference.h - A checkpoint tensor, or a shard of one -*- C++ -*-===//
//
// What a `dsv2.weight` reads: a checkpoint tensor by name, the routed
// experts of a layer stacked along a new leading dimension (a name with
// "{e}"), and, after dsv2-shard, one of `parts` equal slices of every such
// tensor along its rows or columns and a range of experts. The interpreter
// and the engine's weight packer read through the same reference, so they
// agree on every slice. Written as text for launch-plan weight recipes:
//
//   NAME                          the whole tensor
//   NAME@rows=P/N, NAME@cols=P/N  slice P of N along dimension 0 / 1
//   ...experts.{e+F}...           stacked experts, expert k is checkpoint
//                                 expert F + k ("{e}" when F = 0)
//
//===----------------------------------------------------------------------===//

#ifndef DIALECT_DSV2_WEIGHTREFERENCE_H
#define DIALECT_DSV2_WEIGHTREFERENCE_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace mlir::dsv2 {

struct WeightReference {
  /// The checkpoint name; contains "{e}" for stacked experts.
  std::string name;
  /// Stacked experts: checkpoint expert of stack index 0.
  int64_t firstExpert = 0;
  /// Slice of each checkpoint tensor: -1 none, 0 rows, 1 columns.
  int sliceDim = -1;
  int64_t part = 0;
  int64_t parts = 1;

  bool isStacked() const { return llvm::StringRef(name).contains("{e}"); }
  bool isSliced() const { return sliceDim >= 0 && parts > 1; }

  /// The text form (see the file comment).
  std::string str() const;
  static llvm::Expected<WeightReference> parse(llvm::StringRef text);

  /// The checkpoint name of stack index `index` (stacked references only).
  std::string expertName(int64_t index) const;
  /// Stack index `index` as a reference of its own: checkpoint expert
  /// F + index, with the same slice (stacked references only).
  WeightReference expertReference(int64_t index) const;

  /// The checkpoint shape of one tensor whose slice has `sliceShape`.
  llvm::SmallVector<int64_t> fullShape(llvm::ArrayRef<int64_t> sliceShape) const;
};

} // namespace mlir::dsv2

#endif // DIALECT_DSV2_WEIGHTREFERENCE_H
