//===- SimtReductions.cpp - tile.reduce on a thread block -----------------===//

#include "codegen/gpu/SimtEmitterImpl.h"

namespace mlir::dsv2::gpu::simt {

LogicalResult Emitter::emitReduce(tile::ReduceOp op) {
  Value input = op.getInput();
  Type inputType = input.getType();
  Type element = elementOf(inputType);
  ArrayRef<int64_t> shape = shapeOf(inputType);
  int64_t axis = op.getAxis();
  int64_t length = shape[axis];
  int64_t stride = stridesOf(shape)[axis];
  bool isFloat = isa<FloatType>(element);
  tile::ReduceKind kind = op.getKind();
  if (isFloat && !element.isF32() && !element.isBF16())
    return op.emitOpError() << "reduces " << element
                            << "; the GPU code generator reduces f32 and bf16";
  if (kind != tile::ReduceKind::argmax && length > 1) {
    if (std::optional<SmallVector<Value>> slots = emitWarpReduce(op)) {
      values[op.getResult()] = std::move(*slots);
      return success();
    }
  }
  if (kind != tile::ReduceKind::argmax && length > kSequentialReduceLength) {
    values[op.getResult()] = emitTreeReduce(op);
    return success();
  }

  writeTileToShared(input, 0);
  publishBarrier();

  Type resultType = op.getType();
  SmallVector<Value> slots;
  for (int64_t slot = 0, e = slotCount(resultType); slot < e; ++slot) {
    // Element 0 along the axis of this output element.
    Value base = reductionBase(resultIndex(resultType, slot), shape, axis);
    auto read = [&](Value index) {
      Value loaded = loadShared(element, 0, index);
      return isFloat ? toF32(loaded, element) : loaded;
    };
    // In order along the axis; argmax keeps the first maximum (the first
    // NaN if there is one, as arith.maximumf makes NaN the maximum).
    Value first = read(base);
    SmallVector<Value> inits = {first};
    if (kind == tile::ReduceKind::argmax)
      inits.push_back(i32(0));
    auto loop = scf::ForOp::create(
        b, loc, i32(1), i32(length), i32(1), inits,
        [&](OpBuilder &, Location, Value i, ValueRange acc) {
          Value x = read(add(base, mul(i, i32(stride))));
          SmallVector<Value> next;
          switch (kind) {
          case tile::ReduceKind::sum:
          case tile::ReduceKind::max:
          case tile::ReduceKind::min:
            next.push_back(combineReduced(kind, acc[0], x));
            break;
          case tile::ReduceKind::argmax: {
            Value better;
            if (isFloat) {
              Value greater = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OGT, x, acc[0]);
              Value xNan = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::UNO, x, x);
              Value bestNumber = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::ORD, acc[0], acc[0]);
              better = arith::OrIOp::create(
                  b, loc, greater,
                  arith::AndIOp::create(b, loc, xNan, bestNumber));
            } else {
              better = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                                             x, acc[0]);
            }
            next.push_back(arith::SelectOp::create(b, loc, better, x, acc[0]));
            next.push_back(arith::SelectOp::create(b, loc, better, i, acc[1]));
            break;
          }
          }
          scf::YieldOp::create(b, loc, next);
        });
    Value result = loop.getResult(kind == tile::ReduceKind::argmax ? 1 : 0);
    if (kind != tile::ReduceKind::argmax && element.isBF16())
      result = f32ToBf16(result);
    slots.push_back(result);
  }
  barrier();
  values[op.getResult()] = std::move(slots);
  return success();
}

/// Flat index of element 0 along `axis` of the reduction whose output
/// element is `outFlat` (`kept`: the input shape without the axis).
Value Emitter::reductionBase(Value outFlat, ArrayRef<int64_t> shape,
                             int64_t axis) {
  if (shape.size() == 1)
    return i32(0);
  SmallVector<int64_t> kept(shape);
  kept.erase(kept.begin() + axis);
  SmallVector<Value> coords = coordinates(outFlat, kept);
  coords.insert(coords.begin() + axis, i32(0));
  return flatten(coords, shape);
}

