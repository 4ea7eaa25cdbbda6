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

LogicalResult Emitter::emitDot(tile::DotOp op) {
  ArrayRef<int64_t> aShape = shapeOf(op.getA().getType());
  ArrayRef<int64_t> cShape = shapeOf(op.getType());
  int64_t m = aShape[0], k = aShape[1], n = cShape[1];
  Type aElement = elementOf(op.getA().getType());
  Type bElement = elementOf(op.getB().getType());

  // B given as the transpose of an [N, K] tile (a weight loaded in its
  // memory order): staged as those rows, read transposed.
  Value bTile = op.getB();
  bool bTransposed = false;
  if (auto trans = bTile.getDefiningOp<tile::TransOp>()) {
    bTile = trans.getInput();
    bTransposed = true;
  }
  Value bRows = bTile; // what the FMA path stages

  // Tensor cores: bf16 inputs (or, under bf16Activations, f32 activations
  // against a widened bf16 weight, or against an int8 weight converted to
  // f32, which bf16 holds exactly), blocks of 16 x 8 x 16, whole warps.
  Value aTile = op.getA();
  bool roundA = false, roundB = false;
  if (options.bf16Activations && aElement.isF32() && !bElement.isBF16()) {
    if (Value narrow = widenedBf16(bTile)) {
      bTile = narrow;
      roundA = true;
    } else if (isWidenedInt8(bTile)) {
      roundA = roundB = true;
    }
  }
  bool bf16Inputs = (aElement.isBF16() || roundA) &&
                    (roundB || elementOf(bTile.getType()).isBF16());
  if (options.useMma && bf16Inputs && m % 16 == 0 && n % 8 == 0 &&
      k % 16 == 0 && threads % 32 == 0) {
    Type bf16 = b.getBF16Type();
    SmallVector<Value> aSlots;
    for (int64_t slot = 0, e = slotCount(aTile.getType()); slot < e; ++slot) {
      Value a = get(aTile, slot);
      aSlots.push_back(roundA ? f32ToBf16(a) : a);
    }
    int64_t bOffset = static_cast<int64_t>(llvm::alignTo(m * k * 2, 16));
    writeSlotsToShared(aSlots, m * k, bf16, 0);
    if (roundB) {
      SmallVector<Value> bSlots;
      for (int64_t slot = 0, e = slotCount(bTile.getType()); slot < e; ++slot)
        bSlots.push_back(f32ToBf16(get(bTile, slot)));
      writeSlotsToShared(bSlots, k * n, bf16, bOffset);
    } else {
      writeTileToShared(bTile, bOffset);
    }
    values[op.getResult()] = emitMmaDot(op, bOffset, bTransposed);
    return success();
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

SmallVector<Value> Emitter::emitMmaDot(tile::DotOp op, int64_t bOffset,
                                       bool bTransposed) {
  ArrayRef<int64_t> aShape = shapeOf(op.getA().getType());
  int64_t m = aShape[0], k = aShape[1], n = shapeOf(op.getType())[1];
  Type bf16 = b.getBF16Type(), f32 = b.getF32Type(), i32Type = b.getI32Type();
  int64_t cOffset =
      bOffset + static_cast<int64_t>(llvm::alignTo(k * n * 2, 16));
  writeTileToShared(op.getAcc(), cOffset);
  publishBarrier();

  // PTX ISA, mma.m16n8k16 with .bf16 inputs: lane = 4 * group + tig; A
  // registers {a0,a1} hold row group, {a2,a3} row group+8 (columns tig*2,
  // +1 and +8, +9); B registers hold column `group`, rows tig*2, +1 (b0)
  // and +8, +9 (b1); C/D elements c0,c1 row group, c2,c3 row group+8,
  // columns tig*2, +1.
  Value lane = arith::RemUIOp::create(b, loc, tid, i32(32));
  Value warp = arith::DivUIOp::create(b, loc, tid, i32(32));
  Value group = arith::ShRUIOp::create(b, loc, lane, i32(2));
  Value tig = arith::AndIOp::create(b, loc, lane, i32(3));
  int64_t tilesN = n / 8, tiles = (m / 16) * tilesN, warps = threads / 32;
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
    return pairAt(0, add(mul(row, i32(k)), col));
  };
  auto bPair = [&](Value row, Value col) {
    if (bTransposed)
      return pairAt(bOffset, add(mul(col, i32(k)), row));
    auto at = [&](Value r) {
      return loadShared(bf16, bOffset, add(mul(r, i32(n)), col));
    };
    return pack(at(row), at(add(row, i32(1))));
  };
  auto cIndex = [&](Value row, Value col) {
    return add(mul(row, i32(n)), col);
  };
  auto resultType = LLVM::LLVMStructType::getLiteral(b.getContext(),
                                                     {f32, f32, f32, f32});

  // Warp w computes the 16 x 8 blocks w, w + warps, ... of C.
  scf::ForOp::create(
      b, loc, warp, i32(tiles), i32(warps), ValueRange{},
      [&](OpBuilder &, Location, Value t, ValueRange) {
        Value row0 = mul(arith::DivUIOp::create(b, loc, t, i32(tilesN)),
                         i32(16));
        Value col0 = mul(arith::RemUIOp::create(b, loc, t, i32(tilesN)),
                         i32(8));
        Value rowLo = add(row0, group), rowHi = add(rowLo, i32(8));
        Value colC = add(col0, mul(tig, i32(2)));
        Value colC1 = add(colC, i32(1));
        Value colB = add(col0, group);
        SmallVector<Value> c = {loadShared(f32, cOffset, cIndex(rowLo, colC)),
                                loadShared(f32, cOffset, cIndex(rowLo, colC1)),
                                loadShared(f32, cOffset, cIndex(rowHi, colC)),
                                loadShared(f32, cOffset, cIndex(rowHi, colC1))};
        auto steps = scf::ForOp::create(
            b, loc, i32(0), i32(k), i32(16), c,
            [&](OpBuilder &, Location, Value k0, ValueRange acc) {
              Value kk = add(k0, mul(tig, i32(2)));
              Value kk8 = add(kk, i32(8));
              Value a0 = aPair(rowLo, kk), a1 = aPair(rowHi, kk);
              Value a2 = aPair(rowLo, kk8), a3 = aPair(rowHi, kk8);
              if (options.injectBadMmaLayout)
                std::swap(a0, a1);
              Value b0 = bPair(kk, colB), b1 = bPair(kk8, colB);
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
        storeShared(steps.getResult(0), f32, cOffset, cIndex(rowLo, colC));
        storeShared(steps.getResult(1), f32, cOffset, cIndex(rowLo, colC1));
        storeShared(steps.getResult(2), f32, cOffset, cIndex(rowHi, colC));
        storeShared(steps.getResult(3), f32, cOffset, cIndex(rowHi, colC1));
        scf::YieldOp::create(b, loc);
      });
  publishBarrier();

  // Back to the block's layout.
  SmallVector<Value> slots = readSlotsFromShared(op.getType(), f32, cOffset);
  barrier();
  return slots;
}

} // namespace mlir::dsv2::gpu::simt
