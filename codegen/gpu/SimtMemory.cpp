//===- SimtMemory.cpp - Pointers, loads, stores, layouts ------------------===//

#include "codegen/gpu/SimtEmitterImpl.h"

namespace mlir::dsv2::gpu::simt {

//===----------------------------------------------------------------------===//
// Tile ops
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitBroadcast(tile::BroadcastOp op) {
  Type type = op.getType();
  ArrayRef<int64_t> to = shapeOf(type);
  Value input = op.getInput();
  if (!isTile(input.getType())) {
    values[op.getResult()] = {get(input, 0)};
    return success();
  }
  ArrayRef<int64_t> from = shapeOf(input.getType());
  int64_t count = numElements(type);
  SmallVector<Value> sources;
  for (int64_t slot = 0, e = slotCount(type); slot < e; ++slot) {
    SmallVector<Value> coords = coordinates(flatIndex(slot, count), to);
    SmallVector<Value> source(coords.end() - from.size(), coords.end());
    for (size_t i = 0; i < from.size(); ++i)
      if (from[i] == 1)
        source[i] = i32(0);
    Value index = flatten(source, from);
    // Slots past the end read element 0 (never an out-of-bounds address).
    if (Value valid = slotValid(slot, count))
      index = arith::SelectOp::create(b, loc, valid, index, i32(0));
    sources.push_back(index);
  }
  // Loaded data with runs along rows: a run reads one element (the row is
  // stretched) or a contiguous run of the input, one shared access.
  int64_t run = runLength(count);
  Type element = elementOf(input.getType());
  bool stretched = from.back() == 1, sameRows = from.back() == to.back();
  if (!recomputable(input) && run > 1 && to.back() % run == 0 &&
      (stretched || (sameRows && sharedRun(count, element, 0) == run))) {
    writeTileToShared(input, 0);
    publishBarrier();
    SmallVector<Value> slots;
    for (int64_t slot = 0, e = sources.size(); slot < e; slot += run) {
      if (stretched)
        slots.append(run, loadShared(element, 0, sources[slot]));
      else
        llvm::append_range(slots, loadSharedRun(element, 0, sources[slot], run));
    }
    barrier();
    values[op.getResult()] = std::move(slots);
    return success();
  }
  values[op.getResult()] = gather(input, sources);
  return success();
}

/// Whether `value` is only ever the B operand of dots: emitDot then stages
/// its transpose's input as B's [N, K] rows itself.
static bool onlyTransposedDotOperand(Value value) {
  return llvm::all_of(value.getUsers(), [&](Operation *user) {
    auto dot = dyn_cast<tile::DotOp>(user);
    return dot && dot.getB() == value && dot.getA() != value &&
           dot.getAcc() != value;
  });
}

LogicalResult Emitter::emitTrans(tile::TransOp op) {
  if (onlyTransposedDotOperand(op.getResult()))
    return success();
  // Anything else: the input through shared memory, each thread reading
  // its elements at their transposed position.
  Value input = op.getInput();
  Type type = op.getType(), element = elementOf(type);
  int64_t rows = shapeOf(type)[0], columns = shapeOf(type)[1];
  writeTileToShared(input, 0);
  publishBarrier();
  SmallVector<Value> slots;
  for (int64_t slot = 0, e = slotCount(type); slot < e; ++slot) {
    Value flat = resultIndex(type, slot);
    Value row = arith::DivUIOp::create(b, loc, flat, i32(columns));
    Value column = arith::RemUIOp::create(b, loc, flat, i32(columns));
    slots.push_back(loadShared(element, 0, add(mul(column, i32(rows)), row)));
  }
  barrier();
  values[op.getResult()] = std::move(slots);
  return success();
}

LogicalResult Emitter::emitAddPtr(tile::AddPtrOp op) {
  Type type = op.getType();
  Type pointee = cast<tile::PtrType>(elementOf(type)).getPointee();
  SmallVector<Value> slots;
  for (int64_t slot = 0, e = slotCount(type); slot < e; ++slot) {
    Value base = get(op.getPtr(), slot);
    Value offset = get(op.getOffset(), slot);
    slots.push_back(LLVM::GEPOp::create(b, loc, base.getType(),
                                        storageType(pointee), base,
                                        ValueRange{offset}));
  }
  values[op.getResult()] = std::move(slots);
  return success();
}

int64_t Emitter::accessRun(Operation *memoryOp, Type tileType) {
  if (!options.vectorAccesses || !isTile(tileType))
    return 1;
  if (!runnable(storageType(elementOf(tileType))))
    return 1;
  int64_t run = runLength(numElements(tileType));
  if (run == 1 || shapeOf(tileType).back() % run != 0 ||
      contiguity->getAccessPattern(memoryOp) !=
          tile::AccessPattern::ContiguousRows)
    return 1;
  return run;
}

Value Emitter::runAccessible(Value ptrs, Value mask, Type tileType,
                             int64_t first, int64_t run) {
  int64_t runBytes = run * storageBytes(elementOf(tileType));
  Value accessible;
  if (!options.injectUncheckedAlignment) {
    Value address =
        LLVM::PtrToIntOp::create(b, loc, b.getI64Type(), get(ptrs, first));
    Value low = arith::AndIOp::create(
        b, loc, address,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(runBytes - 1)));
    accessible = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, low,
        arith::ConstantOp::create(b, loc, b.getI64IntegerAttr(0)));
  }
  if (mask)
    for (int64_t slot = first; slot < first + run; ++slot)
      accessible = andMaybe(accessible, get(mask, slot));
  if (!accessible)
    accessible = arith::ConstantOp::create(b, loc, b.getBoolAttr(true));
  return accessible;
}

