//===- SimtDots.cpp - tile.dot on FMAs or tensor cores --------------------===//

#include "codegen/gpu/SimtEmitterImpl.h"

namespace mlir::dsv2::gpu::simt {

bool Emitter::isWidenedInt8(Value value) {
  auto convert = dyn_cast_or_null<arith::SIToFPOp>(value.getDefiningOp());
  return convert && elementOf(convert.getIn().getType()).isInteger(8);
}

Value Emitter::widenedBf16(Value value) {
  Operation *def = value.getDefiningOp();
  if (auto trunc = dyn_cast_or_null<arith::TruncFOp>(def))
    def = trunc.getIn().getDefiningOp();
  auto ext = dyn_cast_or_null<arith::ExtFOp>(def);
  if (ext && elementOf(ext.getIn().getType()).isBF16() &&
      !elementOf(value.getType()).isBF16())
    return ext.getIn();
  return {};
}

std::optional<Emitter::MmaOperands> Emitter::mmaOperands(tile::DotOp op) {
  ArrayRef<int64_t> aShape = shapeOf(op.getA().getType());
  int64_t m = aShape[0], k = aShape[1], n = shapeOf(op.getType())[1];
  Type aElement = elementOf(op.getA().getType());
  Type bElement = elementOf(op.getB().getType());
  if (!options.useMma || m % 16 != 0 || n % 8 != 0 || k % 16 != 0 ||
      threads % 32 != 0)
    return std::nullopt;

  // B given as the transpose of an [N, K] tile (a weight loaded in its
  // memory order): staged as those rows, read transposed.
  MmaOperands operands;
  operands.a = op.getA();
  operands.b = op.getB();
  if (auto trans = operands.b.getDefiningOp<tile::TransOp>()) {
    operands.b = trans.getInput();
    operands.bTransposed = true;
  }
  // bf16 inputs (or, under bf16Activations, f32 activations against a
  // widened bf16 weight, or against an int8 weight converted to f32, which
  // bf16 holds exactly).
  if (options.bf16Activations && aElement.isF32() && !bElement.isBF16()) {
    if (Value narrow = widenedBf16(operands.b)) {
      operands.b = narrow;
      operands.roundA = true;
    } else if (isWidenedInt8(operands.b)) {
      operands.roundA = operands.roundB = true;
    }
  }
  bool bf16Inputs = (aElement.isBF16() || operands.roundA) &&
                    (operands.roundB ||
                     elementOf(operands.b.getType()).isBF16());
  if (!bf16Inputs)
    return std::nullopt;
  return operands;
}

LogicalResult Emitter::emitDot(tile::DotOp op) {
  ArrayRef<int64_t> aShape = shapeOf(op.getA().getType());
  ArrayRef<int64_t> cShape = shapeOf(op.getType());
  int64_t m = aShape[0], k = aShape[1], n = cShape[1];
  Type aElement = elementOf(op.getA().getType());
  Type bElement = elementOf(op.getB().getType());

  // Tensor cores: blocks of 16 x 8 x 16, whole warps.
  if (std::optional<MmaOperands> mma = mmaOperands(op)) {
    SmallVector<Value> aSlots;
    for (int64_t slot = 0, e = slotCount(mma->a.getType()); slot < e; ++slot) {
      Value a = get(mma->a, slot);
      aSlots.push_back(mma->roundA ? f32ToBf16(a) : a);
    }
    int64_t bOffset =
        static_cast<int64_t>(llvm::alignTo(m * mmaPitch(k) * 2, 16));
    writeSlotsToShared(aSlots, m * k, b.getBF16Type(), 0, k, mmaPitch(k));
    // B's rows: [N, K] when transposed, else [K, N].
    int64_t bCols = shapeOf(mma->b.getType()).back();
    int64_t bPitch = mmaBPitch(bCols, mma->bTransposed);
    if (mma->roundB) {
      SmallVector<Value> bSlots;
      for (int64_t slot = 0, e = slotCount(mma->b.getType()); slot < e;
           ++slot)
        bSlots.push_back(f32ToBf16(get(mma->b, slot)));
      writeSlotsToShared(bSlots, k * n, b.getBF16Type(), bOffset, bCols,
                         bPitch);
    } else {
      writeTileToShared(mma->b, bOffset, bPitch);
    }
    values[op.getResult()] = emitMmaDot(op, bOffset, mma->bTransposed);
    return success();
  }

  // FMAs: B staged as given, or as the rows of its transpose.
  Value bRows = op.getB();
  bool bTransposed = false;
  if (auto trans = bRows.getDefiningOp<tile::TransOp>()) {
    bRows = trans.getInput();
    bTransposed = true;
  }
  int64_t bOffset = static_cast<int64_t>(
      llvm::alignTo(m * k * storageBytes(aElement), 16));
  writeTileToShared(op.getA(), 0);
  writeTileToShared(bRows, bOffset);
  publishBarrier();

  // Each thread its elements of C, accumulating in f32 in K order with one
  // rounding per step (fma): the CPU code's numerics.
  int64_t count = m * n;
  SmallVector<Value> slots;
  // A run is `run` neighbours in one row of C: each K step reads its A
  // element once and its B elements with one shared access (a run of one
  // where B's rows do not divide into runs; one access per element where
  // B is staged transposed).
  int64_t run = runLength(count);
  if (n % run != 0 ||
      (!bTransposed && sharedRun(count, bElement, bOffset) != run))
    run = 1;
  for (int64_t slot = 0, e = slotCount(op.getType()); slot < e; slot += run) {
    Value index = resultIndex(op.getType(), slot);
    Value row = arith::DivUIOp::create(b, loc, index, i32(n));
    Value column = arith::RemUIOp::create(b, loc, index, i32(n));
    Value aRow = mul(row, i32(k));
    SmallVector<Value> inits;
    for (int64_t i = 0; i < run; ++i)
      inits.push_back(get(op.getAcc(), slot + i));
    auto loop = scf::ForOp::create(
        b, loc, i32(0), i32(k), i32(1), inits,
        [&](OpBuilder &, Location, Value kk, ValueRange acc) {
          Value av = toF32(loadShared(aElement, 0, add(aRow, kk)), aElement);
          SmallVector<Value> bv;
          if (bTransposed) {
            for (int64_t i = 0; i < run; ++i)
              bv.push_back(loadShared(
                  bElement, bOffset,
                  add(mul(add(column, i32(i)), i32(k)), kk)));
          } else {
            bv = loadSharedRun(bElement, bOffset, add(mul(kk, i32(n)), column),
                               run);
          }
          SmallVector<Value> sums;
          for (int64_t i = 0; i < run; ++i)
            sums.push_back(math::FmaOp::create(b, loc, av,
                                               toF32(bv[i], bElement), acc[i]));
          scf::YieldOp::create(b, loc, sums);
        });
    llvm::append_range(slots, loop.getResults());
  }
  barrier();
  values[op.getResult()] = std::move(slots);
  return success();
}

Emitter::MmaLane Emitter::mmaLane() {
  Value lane = arith::RemUIOp::create(b, loc, tid, i32(32));
  return {arith::DivUIOp::create(b, loc, tid, i32(32)),
          arith::ShRUIOp::create(b, loc, lane, i32(2)),
          arith::AndIOp::create(b, loc, lane, i32(3))};
}

Emitter::MmaBlock Emitter::mmaBlock(const MmaLane &lane, Value blockIndex,
                                    int64_t n) {
  int64_t blocksN = n / 8;
  Value row0 =
      mul(arith::DivUIOp::create(b, loc, blockIndex, i32(blocksN)), i32(16));
  Value col0 =
      mul(arith::RemUIOp::create(b, loc, blockIndex, i32(blocksN)), i32(8));
  MmaBlock block;
  block.rowLo = add(row0, lane.group);
  block.rowHi = add(block.rowLo, i32(8));
  block.colC = add(col0, mul(lane.tig, i32(2)));
  block.colC1 = add(block.colC, i32(1));
  block.colB = add(col0, lane.group);
  return block;
}

SmallVector<Value> Emitter::emitMmaDot(tile::DotOp op, int64_t bOffset,
                                       bool bTransposed) {
  ArrayRef<int64_t> aShape = shapeOf(op.getA().getType());
  int64_t m = aShape[0], k = aShape[1], n = shapeOf(op.getType())[1];
  Type bf16 = b.getBF16Type(), f32 = b.getF32Type(), i32Type = b.getI32Type();
  bool inFragments = fragmentDots.contains(op);
  // A as [M, K] rows, B as [N, K] (bTransposed) or [K, N] rows, as
  // emitDot staged them (mmaPitch, mmaBPitch).
  int64_t aPitch = mmaPitch(k);
  int64_t bPitch = mmaBPitch(bTransposed ? k : n, bTransposed);
  int64_t bRows = bTransposed ? n : k;
  int64_t cOffset =
      bOffset + static_cast<int64_t>(llvm::alignTo(bRows * bPitch * 2, 16));
  if (!inFragments)
    writeTileToShared(op.getAcc(), cOffset);
  publishBarrier();

  // PTX ISA, mma.m16n8k16 with .bf16 inputs: lane = 4 * group + tig; A
  // registers {a0,a1} hold row group, {a2,a3} row group+8 (columns tig*2,
  // +1 and +8, +9); B registers hold column `group`, rows tig*2, +1 (b0)
  // and +8, +9 (b1); C/D elements c0,c1 row group, c2,c3 row group+8,
  // columns tig*2, +1.
  MmaLane lane = mmaLane();
  int64_t blocks = (m / 16) * (n / 8), warps = threads / 32;
  auto pack = [&](Value lo, Value hi) {
    Value low = arith::ExtUIOp::create(b, loc, i32Type, lo);
    Value high = arith::ExtUIOp::create(b, loc, i32Type, hi);
    high = arith::ShLIOp::create(b, loc, high, i32(16));
    return arith::OrIOp::create(b, loc, low, high).getResult();
  };
  // A register holds two bf16 neighbours along K: one 32-bit shared read
  // where they are neighbours in memory (A's rows; B staged as [N, K]).
  auto pairAt = [&](int64_t byteOffset, Value index) {
    return LLVM::LoadOp::create(b, loc, i32Type,
                                sharedAddress(byteOffset, bf16, index))
        .getResult();
  };
  auto aPair = [&](Value row, Value col) {
    return pairAt(0, add(mul(row, i32(aPitch)), col));
  };
  auto bPair = [&](Value row, Value col) {
    if (bTransposed)
      return pairAt(bOffset, add(mul(col, i32(bPitch)), row));
    auto at = [&](Value r) {
      return loadShared(bf16, bOffset, add(mul(r, i32(bPitch)), col));
    };
    return pack(at(row), at(add(row, i32(1))));
  };
  auto cIndex = [&](Value row, Value col) {
    return add(mul(row, i32(n)), col);
  };
  auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                     {f32, f32, f32, f32});
  // One 16 x 8 block of C over the whole K: {c0, c1, c2, c3} in and out.
  auto blockProduct = [&](const MmaBlock &block, ValueRange c) {
    auto steps = scf::ForOp::create(
        b, loc, i32(0), i32(k), i32(16), c,
        [&](OpBuilder &, Location, Value k0, ValueRange acc) {
          Value kk = add(k0, mul(lane.tig, i32(2)));
          Value kk8 = add(kk, i32(8));
          Value a0 = aPair(block.rowLo, kk), a1 = aPair(block.rowHi, kk);
          Value a2 = aPair(block.rowLo, kk8), a3 = aPair(block.rowHi, kk8);
          if (options.injectBadMmaLayout)
            std::swap(a0, a1);
          Value b0 = bPair(kk, block.colB), b1 = bPair(kk8, block.colB);
          SmallVector<Value> args = {a0, a1, a2, a3, b0, b1};
          llvm::append_range(args, acc);
          Value d = LLVM::CallIntrinsicOp::create(
                        b, loc, resultType, b.getStringAttr(kMmaIntrinsic),
                        args)
                        .getResult(0);
          SmallVector<Value> next;
          for (int64_t i = 0; i < 4; ++i)
            next.push_back(LLVM::ExtractValueOp::create(b, loc, d, i));
          scf::YieldOp::create(b, loc, next);
        });
    return SmallVector<Value>(steps.getResults());
  };

