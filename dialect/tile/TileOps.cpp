//===- TileOps.cpp - tile op verifiers and assembly -----------------------===//
//
// Verifiers name the operand that is wrong, what the op expected and why, in
// the terms of a kernel author (lanes, pointees, M/N/K, the fp32
// accumulator).
//
//===----------------------------------------------------------------------===//

#include "dialect/tile/TileOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace mlir::tile;

#define GET_OP_CLASSES
#include "dialect/tile/TileOps.cpp.inc"

namespace {

std::string formatShape(ArrayRef<int64_t> shape) {
  std::string text = "[";
  for (auto [i, dim] : llvm::enumerate(shape)) {
    if (i)
      text += ", ";
    text += std::to_string(dim);
  }
  return text + "]";
}

/// The shape of a tile, or the empty shape of a scalar.
ArrayRef<int64_t> shapeOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getShape();
  return {};
}

/// `element` in the shape of `like`: a tile when `like` is a tile, else the
/// scalar itself.
Type withShapeOf(Type like, Type element) {
  if (auto tensor = dyn_cast<RankedTensorType>(like))
    return RankedTensorType::get(tensor.getShape(), element);
  return element;
}

/// The pointer type of a scalar pointer or of a pointer tile's lanes.
PtrType pointerOf(Type ptrLike) {
  return cast<PtrType>(getElementTypeOrSelf(ptrLike));
}

/// The i1 mask type that goes with a pointer (tile).
Type maskTypeFor(Type ptrLike) {
  return withShapeOf(ptrLike, IntegerType::get(ptrLike.getContext(), 1));
}

/// Checks an optional mask against the pointer (tile) it guards.
LogicalResult verifyMask(Operation *op, Value ptrs, Value mask) {
  if (!mask)
    return success();
  Type expected = maskTypeFor(ptrs.getType());
  if (mask.getType() == expected)
    return success();
  if (isa<RankedTensorType>(ptrs.getType()))
    return op->emitOpError()
           << "mask " << mask.getType()
           << " must be i1 of the pointer tile's shape "
           << formatShape(shapeOf(ptrs.getType())) << ", i.e. " << expected;
  return op->emitOpError() << "mask " << mask.getType()
                           << " must be a scalar i1 for a scalar pointer";
}

/// Parses `%operand` after `keyword` when the keyword is present.
ParseResult
parseOptionalKeywordOperand(OpAsmParser &parser, StringRef keyword,
                            std::optional<OpAsmParser::UnresolvedOperand> &to) {
  if (failed(parser.parseOptionalKeyword(keyword)))
    return success();
  OpAsmParser::UnresolvedOperand operand;
  if (parser.parseOperand(operand))
    return failure();
  to = operand;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// ProgramIdOp, NumProgramsOp
//===----------------------------------------------------------------------===//

static LogicalResult verifyInsideKernel(Operation *op) {
  if (getEnclosingKernel(op))
    return success();
  return op->emitOpError()
         << "asks for the launch grid, so it must be inside a kernel: the "
            "enclosing func.func needs a '"
         << TileDialect::getKernelAttrName() << "' attribute";
}

LogicalResult ProgramIdOp::verify() { return verifyInsideKernel(*this); }

LogicalResult NumProgramsOp::verify() { return verifyInsideKernel(*this); }

//===----------------------------------------------------------------------===//
// RangeOp, SplatOp, BroadcastOp, ExpandDimsOp, TransOp
//===----------------------------------------------------------------------===//

LogicalResult RangeOp::verify() {
  int64_t start = getStart(), end = getEnd();
  if (end <= start)
    return emitOpError() << "range <" << start << ", " << end
                         << "> is empty; end must be greater than start";
  auto type = cast<RankedTensorType>(getResult().getType());
  if (type.getRank() != 1)
    return emitOpError() << "result must be a 1-D tile, got " << type;
  if (type.getDimSize(0) != end - start)
    return emitOpError() << "range <" << start << ", " << end << "> has "
                         << end - start << " lanes but the result tile has "
                         << type.getDimSize(0);
  return success();
}

LogicalResult SplatOp::verify() {
  auto type = cast<RankedTensorType>(getResult().getType());
  if (type.getElementType() != getInput().getType())
    return emitOpError() << "splat of " << getInput().getType()
                         << " must produce a tile of "
                         << getInput().getType() << ", got " << type;
  return success();
}

LogicalResult BroadcastOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (input.getElementType() != result.getElementType())
    return emitOpError() << "broadcast keeps the element type, but "
                         << input.getElementType() << " became "
                         << result.getElementType();
  if (input.getRank() > result.getRank())
    return emitOpError() << "cannot broadcast rank " << input.getRank()
                         << " tile " << formatShape(input.getShape())
                         << " to the lower rank " << result.getRank()
                         << " shape " << formatShape(result.getShape());
  int64_t lead = result.getRank() - input.getRank();
  for (auto [index, size] : llvm::enumerate(input.getShape())) {
    int64_t target = result.getDimSize(lead + index);
    if (size != target && size != 1)
      return emitOpError()
             << "cannot broadcast " << formatShape(input.getShape()) << " to "
             << formatShape(result.getShape()) << ": dimension " << index
             << " has size " << size
             << ", and only size-1 dimensions can stretch to " << target;
  }
  return success();
}