SmallVector<Value> Emitter::loadSlots(tile::LoadOp op, int64_t first,
                                      int64_t last) {
  Type type = op.getType();
  Type storage = storageType(elementOf(type));
  int64_t count = numElements(type);
  SmallVector<Value> slots;
  for (int64_t slot = first; slot < last; ++slot) {
    Value ptr = get(op.getPtrs(), slot);
    Value condition = isTile(type) ? slotValid(slot, count) : Value();
    if (op.getMask())
      condition = andMaybe(condition, get(op.getMask(), slot));
    if (!condition) {
      slots.push_back(LLVM::LoadOp::create(b, loc, storage, ptr));
      continue;
    }
    Value other = op.getOther()
                      ? get(op.getOther(), slot)
                      : arith::ConstantOp::create(b, loc, b.getZeroAttr(storage))
                            .getResult();
    auto guarded = scf::IfOp::create(
        b, loc, condition,
        [&](OpBuilder &nested, Location l) {
          Value loaded = LLVM::LoadOp::create(nested, l, storage, ptr);
          scf::YieldOp::create(nested, l, loaded);
        },
        [&](OpBuilder &nested, Location l) {
          scf::YieldOp::create(nested, l, other);
        });
    slots.push_back(guarded.getResult(0));
  }
  return slots;
}

LogicalResult Emitter::emitLoad(tile::LoadOp op) {
  Type type = op.getType();
  beforeGlobalLoad();
  int64_t run = accessRun(op, type), slots = slotCount(type);
  if (run == 1) {
    values[op.getResult()] = loadSlots(op, 0, slots);
    return success();
  }
  // Each run one wide load (ld.global.v2/.v4, or a packed b32/b64) when
  // its address is aligned and its elements enabled; otherwise its scalar
  // loads. Decided per run: a masked tail or a misaligned row leaves the
  // other runs wide.
  Type storage = storageType(elementOf(type));
  SmallVector<Value> loaded;
  for (int64_t first = 0; first < slots; first += run) {
    Value accessible =
        runAccessible(op.getPtrs(), op.getMask(), type, first, run);
    auto branch = scf::IfOp::create(b, loc, SmallVector<Type>(run, storage),
                                    accessible, /*addThenBlock=*/true,
                                    /*addElseBlock=*/true);
    OpBuilder::InsertionGuard guard(b);
    dropTerminator(branch.thenBlock());
    dropTerminator(branch.elseBlock());
    b.setInsertionPointToStart(branch.thenBlock());
    scf::YieldOp::create(b, loc, loadRun(get(op.getPtrs(), first), storage, run));
    b.setInsertionPointToStart(branch.elseBlock());
    scf::YieldOp::create(b, loc, loadSlots(op, first, first + run));
    llvm::append_range(loaded, branch.getResults());
  }
  values[op.getResult()] = std::move(loaded);
  return success();
}

void Emitter::storeSlots(tile::StoreOp op, int64_t first, int64_t last) {
  Type type = op.getValue().getType();
  int64_t count = numElements(type);
  for (int64_t slot = first; slot < last; ++slot) {
    Value ptr = get(op.getPtrs(), slot);
    Value value = get(op.getValue(), slot);
    Value condition = isTile(type) ? slotValid(slot, count) : Value();
    if (op.getMask())
      condition = andMaybe(condition, get(op.getMask(), slot));
    if (!condition) {
      LLVM::StoreOp::create(b, loc, value, ptr);
      continue;
    }
    auto guard = scf::IfOp::create(b, loc, condition, /*withElse=*/false);
    OpBuilder::InsertionGuard g(b);
    b.setInsertionPointToStart(guard.thenBlock());
    LLVM::StoreOp::create(b, loc, value, ptr);
  }
}

LogicalResult Emitter::emitStore(tile::StoreOp op) {
  Type type = op.getValue().getType();
  beforeGlobalStore();
  int64_t run = accessRun(op, type), slots = slotCount(type);
  if (run == 1) {
    storeSlots(op, 0, slots);
    return success();
  }
  Type storage = storageType(elementOf(type));
  for (int64_t first = 0; first < slots; first += run) {
    Value accessible =
        runAccessible(op.getPtrs(), op.getMask(), type, first, run);
    auto branch = scf::IfOp::create(b, loc, accessible, /*withElse=*/true);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(branch.thenBlock());
    SmallVector<Value> elements;
    for (int64_t i = 0; i < run; ++i)
      elements.push_back(get(op.getValue(), first + i));
    storeRun(elements, get(op.getPtrs(), first), storage);
    b.setInsertionPointToStart(branch.elseBlock());
    storeSlots(op, first, first + run);
  }
  return success();
}

} // namespace mlir::dsv2::gpu::simt