  if (inFragments) {
    // C stays in registers: this lane's blocks one after another.
    SmallVector<Value> fragments;
    for (int64_t j = 0; j < blocks / warps; ++j) {
      SmallVector<Value> c;
      for (int64_t i = 0; i < 4; ++i)
        c.push_back(get(op.getAcc(), 4 * j + i));
      MmaBlock block = mmaBlock(lane, add(lane.warp, i32(j * warps)), n);
      llvm::append_range(fragments, blockProduct(block, c));
    }
    barrier(); // A and B were read: the next writes may come
    return fragments;
  }

  // Warp w computes the 16 x 8 blocks w, w + warps, ... of C.
  scf::ForOp::create(
      b, loc, lane.warp, i32(blocks), i32(warps), ValueRange{},
      [&](OpBuilder &, Location, Value t, ValueRange) {
        MmaBlock block = mmaBlock(lane, t, n);
        SmallVector<Value> c = {
            loadShared(f32, cOffset, cIndex(block.rowLo, block.colC)),
            loadShared(f32, cOffset, cIndex(block.rowLo, block.colC1)),
            loadShared(f32, cOffset, cIndex(block.rowHi, block.colC)),
            loadShared(f32, cOffset, cIndex(block.rowHi, block.colC1))};
        SmallVector<Value> d = blockProduct(block, c);
        storeShared(d[0], f32, cOffset, cIndex(block.rowLo, block.colC));
        storeShared(d[1], f32, cOffset, cIndex(block.rowLo, block.colC1));
        storeShared(d[2], f32, cOffset, cIndex(block.rowHi, block.colC));
        storeShared(d[3], f32, cOffset, cIndex(block.rowHi, block.colC1));
        scf::YieldOp::create(b, loc);
      });
  publishBarrier();