LogicalResult ExpandDimsOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  uint32_t axis = getAxis();
  if (axis > input.getRank())
    return emitOpError() << "axis " << axis << " is out of range for a rank "
                         << input.getRank() << " tile (0 .. "
                         << input.getRank() << ")";
  SmallVector<int64_t> expected(input.getShape());
  expected.insert(expected.begin() + axis, 1);
  auto expectedType = RankedTensorType::get(expected, input.getElementType());
  if (result != expectedType)
    return emitOpError() << "inserting a unit dimension at axis " << axis
                         << " of " << input << " gives " << expectedType
                         << ", but the result is " << result;
  return success();
}

LogicalResult TransOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  auto result = cast<RankedTensorType>(getResult().getType());
  if (input.getRank() != 2)
    return emitOpError() << "input must be a 2-D tile, got " << input;
  auto expected = RankedTensorType::get(
      {input.getDimSize(1), input.getDimSize(0)}, input.getElementType());
  if (result != expected)
    return emitOpError() << "the transpose of " << input << " is " << expected
                         << ", but the result is " << result;
  return success();
}

//===----------------------------------------------------------------------===//
// AddPtrOp
//===----------------------------------------------------------------------===//

LogicalResult AddPtrOp::verify() {
  Type ptrType = getPtr().getType(), offsetType = getOffset().getType();
  bool ptrTile = isa<RankedTensorType>(ptrType);
  bool offsetTile = isa<RankedTensorType>(offsetType);
  if (ptrTile && !offsetTile)
    return emitOpError() << "a pointer tile " << ptrType
                         << " needs one offset per lane; splat the scalar "
                            "offset to its shape "
                         << formatShape(shapeOf(ptrType));
  if (ptrTile && shapeOf(ptrType) != shapeOf(offsetType))
    return emitOpError() << "offsets " << formatShape(shapeOf(offsetType))
                         << " do not match the pointer tile's shape "
                         << formatShape(shapeOf(ptrType));
  Type expected = withShapeOf(offsetType, pointerOf(ptrType));
  if (getResult().getType() != expected)
    return emitOpError() << "advancing " << ptrType << " by " << offsetType
                         << " gives " << expected << ", but the result is "
                         << getResult().getType();
  return success();
}

//===----------------------------------------------------------------------===//
// LoadOp
//===----------------------------------------------------------------------===//

LogicalResult LoadOp::verify() {
  Type ptrType = getPtrs().getType();
  Type expected = withShapeOf(ptrType, pointerOf(ptrType).getPointee());
  if (getResult().getType() != expected)
    return emitOpError() << "loading through " << ptrType << " gives "
                         << expected << ", but the result is "
                         << getResult().getType();
  if (failed(verifyMask(*this, getPtrs(), getMask())))
    return failure();
  if (getOther() && !getMask())
    return emitOpError() << "'other' fills the masked-off lanes, so it needs "
                            "a mask";
  if (getOther() && getOther().getType() != expected)
    return emitOpError() << "other " << getOther().getType()
                         << " must have the loaded type " << expected;
  return success();
}

