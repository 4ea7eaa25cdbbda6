//===- SimtEmitterImpl.h - SIMT emitter state and primitives ----*- C++ -*-===//
//
// Private to codegen/gpu. The Emitter turns one tile program into one CUDA
// thread block (the layout is described in SimtEmitter.cpp). Its members
// are defined by concern: SimtEmitter.cpp (values, elementwise ops,
// control flow, the op dispatch), SimtMemory.cpp (pointers, loads, stores,
// broadcasts, transposes), SimtReductions.cpp (tile.reduce: loops, trees,
// warp shuffles) and SimtDots.cpp (tile.dot on FMAs or mma.sync).
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_GPU_SIMTEMITTERIMPL_H
#define CODEGEN_GPU_SIMTEMITTERIMPL_H

#include "codegen/gpu/SimtEmitter.h"
#include "dialect/tile/ContiguityAnalysis.h"
#include "dialect/tile/TileDialect.h"
#include "dialect/tile/TileOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/MathExtras.h"

#include <optional>

namespace mlir::dsv2::gpu::simt {

inline bool isTile(Type type) { return isa<RankedTensorType>(type); }

inline int64_t numElements(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getNumElements();
  return 1;
}

inline ArrayRef<int64_t> shapeOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getShape();
  return {};
}

inline Type elementOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getElementType();
  return type;
}

inline SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

inline bool isElementwise(Operation *op) {
  if (isa<tile::SiluOp>(op))
    return true;
  if (isa<arith::ConstantOp>(op))
    return false;
  return isa_and_nonnull<arith::ArithDialect, math::MathDialect>(
      op->getDialect());
}

/// Empties a block created with a default terminator.
inline void dropTerminator(Block *block) {
  if (!block->empty() && block->back().hasTrait<OpTrait::IsTerminator>())
    block->back().erase();
}

/// Reductions along at most this many elements are one thread's loop per
/// output element; longer ones a tree (a barrier per level).
inline constexpr int64_t kSequentialReduceLength = 8;


class Emitter {
public:
  Emitter(func::FuncOp kernel, const SimtOptions &options)
      : kernel(kernel), options(options), b(kernel.getContext()),
        loc(kernel.getLoc()) {}

  FailureOr<SimtKernelInfo> run();

private:
  // Types: bf16 lives as its i16 bit pattern (exact conversions in integer
  // arithmetic, bit-identical to the runtime's and to the CPU code), tile
  // pointers as generic LLVM pointers.
  Type storageType(Type element) {
    if (isa<tile::PtrType>(element))
      return LLVM::LLVMPointerType::get(b.getContext());
    if (element.isBF16())
      return b.getI16Type();
    return element;
  }
  int64_t storageBytes(Type element) {
    Type storage = storageType(element);
    if (isa<LLVM::LLVMPointerType>(storage))
      return 8;
    return std::max<int64_t>(1, storage.getIntOrFloatBitWidth() / 8);
  }

  int64_t slotCount(Type type) {
    return isTile(type) ? llvm::divideCeil(numElements(type), threads) : 1;
  }
  /// Consecutive elements a thread holds in a tile of `count` elements: 4
  /// or 2 when the tile divides into that many per thread (then every slot
  /// is valid), else 1. A function of the element count only, so tiles
  /// combined slot by slot (elementwise ops, expand_dims, loop-carried
  /// values) always agree.
  int64_t runLength(int64_t count) {
    for (int64_t run : {4, 2})
      if (count % (threads * run) == 0)
        return run;
    return 1;
  }

  // Constants and small arithmetic.
  Value i32(int64_t value) {
    return arith::ConstantOp::create(b, loc, b.getI32IntegerAttr(value));
  }
  Value add(Value x, Value y) { return arith::AddIOp::create(b, loc, x, y); }
  Value mul(Value x, Value y) { return arith::MulIOp::create(b, loc, x, y); }