  // Back to the block's layout.
  SmallVector<Value> slots = readSlotsFromShared(op.getType(), f32, cOffset);
  barrier();
  return slots;
}

Emitter::FragmentChain Emitter::fragmentChain(scf::ForOp loop,
                                              unsigned index) {
  FragmentChain found;
  Value value = loop.getRegionIterArgs()[index];
  while (true) {
    if (!value.hasOneUse())
      return {};
    Operation *user = *value.getUsers().begin();
    if (user->getBlock() != loop.getBody())
      return {};
    if (auto dot = dyn_cast<tile::DotOp>(user)) {
      if (dot.getAcc() != value)
        return {};
      found.dot = dot;
      break;
    }
    if (!isElementwise(user) || user->getNumResults() != 1 ||
        user->getResult(0).getType() != value.getType())
      return {};
    found.chain.push_back(user);
    value = user->getResult(0);
  }
  tile::DotOp dot = found.dot;
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  if (!dot.getResult().hasOneUse() ||
      yield.getOperand(index) != dot.getResult() || !mmaOperands(dot))
    return {};
  ArrayRef<int64_t> shape = shapeOf(dot.getType());
  int64_t blocks = (shape[0] / 16) * (shape[1] / 8), warps = threads / 32;
  // Every warp the same number of blocks: 4 * blocks / warps fragments per
  // lane, as many as the block layout's slots (the loop's flat values keep
  // their count).
  if (blocks % warps != 0 || 4 * blocks / warps != slotCount(dot.getType()))
    return {};
  return found;
}