// tile.load %ptrs [mask %m] [other %o] attr-dict : ptr-type -> result-type
ParseResult LoadOp::parse(OpAsmParser &parser, OperationState &result) {
  OpAsmParser::UnresolvedOperand ptrs;
  std::optional<OpAsmParser::UnresolvedOperand> mask, other;
  Type ptrType, resultType;
  if (parser.parseOperand(ptrs) ||
      parseOptionalKeywordOperand(parser, "mask", mask) ||
      parseOptionalKeywordOperand(parser, "other", other) ||
      parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseColonType(ptrType) || parser.parseArrow() ||
      parser.parseType(resultType))
    return failure();
  if (!isa<PtrType>(getElementTypeOrSelf(ptrType)))
    return parser.emitError(parser.getNameLoc())
           << "tile.load reads through a !tile.ptr or a tile of them, got "
           << ptrType;
  if (parser.resolveOperand(ptrs, ptrType, result.operands) ||
      (mask && parser.resolveOperand(*mask, maskTypeFor(ptrType),
                                     result.operands)) ||
      (other && parser.resolveOperand(*other, resultType, result.operands)))
    return failure();
  result.getOrAddProperties<Properties>().operandSegmentSizes = {
      1, mask ? 1 : 0, other ? 1 : 0};
  result.addTypes(resultType);
  return success();
}

void LoadOp::print(OpAsmPrinter &printer) {
  printer << ' ' << getPtrs();
  if (getMask())
    printer << " mask " << getMask();
  if (getOther())
    printer << " other " << getOther();
  printer.printOptionalAttrDict((*this)->getAttrs(),
                                {getOperandSegmentSizesAttrName()});
  printer << " : " << getPtrs().getType() << " -> " << getResult().getType();
}

//===----------------------------------------------------------------------===//
// StoreOp
//===----------------------------------------------------------------------===//

LogicalResult StoreOp::verify() {
  Type ptrType = getPtrs().getType();
  Type expected = withShapeOf(ptrType, pointerOf(ptrType).getPointee());
  if (getValue().getType() != expected)
    return emitOpError() << "storing through " << ptrType << " needs a value "
                         << expected << ", got " << getValue().getType();
  return verifyMask(*this, getPtrs(), getMask());
}

// tile.store %ptrs, %value [mask %m] attr-dict : ptr-type, value-type
ParseResult StoreOp::parse(OpAsmParser &parser, OperationState &result) {
  OpAsmParser::UnresolvedOperand ptrs, value;
  std::optional<OpAsmParser::UnresolvedOperand> mask;
  Type ptrType, valueType;
  if (parser.parseOperand(ptrs) || parser.parseComma() ||
      parser.parseOperand(value) ||
      parseOptionalKeywordOperand(parser, "mask", mask) ||
      parser.parseOptionalAttrDict(result.attributes) ||
      parser.parseColonType(ptrType) || parser.parseComma() ||
      parser.parseType(valueType))
    return failure();
  if (!isa<PtrType>(getElementTypeOrSelf(ptrType)))
    return parser.emitError(parser.getNameLoc())
           << "tile.store writes through a !tile.ptr or a tile of them, got "
           << ptrType;
  if (parser.resolveOperand(ptrs, ptrType, result.operands) ||
      parser.resolveOperand(value, valueType, result.operands) ||
      (mask && parser.resolveOperand(*mask, maskTypeFor(ptrType),
                                     result.operands)))
    return failure();
  return success();
}

void StoreOp::print(OpAsmPrinter &printer) {
  printer << ' ' << getPtrs() << ", " << getValue();
  if (getMask())
    printer << " mask " << getMask();
  printer.printOptionalAttrDict((*this)->getAttrs());
  printer << " : " << getPtrs().getType() << ", " << getValue().getType();
}

//===----------------------------------------------------------------------===//
// DotOp
//===----------------------------------------------------------------------===//