SmallVector<Value> Emitter::emitTreeReduce(tile::ReduceOp op) {
  Value input = op.getInput();
  Type element = elementOf(input.getType());
  ArrayRef<int64_t> shape = shapeOf(input.getType());
  int64_t axis = op.getAxis(), length = shape[axis];
  int64_t stride = stridesOf(shape)[axis];
  int64_t outputs = numElements(input.getType()) / length;
  bool isFloat = isa<FloatType>(element);
  // Partial results in f32 (bf16 is widened once and rounded once).
  Type accumulator = isFloat ? b.getF32Type() : element;
  SmallVector<Value> widened;
  for (int64_t slot = 0, e = slotCount(input.getType()); slot < e; ++slot)
    widened.push_back(isFloat ? toF32(get(input, slot), element)
                              : get(input, slot));
  writeSlotsToShared(widened, numElements(input.getType()), accumulator, 0);
  publishBarrier();

  // Each level folds the upper half of every row onto its lower half (the
  // pairs spread over all threads, neighbours in memory on neighbouring
  // threads), then a barrier: log2(length) levels instead of one thread
  // walking the whole axis.
  for (int64_t live = length; live > 1;) {
    int64_t half = static_cast<int64_t>(llvm::PowerOf2Ceil(live)) / 2;
    int64_t pairs = outputs * half;
    for (int64_t first = 0; first < pairs; first += threads) {
      Value pair = first == 0 ? tid : add(tid, i32(first));
      Value inRange;
      if (first + threads > pairs)
        inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt,
                                        pair, i32(pairs));
      Value output, lane;
      if (stride == 1) {
        output = arith::DivUIOp::create(b, loc, pair, i32(half));
        lane = arith::RemUIOp::create(b, loc, pair, i32(half));
      } else {
        output = arith::RemUIOp::create(b, loc, pair, i32(outputs));
        lane = arith::DivUIOp::create(b, loc, pair, i32(outputs));
      }
      if (2 * half != live)
        inRange = andMaybe(inRange, arith::CmpIOp::create(
                                        b, loc, arith::CmpIPredicate::slt,
                                        lane, i32(live - half)));
      auto fold = [&]() {
        Value lower = add(reductionBase(output, shape, axis),
                          mul(lane, i32(stride)));
        Value upper = add(lower, i32(half * stride));
        Value low = loadShared(accumulator, 0, lower);
        Value high = loadShared(accumulator, 0, upper);
        Value folded = combineReduced(op.getKind(), low, high);
        storeShared(folded, accumulator, 0, lower);
      };
      if (!inRange) {
        fold();
        continue;
      }
      auto guard = scf::IfOp::create(b, loc, inRange, /*withElse=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(guard.thenBlock());
      fold();
    }
    barrier();
    live = half;
  }

  Type resultType = op.getType();
  SmallVector<Value> slots;
  for (int64_t slot = 0, e = slotCount(resultType); slot < e; ++slot) {
    Value outFlat = resultIndex(resultType, slot);
    Value result =
        loadShared(accumulator, 0, reductionBase(outFlat, shape, axis));
    slots.push_back(element.isBF16() ? f32ToBf16(result) : result);
  }
  barrier();
  return slots;
}

Value Emitter::combineReduced(tile::ReduceKind kind, Value x, Value y) {
  bool isFloat = isa<FloatType>(x.getType());
  switch (kind) {
  case tile::ReduceKind::sum:
    return isFloat ? arith::AddFOp::create(b, loc, x, y).getResult()
                   : add(x, y);
  case tile::ReduceKind::max:
    return isFloat ? arith::MaximumFOp::create(b, loc, x, y).getResult()
                   : arith::MaxSIOp::create(b, loc, x, y).getResult();
  default:
    return isFloat ? arith::MinimumFOp::create(b, loc, x, y).getResult()
                   : arith::MinSIOp::create(b, loc, x, y).getResult();
  }
}

std::optional<SmallVector<Value>>
Emitter::emitWarpReduce(tile::ReduceOp op) {
  Value input = op.getInput();
  Type inputType = input.getType(), element = elementOf(inputType);
  ArrayRef<int64_t> shape = shapeOf(inputType);
  int64_t count = numElements(inputType), length = shape.back();
  if (!options.warpShuffles ||
      static_cast<size_t>(op.getAxis()) != shape.size() - 1 ||
      !(element.isF32() || element.isBF16()) || threads % 32 != 0 ||
      !llvm::isPowerOf2_64(length))
    return std::nullopt;
  // Run q of thread t holds elements q*R .. q*R+R-1, q = s*T + t for its
  // slot-run s; a row is G = L/R consecutive runs: on G aligned neighbour
  // lanes (G <= T, one slot-run), or on all T lanes over G/T consecutive
  // slot-runs (G > T).
  int64_t run = runLength(count);
  if (length % run != 0)
    return std::nullopt;
  int64_t groups = length / run;
  int64_t lanesPerRow = std::min(groups, threads);
  int64_t runsPerRow = std::max<int64_t>(1, groups / threads);
  int64_t width = std::min<int64_t>(lanesPerRow, 32);
  int64_t chunksPerRow = std::max<int64_t>(1, lanesPerRow / 32);
  int64_t rows = count / length;
  int64_t slotRuns = slotCount(inputType) / run;
  tile::ReduceKind kind = op.getKind();
  Type f32 = b.getF32Type();

  reserveShared(rows * chunksPerRow * 4);
  Value writer = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::RemUIOp::create(b, loc, tid, i32(width)), i32(0));
  Value warpOfRow =
      arith::DivUIOp::create(b, loc,
                             arith::RemUIOp::create(b, loc, tid,
                                                    i32(lanesPerRow)),
                             i32(32));
  for (int64_t s0 = 0; s0 < slotRuns; s0 += runsPerRow) {
    // This thread's runs of the row, in order.
    Value partial;
    for (int64_t s = s0; s < s0 + runsPerRow; ++s)
      for (int64_t i = 0; i < run; ++i) {
        Value x = toF32(get(input, s * run + i), element);
        partial = partial ? combineReduced(kind, partial, x) : x;
      }
    // The row's lanes within the warp: a butterfly, every lane ends with
    // the fold of its group (lanes past the tile's end fold garbage among
    // themselves: whole rows of nothing, never written).
    for (int64_t offset = width / 2; offset >= 1; offset /= 2) {
      Value other = NVVM::ShflOp::create(
                        b, loc, f32, i32(-1), partial, i32(offset), i32(31),
                        NVVM::ShflKind::bfly, UnitAttr())
                        .getResult();
      partial = combineReduced(kind, partial, other);
    }
    // One partial per warp of the row to shared memory.
    Value row = arith::DivUIOp::create(
        b, loc, add(tid, i32(s0 * threads)), i32(groups));
    Value write = writer;
    if (s0 * threads * run + threads * run > count)
      write = arith::AndIOp::create(
          b, loc, write,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, row,
                                i32(rows)));
    Value chunk = add(mul(row, i32(chunksPerRow)), warpOfRow);
    auto guard = scf::IfOp::create(b, loc, write, /*withElse=*/false);
    {
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(guard.thenBlock());
      storeShared(partial, f32, 0, chunk);
    }
  }
  publishBarrier();

  // Each output element: its row's warp partials, in order.
  Type resultType = op.getType();
  SmallVector<Value> slots;
  for (int64_t slot = 0, e = slotCount(resultType); slot < e; ++slot) {
    Value outFlat = resultIndex(resultType, slot);
    Value first = mul(outFlat, i32(chunksPerRow));
    Value result = loadShared(f32, 0, first);
    for (int64_t w = 1; w < chunksPerRow; ++w)
      result = combineReduced(kind, result,
                              loadShared(f32, 0, add(first, i32(w))));
    slots.push_back(element.isBF16() ? f32ToBf16(result) : result);
  }
  barrier();
  return slots;
}

} // namespace mlir::dsv2::gpu::simt