void Emitter::skipBroadcastsOnlyFor(Operation *chained) {
  for (Value operand : chained->getOperands()) {
    while (!fragmentValues.contains(operand)) {
      Operation *def = operand.getDefiningOp();
      if (!isa_and_nonnull<tile::BroadcastOp, tile::ExpandDimsOp>(def) ||
          def->getBlock() != chained->getBlock() ||
          !llvm::all_of(def->getUsers(), [&](Operation *user) {
            return fragmentOps.contains(user) || skippedOps.contains(user);
          }))
        break;
      skippedOps.insert(def);
      operand = def->getOperand(0);
    }
  }
}

SmallVector<Value> Emitter::fragmentIndices(int64_t m, int64_t n) {
  MmaLane lane = mmaLane();
  int64_t warps = threads / 32, blocks = (m / 16) * (n / 8);
  SmallVector<Value> flats;
  for (int64_t j = 0; j < blocks / warps; ++j) {
    MmaBlock block = mmaBlock(lane, add(lane.warp, i32(j * warps)), n);
    for (Value row : {block.rowLo, block.rowHi})
      for (Value col : {block.colC, block.colC1})
        flats.push_back(add(mul(row, i32(n)), col));
  }
  return flats;
}

SmallVector<Value> Emitter::gatherThroughBroadcasts(Value value,
                                                    ArrayRef<Value> flats) {
  if (auto expand = value.getDefiningOp<tile::ExpandDimsOp>())
    return gatherThroughBroadcasts(expand.getInput(), flats); // same order
  auto broadcast = value.getDefiningOp<tile::BroadcastOp>();
  if (!broadcast || !isTile(broadcast.getInput().getType()))
    return gather(value, flats);
  ArrayRef<int64_t> to = shapeOf(value.getType());
  ArrayRef<int64_t> from = shapeOf(broadcast.getInput().getType());
  SmallVector<Value> sources;
  for (Value flat : flats) {
    SmallVector<Value> coords = coordinates(flat, to);
    SmallVector<Value> source(coords.end() - from.size(), coords.end());
    for (size_t i = 0; i < from.size(); ++i)
      if (from[i] == 1)
        source[i] = i32(0);
    sources.push_back(flatten(source, from));
  }
  return gatherThroughBroadcasts(broadcast.getInput(), sources);
}