LogicalResult DotOp::verify() {
  auto a = cast<RankedTensorType>(getA().getType());
  auto b = cast<RankedTensorType>(getB().getType());
  auto acc = cast<RankedTensorType>(getAcc().getType());
  for (auto [name, type, dims] :
       {std::tuple{"a", a, "M x K"}, std::tuple{"b", b, "K x N"},
        std::tuple{"acc", acc, "M x N"}})
    if (type.getRank() != 2)
      return emitOpError() << name << " must be a 2-D tile (" << dims
                           << "), got " << type;
  Type inputElement = a.getElementType();
  if (inputElement != b.getElementType())
    return emitOpError() << "a and b must have the same element type, got "
                         << inputElement << " and " << b.getElementType();
  if (!inputElement.isBF16() && !inputElement.isF16() && !inputElement.isF32())
    return emitOpError() << "a and b must be bf16, f16 or f32 tiles, got "
                         << inputElement;
  if (!acc.getElementType().isF32())
    return emitOpError() << "tile.dot accumulates in f32, but acc is " << acc
                         << "; keep the accumulator in f32 and truncate the "
                            "final result";
  if (getResult().getType() != acc)
    return emitOpError() << "result " << getResult().getType()
                         << " must have the accumulator's type " << acc;
  int64_t m = a.getDimSize(0), k = a.getDimSize(1);
  int64_t kb = b.getDimSize(0), n = b.getDimSize(1);
  if (k != kb)
    return emitOpError() << "a is " << m << "x" << k << " (K = " << k
                         << ") but b is " << kb << "x" << n << " (K = " << kb
                         << "); the inner dimensions must agree";
  if (acc.getDimSize(0) != m || acc.getDimSize(1) != n)
    return emitOpError() << "acc is " << acc.getDimSize(0) << "x"
                         << acc.getDimSize(1) << " but a x b is " << m << "x"
                         << n << " (M x N)";
  return success();
}

//===----------------------------------------------------------------------===//
// PairDotOp
//===----------------------------------------------------------------------===//

LogicalResult PairDotOp::verify() {
  auto x = cast<RankedTensorType>(getX().getType());
  auto w = cast<RankedTensorType>(getW().getType());
  auto acc = cast<RankedTensorType>(getAcc().getType());
  if (acc.getRank() < 1)
    return emitOpError() << "acc must be a tile of rank 1 or more, got "
                         << acc;
  if (x != acc)
    return emitOpError() << "x " << x << " must have the accumulator's type "
                         << acc << " (one i32 pair of int16 per lane)";
  if (getResult().getType() != acc)
    return emitOpError() << "result " << getResult().getType()
                         << " must have the accumulator's type " << acc;
  // w is acc's shape with the pair axis (2) before the last.
  SmallVector<int64_t> expected(acc.getShape());
  expected.insert(expected.end() - 1, 2);
  if (w.getShape() != ArrayRef<int64_t>(expected)) {
    std::string text;
    llvm::raw_string_ostream os(text);
    llvm::interleave(expected, os, "x");
    return emitOpError() << "w is " << w << " but must be " << text
                         << "xi8: the accumulator's shape with the pair axis "
                            "(2) before the last";
  }
  return success();
}

//===----------------------------------------------------------------------===//
// ReduceOp
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::verify() {
  auto input = cast<RankedTensorType>(getInput().getType());
  Type element = input.getElementType();
  if (!element.isIntOrFloat())
    return emitOpError() << "reduces integer or float tiles, got " << input;
  uint32_t axis = getAxis();
  if (axis >= input.getRank())
    return emitOpError() << "axis " << axis << " is out of range for a rank "
                         << input.getRank() << " tile";
  SmallVector<int64_t> shape(input.getShape());
  shape.erase(shape.begin() + axis);
  bool argmax = getKind() == ReduceKind::argmax;
  Type resultElement =
      argmax ? IntegerType::get(getContext(), 32) : element;
  Type expected = shape.empty()
                      ? resultElement
                      : Type(RankedTensorType::get(shape, resultElement));
  if (getResult().getType() == expected)
    return success();
  InFlightDiagnostic diag = emitOpError();
  diag << stringifyReduceKind(getKind()) << " of " << input << " along axis "
       << axis << " gives " << expected;
  if (argmax)
    diag << " (i32 positions)";
  return diag << ", but the result is " << getResult().getType();
}