  /// Flat index of slot `slot` of this thread in a tile of `count`
  /// elements: runs of R = runLength(count) elements, run j of thread t at
  /// (j * T + t) * R (R = 1: elements t, t + T, ...). A warp's accesses
  /// stay contiguous; each thread's run is one vector access.
  Value flatIndex(int64_t slot, int64_t count) {
    int64_t run = runLength(count);
    if (run == 1)
      return slot == 0 ? tid : add(tid, i32(slot * threads));
    Value start = mul(tid, i32(run));
    int64_t offset = (slot / run) * threads * run + slot % run;
    return offset == 0 ? start : add(start, i32(offset));
  }
  /// Flat index of slot `slot` of a result of `type` (0 for a scalar, and
  /// for a slot past the tile's end: never an out-of-bounds address).
  Value resultIndex(Type type, int64_t slot) {
    if (!isTile(type))
      return i32(0);
    int64_t count = numElements(type);
    Value index = flatIndex(slot, count);
    if (Value valid = slotValid(slot, count))
      index = arith::SelectOp::create(b, loc, valid, index, i32(0));
    return index;
  }
  /// Whether slot `slot` holds an element of an N-element tile; null when
  /// it always does.
  Value slotValid(int64_t slot, int64_t count) {
    if ((slot + 1) * threads <= count || runLength(count) > 1)
      return {};
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, tid,
                                 i32(count - slot * threads));
  }
  Value andMaybe(Value x, Value y) {
    if (!x)
      return y;
    if (!y)
      return x;
    return arith::AndIOp::create(b, loc, x, y);
  }
  SmallVector<Value> coordinates(Value flat, ArrayRef<int64_t> shape) {
    SmallVector<Value> coords;
    SmallVector<int64_t> strides = stridesOf(shape);
    for (size_t i = 0; i < shape.size(); ++i) {
      Value c = arith::DivUIOp::create(b, loc, flat, i32(strides[i]));
      if (i > 0)
        c = arith::RemUIOp::create(b, loc, c, i32(shape[i]));
      coords.push_back(c);
    }
    return coords;
  }
  Value flatten(ArrayRef<Value> coords, ArrayRef<int64_t> shape) {
    SmallVector<int64_t> strides = stridesOf(shape);
    Value flat = i32(0);
    for (size_t i = 0; i < shape.size(); ++i)
      flat = add(flat, mul(coords[i], i32(strides[i])));
    return flat;
  }

  // bf16 <-> f32 on bit patterns (runtime/io/Bf16.h's rounding).
  Value bf16ToF32(Value bits) {
    Value wide = arith::ExtUIOp::create(b, loc, b.getI32Type(), bits);
    Value shifted = arith::ShLIOp::create(b, loc, wide, i32(16));
    return arith::BitcastOp::create(b, loc, b.getF32Type(), shifted);
  }
  Value f32ToBf16(Value value) {
    Value bits = arith::BitcastOp::create(b, loc, b.getI32Type(), value);
    Value high = arith::ShRUIOp::create(b, loc, bits, i32(16));
    Value lsb = arith::AndIOp::create(b, loc, high, i32(1));
    Value bias = add(i32(0x7fff), lsb);
    Value rounded = arith::ShRUIOp::create(b, loc, add(bits, bias), i32(16));
    Value quiet = arith::OrIOp::create(b, loc, high, i32(0x40));
    Value magnitude = arith::AndIOp::create(b, loc, bits, i32(0x7fffffff));
    Value isNan = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                        magnitude, i32(0x7f800000));
    Value result = arith::SelectOp::create(b, loc, isNan, quiet, rounded);
    return arith::TruncIOp::create(b, loc, b.getI16Type(), result);
  }
  /// A stored element as f32 (dot and reduce operands).
  Value toF32(Value value, Type element) {
    if (element.isBF16())
      return bf16ToF32(value);
    if (element.isF32())
      return value;
    return arith::ExtFOp::create(b, loc, b.getF32Type(), value);
  }

  // Values: one scalar per slot (scalars: one, the same in every thread).
  Value get(Value value, int64_t slot) {
    auto found = values.find(value);
    if (found == values.end() || found->second.empty()) {
      value.print(llvm::errs());
      llvm::report_fatal_error("dsv2 GPU code generator: a value used before "
                               "it was lowered");
    }
    auto &slots = found->second;
    return slots.size() == 1 ? slots[0] : slots[slot];
  }
  /// Every slot of every value (a uniform value repeated): the operands of
  /// loop-carried and yielded values, whose slot counts must match.
  SmallVector<Value> flat(ValueRange range) {
    SmallVector<Value> result;
    for (Value value : range)
      for (int64_t slot = 0, e = slotCount(value.getType()); slot < e; ++slot)
        result.push_back(get(value, slot));
    return result;
  }
  void unflatten(ValueRange originals, ValueRange lowered) {
    size_t next = 0;
    for (Value original : originals) {
      int64_t count = slotCount(original.getType());
      values[original] = SmallVector<Value>(lowered.slice(next, count));
      next += count;
    }
  }
  SmallVector<Type> flatTypes(TypeRange types) {
    SmallVector<Type> result;
    for (Type type : types)
      result.append(slotCount(type), storageType(elementOf(type)));
    return result;
  }

  // Shared memory and barriers.
  Value sharedAddress(int64_t byteOffset, Type element, Value index) {
    auto ptr = LLVM::LLVMPointerType::get(b.getContext());
    Value base = sharedBase;
    if (byteOffset)
      base = LLVM::GEPOp::create(b, loc, ptr, b.getI8Type(), base,
                                 ArrayRef<LLVM::GEPArg>{
                                     static_cast<int32_t>(byteOffset)});
    Type storage = element.isInteger(1) ? b.getI8Type() : storageType(element);
    return LLVM::GEPOp::create(b, loc, ptr, storage, base, ValueRange{index});
  }
  void storeShared(Value value, Type element, int64_t byteOffset, Value index) {
    if (element.isInteger(1))
      value = arith::ExtUIOp::create(b, loc, b.getI8Type(), value);
    LLVM::StoreOp::create(b, loc, value,
                          sharedAddress(byteOffset, element, index));
  }
  Value loadShared(Type element, int64_t byteOffset, Value index) {
    Type storage = element.isInteger(1) ? b.getI8Type() : storageType(element);
    Value loaded = LLVM::LoadOp::create(
        b, loc, storage, sharedAddress(byteOffset, element, index));
    if (element.isInteger(1))
      loaded = arith::TruncIOp::create(b, loc, b.getI1Type(), loaded);
    return loaded;
  }
  void reserveShared(int64_t bytes) {
    sharedBytes = std::max<int64_t>(sharedBytes, llvm::alignTo(bytes, 16));
  }
  /// Every thread stores its elements of `tile` at byteOffset (row-major;
  /// rows `pitch` elements apart when given).
  void writeTileToShared(Value tileValue, int64_t byteOffset,
                         int64_t pitch = 0) {
    Type type = tileValue.getType();
    SmallVector<Value> slots;
    for (int64_t slot = 0, e = slotCount(type); slot < e; ++slot)
      slots.push_back(get(tileValue, slot));
    int64_t cols = pitch ? shapeOf(type).back() : 0;
    writeSlotsToShared(slots, numElements(type), elementOf(type), byteOffset,
                       cols, pitch);
  }
  /// The run length of shared-memory vector accesses to a tile of `count`
  /// `element`s at byteOffset (runs are aligned there); 1: scalar.
  int64_t sharedRun(int64_t count, Type element, int64_t byteOffset) {
    Type storage = storageType(element);
    int64_t run = runLength(count);
    if (!options.vectorAccesses || !runnable(storage) ||
        byteOffset % (run * storageBytes(element)))
      return 1;
    return run;
  }
  /// Whether runs of `storage` elements can be one access of at most 16
  /// bytes: 32-bit scalars and narrower integers (bf16 bits, int8), packed
  /// in one integer.
  bool runnable(Type storage) {
    if (!storage.isIntOrFloat() || storage.isInteger(1))
      return false;
    unsigned bits = storage.getIntOrFloatBitWidth();
    return bits == 32 || (bits < 32 && storage.isInteger());
  }
  /// One access of `run` elements at `address` (aligned to the run), as
  /// one integer of the run's bits (up to i128, ld.global.v2.b64): LLVM
  /// turns a vector load whose lanes are only extracted back into scalar
  /// loads (VectorCombine), which an integer load never is.
  SmallVector<Value> loadRun(Value address, Type storage, int64_t run) {
    int64_t bits = storage.getIntOrFloatBitWidth();
    Type packedType = b.getIntegerType(run * bits);
    Type laneType = b.getIntegerType(bits);
    Value packed =
        LLVM::LoadOp::create(b, loc, packedType, address, run * bits / 8);
    SmallVector<Value> elements;
    for (int64_t i = 0; i < run; ++i) {
      Value shifted = packed;
      if (i > 0)
        shifted = arith::ShRUIOp::create(
            b, loc, packed,
            arith::ConstantOp::create(b, loc,
                                      b.getIntegerAttr(packedType, i * bits)));
      Value lane = arith::TruncIOp::create(b, loc, laneType, shifted);
      elements.push_back(storage == laneType
                             ? lane
                             : arith::BitcastOp::create(b, loc, storage, lane)
                                   .getResult());
    }
    return elements;
  }
  void storeRun(ArrayRef<Value> elements, Value address, Type storage) {
    int64_t run = elements.size(), bits = storage.getIntOrFloatBitWidth();
    Type packedType = b.getIntegerType(run * bits);
    Type laneType = b.getIntegerType(bits);
    Value packed;
    for (int64_t i = 0; i < run; ++i) {
      Value lane = elements[i];
      if (storage != laneType)
        lane = arith::BitcastOp::create(b, loc, laneType, lane);
      Value wide = arith::ExtUIOp::create(b, loc, packedType, lane);
      if (i > 0)
        wide = arith::ShLIOp::create(
            b, loc, wide,
            arith::ConstantOp::create(b, loc,
                                      b.getIntegerAttr(packedType, i * bits)));
      packed = packed ? arith::OrIOp::create(b, loc, packed, wide).getResult()
                      : wide;
    }
    LLVM::StoreOp::create(b, loc, packed, address, run * bits / 8);
  }
  /// `run` elements of shared memory from `index` (a multiple of `run`).
  SmallVector<Value> loadSharedRun(Type element, int64_t byteOffset,
                                   Value index, int64_t run) {
    if (run == 1)
      return {loadShared(element, byteOffset, index)};
    return loadRun(sharedAddress(byteOffset, element, index),
                   storageType(element), run);
  }
  /// This thread's elements of a tile of `count` elements in shared memory
  /// (slots past the end read element 0).
  SmallVector<Value> readSlotsFromShared(Type tileType, Type element,
                                         int64_t byteOffset) {
    int64_t count = numElements(tileType);
    int64_t run = sharedRun(count, element, byteOffset);
    SmallVector<Value> slots;
    for (int64_t slot = 0, e = slotCount(tileType); slot < e; slot += run) {
      Value index = flatIndex(slot, count);
      if (Value valid = slotValid(slot, count))
        index = arith::SelectOp::create(b, loc, valid, index, i32(0));
      llvm::append_range(slots, loadSharedRun(element, byteOffset, index, run));
    }
    return slots;
  }
  /// Where flat element `flat` of a tile with rows of `cols` elements lies
  /// when its rows are `pitch` elements apart in shared memory.
  Value pitchedIndex(Value flat, int64_t cols, int64_t pitch) {
    if (pitch == cols)
      return flat;
    Value row = arith::DivUIOp::create(b, loc, flat, i32(cols));
    Value col = arith::RemUIOp::create(b, loc, flat, i32(cols));
    return add(mul(row, i32(pitch)), col);
  }
  /// Every thread stores its slots of a tile of `count` elements at
  /// byteOffset, row-major; with `cols` and `pitch` (> cols) set, rows of
  /// `cols` elements `pitch` elements apart (padding against bank
  /// conflicts; runs stay within rows: cols and pitch are multiples of the
  /// run).
  void writeSlotsToShared(ArrayRef<Value> slots, int64_t count, Type element,
                          int64_t byteOffset, int64_t cols = 0,
                          int64_t pitch = 0) {
    if (pitch == 0)
      cols = pitch = std::max<int64_t>(count, 1);
    reserveShared(byteOffset +
                  llvm::divideCeil(count, cols) * pitch * storageBytes(element));
    int64_t run = sharedRun(count, element, byteOffset);
    if (run > 1 && (cols % run != 0 || pitch % run != 0))
      run = 1;
    if (run > 1) {
      // Whole runs (every slot valid): one vector store each, no bank
      // conflicts between the runs of neighbouring threads.
      for (int64_t slot = 0, e = slots.size(); slot < e; slot += run)
        storeRun(slots.slice(slot, run),
                 sharedAddress(byteOffset, element,
                               pitchedIndex(flatIndex(slot, count), cols,
                                            pitch)),
                 storageType(element));
      return;
    }
    for (int64_t slot = 0, e = slots.size(); slot < e; ++slot) {
      Value valid = slotValid(slot, count);
      Value value = slots[slot];
      Value index = pitchedIndex(flatIndex(slot, count), cols, pitch);
      if (!valid) {
        storeShared(value, element, byteOffset, index);
        continue;
      }
      auto guard = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
      OpBuilder::InsertionGuard g(b);
      b.setInsertionPointToStart(guard.thenBlock());
      storeShared(value, element, byteOffset, index);
    }
  }
  void barrier() {
    NVVM::Barrier0Op::create(b, loc);
    storedSinceBarrier = loadedSinceBarrier = false;
  }
  /// The barrier that publishes shared-memory writes (test option: skip).
  void publishBarrier() {
    if (!options.injectMissingBarrier)
      barrier();
  }

  // Recomputation of index arithmetic at any element.
  bool recomputable(Value value);
  Value valueAt(Value value, Value flatIndex);
  /// Elements `flats` of `value` (one per destination slot).
  SmallVector<Value> gather(Value value, ArrayRef<Value> flats);

  // Ops.
  LogicalResult emitBlock(Block &block);
  LogicalResult emitOp(Operation *op);
  FailureOr<SmallVector<Value>> emitScalarOp(Operation *op,
                                             ArrayRef<Value> operands);
  LogicalResult emitElementwise(Operation *op);
  LogicalResult emitConstant(arith::ConstantOp op);
  LogicalResult emitBroadcast(tile::BroadcastOp op);
  LogicalResult emitTrans(tile::TransOp op);
  LogicalResult emitAddPtr(tile::AddPtrOp op);
  LogicalResult emitLoad(tile::LoadOp op);
  LogicalResult emitStore(tile::StoreOp op);
  /// One guarded access per slot of [first, last) (the scalar form of
  /// emitLoad/emitStore).
  SmallVector<Value> loadSlots(tile::LoadOp op, int64_t first, int64_t last);
  void storeSlots(tile::StoreOp op, int64_t first, int64_t last);
  /// The run length of the vector accesses of `memoryOp` (a tile.load or
  /// tile.store of `tileType`): the tile's run when each run lies in one
  /// row of a pointer tile contiguous along its rows; 1 (scalar) otherwise.
  int64_t accessRun(Operation *memoryOp, Type tileType);
  /// Whether this thread can access its run of `ptrs` at slot `first` as
  /// one wide access: the run's address aligned to its bytes (a pointer
  /// argument or a row stride may not be) and its elements enabled by
  /// `mask`.
  Value runAccessible(Value ptrs, Value mask, Type tileType, int64_t first,
                      int64_t run);
  LogicalResult emitReduce(tile::ReduceOp op);
  /// sum / max / min along an axis longer than kSequentialReduceLength: a
  /// tree over shared memory.
  SmallVector<Value> emitTreeReduce(tile::ReduceOp op);
  /// sum / max / min of f32 or bf16 along the last axis when every row
  /// lies in whole runs on an aligned group of lanes: std::nullopt when the
  /// layout does not fit (the tree or the sequential path takes it).
  std::optional<SmallVector<Value>> emitWarpReduce(tile::ReduceOp op);
  /// The reduction's combining op on two f32 (or integer) values.
  Value combineReduced(tile::ReduceKind kind, Value x, Value y);
  Value reductionBase(Value outFlat, ArrayRef<int64_t> shape, int64_t axis);
  LogicalResult emitDot(tile::DotOp op);
  /// The operands a dot gives tensor cores: A and B (B as the [N, K] rows
  /// of a tile.trans when `bTransposed`), rounded to bf16 where `roundA` /
  /// `roundB` say so (bf16Activations); std::nullopt when the dot runs on
  /// FMAs (inputs not bf16, shapes not whole 16 x 8 x 16 blocks, no mma).
  struct MmaOperands {
    Value a, b;
    bool bTransposed = false, roundA = false, roundB = false;
  };
  std::optional<MmaOperands> mmaOperands(tile::DotOp op);
  /// Elements between the rows of an mma operand staged in shared memory.
  /// A fragment load reads 8 rows (the lane groups) at one 4-byte word
  /// each (per tig): rows 32 or 64 bf16 long all start in banks 0 and 16
  /// (4-way conflicts) or 0 (8-way). 8 bf16 (16 bytes) of padding per row
  /// put the 8 rows in 8 different groups of 4 banks. Rows of 16 keep
  /// their 2-way conflicts: padding them would cost half the tile again.
  /// For A and for B staged as [N, K] rows (the GEMMs' weights); B as
  /// [K, N] rows (the attentions' V and c blocks) is read as single bf16
  /// and stays unpadded (padding it cost the [K, N] GEMM of
  /// test/codegen/Inputs/linear-bf16.mlir a 12-byte spill on sm_90a).
  static int64_t mmaPitch(int64_t cols) {
    return cols >= 32 ? cols + 8 : cols;
  }
  /// The pitch of B's staged rows of `cols` elements.
  static int64_t mmaBPitch(int64_t cols, bool transposed) {
    return transposed ? mmaPitch(cols) : cols;
  }
  /// C = A @ B + C on tensor cores; A and B are bf16 in shared memory, B
  /// as [K, N] rows or, `bTransposed`, as [N, K] rows. C and the result are
  /// in the block layout, or in mma fragments for the dots of
  /// `fragmentDots`.
  SmallVector<Value> emitMmaDot(tile::DotOp op, int64_t bOffset,
                                bool bTransposed);

  // mma.m16n8k16 fragments. Warp w owns the 16 x 8 blocks w, w + warps,
  // ... of an [M, N] accumulator (row-major block order); a lane holds
  // c0, c1 at (row group, columns 2 tig, +1) and c2, c3 eight rows below.
  struct MmaLane {
    Value warp, group, tig;
  };
  struct MmaBlock {
    Value rowLo, rowHi, colC, colC1, colB;
  };
  MmaLane mmaLane();
  MmaBlock mmaBlock(const MmaLane &lane, Value blockIndex, int64_t n);
  /// How iter_arg `index` of `loop` reaches a dot on tensor cores: through
  /// `chain`, elementwise ops that each read it once (the attention's
  /// `acc * alpha`), into the dot's C; the dot's result only yielded back
  /// as that iter_arg. Then the accumulator can stay in mma fragments for
  /// the whole loop (no trip through shared memory per step). A null dot
  /// when it cannot.
  struct FragmentChain {
    tile::DotOp dot;
    SmallVector<Operation *> chain;
  };
  FragmentChain fragmentChain(scf::ForOp loop, unsigned index);
  /// Marks the broadcasts and expand_dims in `chained`'s block that only
  /// feed fragment chains as skipped (gatherThroughBroadcasts reads their
  /// source).
  void skipBroadcastsOnlyFor(Operation *chained);
  /// Flat indices (row-major in [m, n]) of this thread's fragments.
  SmallVector<Value> fragmentIndices(int64_t m, int64_t n);
  /// An elementwise op of a fragment chain: its fragment operand slot by
  /// slot, the others gathered at the fragments' elements.
  LogicalResult emitFragmentElementwise(Operation *op);
  /// Elements `flats` of `value`, read through broadcasts and expand_dims
  /// from their source (a row factor: one exchange of the row's values,
  /// not of the broadcast tile).
  SmallVector<Value> gatherThroughBroadcasts(Value value,
                                             ArrayRef<Value> flats);
  /// This thread's fragments of the f32 [m, n] tile `value` (block layout).
  SmallVector<Value> toFragments(Value value, int64_t m, int64_t n);
  /// The block-layout slots of the f32 tile of `type` held as `fragments`.
  SmallVector<Value> fromFragments(ArrayRef<Value> fragments, Type type);
  /// The bf16 tile `value` was widened from (extf, or extf to f64 +
  /// truncf to f32), or null.
  Value widenedBf16(Value value);
  /// Whether the f32 tile `value` is an int8 tile converted (sitofp): its
  /// values (-128 .. 127) are exact in bf16, so tensor cores can take it.
  bool isWidenedInt8(Value value);
  LogicalResult emitFor(scf::ForOp op);
  LogicalResult emitIf(scf::IfOp op);
  LogicalResult emitWhile(scf::WhileOp op);

  /// Global memory written by one thread and read by another within a
  /// program needs a barrier in between (and the other way round).
  void beforeGlobalLoad() {
    if (storedSinceBarrier)
      barrier();
    loadedSinceBarrier = true;
  }
  void beforeGlobalStore() {
    if (loadedSinceBarrier || storedSinceBarrier)
      barrier();
    storedSinceBarrier = true;
  }
  void assumeRegionEffects(Operation *op) {
    op->walk([&](Operation *inner) {
      if (isa<tile::StoreOp>(inner))
        storedSinceBarrier = true;
      if (isa<tile::LoadOp>(inner))
        loadedSinceBarrier = true;
    });
  }

  func::FuncOp kernel;
  SimtOptions options;
  /// Which pointer tiles address consecutive elements along their rows.
  std::optional<tile::ContiguityAnalysis> contiguity;
  OpBuilder b;
  Location loc;
  int64_t threads = 32;
  int64_t sharedBytes = 0;
  Value tid, sharedBase;
  llvm::DenseMap<Value, SmallVector<Value>> values;
  llvm::DenseMap<Value, bool> recomputableMemo;
  /// Dots whose C and result are mma fragments, the elementwise ops
  /// between them and their loop's carried value (fragmentChain), and the
  /// broadcasts only those ops read (gathered from their source instead:
  /// never emitted).
  llvm::DenseSet<Operation *> fragmentDots, fragmentOps, skippedOps;
  /// The values held as fragments: carried values and chain results.
  llvm::DenseSet<Value> fragmentValues;
  bool storedSinceBarrier = false, loadedSinceBarrier = false;
};

} // namespace mlir::dsv2::gpu::simt

#endif // CODEGEN_GPU_SIMTEMITTERIMPL_H