LogicalResult Emitter::emitFragmentElementwise(Operation *op) {
  ArrayRef<int64_t> shape = shapeOf(op->getResult(0).getType());
  SmallVector<Value> flats = fragmentIndices(shape[0], shape[1]);
  // Per operand, its value at each fragment's element.
  SmallVector<SmallVector<Value>> operands;
  for (Value operand : op->getOperands()) {
    if (fragmentValues.contains(operand)) {
      operands.push_back(values[operand]);
      continue;
    }
    if (!isTile(operand.getType())) {
      operands.push_back(SmallVector<Value>(flats.size(), get(operand, 0)));
      continue;
    }
    operands.push_back(gatherThroughBroadcasts(operand, flats));
  }
  SmallVector<Value> slots;
  for (size_t slot = 0; slot < flats.size(); ++slot) {
    SmallVector<Value> scalars;
    for (const SmallVector<Value> &operand : operands)
      scalars.push_back(operand[slot]);
    auto scalar = emitScalarOp(op, scalars);
    if (failed(scalar))
      return failure();
    slots.push_back((*scalar)[0]);
  }
  values[op->getResult(0)] = std::move(slots);
  return success();
}

SmallVector<Value> Emitter::toFragments(Value value, int64_t m, int64_t n) {
  int64_t count = 4 * ((m / 16) * (n / 8)) / (threads / 32);
  auto found = values.find(value);
  if (found != values.end() && found->second.size() == 1)
    return SmallVector<Value>(count, found->second[0]); // uniform (a splat)
  int64_t cOffset = 0;
  writeTileToShared(value, cOffset);
  publishBarrier();
  Type f32 = b.getF32Type();
  SmallVector<Value> fragments;
  // c0, c1 (and c2, c3) are neighbours in a row at an even column: one
  // 8-byte access each.
  SmallVector<Value> flats = fragmentIndices(m, n);
  for (size_t i = 0; i < flats.size(); i += 2)
    llvm::append_range(
        fragments, loadRun(sharedAddress(cOffset, f32, flats[i]), f32, 2));
  barrier();
  return fragments;
}

SmallVector<Value> Emitter::fromFragments(ArrayRef<Value> fragments,
                                          Type type) {
  int64_t n = shapeOf(type)[1], cOffset = 0;
  Type f32 = b.getF32Type();
  reserveShared(cOffset + numElements(type) * 4);
  SmallVector<Value> flats = fragmentIndices(shapeOf(type)[0], n);
  for (size_t i = 0; i < flats.size(); i += 2)
    storeRun(fragments.slice(i, 2), sharedAddress(cOffset, f32, flats[i]),
             f32);
  publishBarrier();
  SmallVector<Value> slots = readSlotsFromShared(type, f32, cOffset);
  barrier();
  return slots;
}

} // namespace mlir::dsv2::gpu::simt
