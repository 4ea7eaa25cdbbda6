//===- SimtEmitter.cpp - One tile program -> one CUDA thread block --------===//
//
// Part of dsv2c. See SimtEmitter.h and codegen/gpu/README.md.
//
// Layout: a tile of N elements (row-major flat index e) is spread over the
// T threads of the block cyclically: thread t holds elements t, t+T, t+2T,
// ... in "slots" 0, 1, 2, ... (ceil(N/T) scalars per thread). Consecutive
// threads hold consecutive elements, so loads and stores along the last
// dimension coalesce. Elementwise ops work slot by slot. Anything that
// needs another thread's element (broadcast of loaded data, reductions,
// dot operands) goes through shared memory between two barriers. Index
// arithmetic (ranges, splats, broadcasts of them, pointer offsets) is
// recomputed at the needed coordinates instead of exchanged.
//
// Control flow in tile IR depends only on scalars, and every scalar is the
// same in all threads of a block, so barriers are always reached by all.
//
//===----------------------------------------------------------------------===//

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
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::dsv2::gpu;

namespace {

bool isTile(Type type) { return isa<RankedTensorType>(type); }

int64_t numElements(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getNumElements();
  return 1;
}

ArrayRef<int64_t> shapeOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getShape();
  return {};
}

Type elementOf(Type type) {
  if (auto tensor = dyn_cast<RankedTensorType>(type))
    return tensor.getElementType();
  return type;
}

SmallVector<int64_t> stridesOf(ArrayRef<int64_t> shape) {
  SmallVector<int64_t> strides(shape.size(), 1);
  for (int64_t i = static_cast<int64_t>(shape.size()) - 2; i >= 0; --i)
    strides[i] = strides[i + 1] * shape[i + 1];
  return strides;
}

bool isElementwise(Operation *op) {
  if (isa<tile::SiluOp>(op))
    return true;
  if (isa<arith::ConstantOp>(op))
    return false;
  return isa_and_nonnull<arith::ArithDialect, math::MathDialect>(
      op->getDialect());
}

/// Empties a block created with a default terminator.
void dropTerminator(Block *block) {
  if (!block->empty() && block->back().hasTrait<OpTrait::IsTerminator>())
    block->back().erase();
}

/// Reductions along at most this many elements are one thread's loop per
/// output element; longer ones a tree (a barrier per level).
constexpr int64_t kSequentialReduceLength = 8;

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
  /// Every thread stores its elements of `tile` at byteOffset (row-major).
  void writeTileToShared(Value tileValue, int64_t byteOffset) {
    Type type = tileValue.getType();
    SmallVector<Value> slots;
    for (int64_t slot = 0, e = slotCount(type); slot < e; ++slot)
      slots.push_back(get(tileValue, slot));
    writeSlotsToShared(slots, numElements(type), elementOf(type), byteOffset);
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
  void writeSlotsToShared(ArrayRef<Value> slots, int64_t count, Type element,
                          int64_t byteOffset) {
    reserveShared(byteOffset + count * storageBytes(element));
    if (int64_t run = sharedRun(count, element, byteOffset); run > 1) {
      // Whole runs (every slot valid): one vector store each, no bank
      // conflicts between the runs of neighbouring threads.
      for (int64_t slot = 0, e = slots.size(); slot < e; slot += run)
        storeRun(slots.slice(slot, run),
                 sharedAddress(byteOffset, element, flatIndex(slot, count)),
                 storageType(element));
      return;
    }
    for (int64_t slot = 0, e = slots.size(); slot < e; ++slot) {
      Value valid = slotValid(slot, count);
      Value value = slots[slot];
      Value index = flatIndex(slot, count);
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
  /// C = A @ B + C on tensor cores; A and B are bf16 in shared memory, B
  /// as [K, N] rows or, `bTransposed`, as [N, K] rows.
  SmallVector<Value> emitMmaDot(tile::DotOp op, int64_t bOffset,
                                bool bTransposed);
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
  bool storedSinceBarrier = false, loadedSinceBarrier = false;
};

//===----------------------------------------------------------------------===//
// Recomputation
//===----------------------------------------------------------------------===//

bool Emitter::recomputable(Value value) {
  auto found = recomputableMemo.find(value);
  if (found != recomputableMemo.end())
    return found->second;
  bool result = false;
  Operation *def = value.getDefiningOp();
  if (!isTile(value.getType()) || !def) {
    result = !isTile(value.getType());
  } else if (isa<tile::RangeOp, tile::SplatOp>(def)) {
    result = true;
  } else if (auto constant = dyn_cast<arith::ConstantOp>(def)) {
    auto dense = dyn_cast<SplatElementsAttr>(constant.getValue());
    result = static_cast<bool>(dense);
  } else if (isa<tile::ExpandDimsOp, tile::BroadcastOp, tile::AddPtrOp>(def) ||
             isElementwise(def)) {
    result = llvm::all_of(def->getOperands(),
                          [&](Value operand) { return recomputable(operand); });
  }
  recomputableMemo[value] = result;
  return result;
}

Value Emitter::valueAt(Value value, Value flatIndex) {
  if (!isTile(value.getType()))
    return get(value, 0);
  Operation *def = value.getDefiningOp();
  if (auto range = dyn_cast<tile::RangeOp>(def))
    return add(flatIndex, i32(range.getStart()));
  if (isa<tile::SplatOp, arith::ConstantOp>(def))
    return get(value, 0); // one slot: the same everywhere
  if (auto expand = dyn_cast<tile::ExpandDimsOp>(def))
    return valueAt(expand.getInput(), flatIndex);
  if (auto broadcast = dyn_cast<tile::BroadcastOp>(def)) {
    ArrayRef<int64_t> to = shapeOf(broadcast.getType());
    ArrayRef<int64_t> from = shapeOf(broadcast.getInput().getType());
    SmallVector<Value> coords = coordinates(flatIndex, to);
    SmallVector<Value> source(coords.end() - from.size(), coords.end());
    for (size_t i = 0; i < from.size(); ++i)
      if (from[i] == 1)
        source[i] = i32(0);
    return valueAt(broadcast.getInput(), flatten(source, from));
  }
  if (auto addptr = dyn_cast<tile::AddPtrOp>(def)) {
    Value base = valueAt(addptr.getPtr(), flatIndex);
    Value offset = valueAt(addptr.getOffset(), flatIndex);
    Type pointee = cast<tile::PtrType>(elementOf(addptr.getType())).getPointee();
    return LLVM::GEPOp::create(b, loc, base.getType(), storageType(pointee),
                               base, ValueRange{offset});
  }
  SmallVector<Value> operands;
  for (Value operand : def->getOperands())
    operands.push_back(valueAt(operand, flatIndex));
  auto results = emitScalarOp(def, operands);
  assert(succeeded(results) && "recomputable ops were emitted before");
  return (*results)[cast<OpResult>(value).getResultNumber()];
}

SmallVector<Value> Emitter::gather(Value value, ArrayRef<Value> flats) {
  SmallVector<Value> result;
  if (recomputable(value)) {
    for (Value index : flats)
      result.push_back(valueAt(value, index));
    return result;
  }
  Type element = elementOf(value.getType());
  writeTileToShared(value, 0);
  publishBarrier();
  for (Value index : flats)
    result.push_back(loadShared(element, 0, index));
  barrier();
  return result;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

FailureOr<SmallVector<Value>>
Emitter::emitScalarOp(Operation *op, ArrayRef<Value> operands) {
  Type resultElement = elementOf(op->getResult(0).getType());
  if (isa<tile::SiluOp>(op)) {
    Value x = toF32(operands[0], resultElement);
    Value negated = arith::NegFOp::create(b, loc, x);
    Value e = math::ExpOp::create(b, loc, negated);
    Value one = arith::ConstantOp::create(b, loc, b.getF32FloatAttr(1.0f));
    Value y = arith::DivFOp::create(b, loc, x,
                                    arith::AddFOp::create(b, loc, one, e));
    if (resultElement.isBF16())
      y = f32ToBf16(y);
    else if (!resultElement.isF32())
      y = arith::TruncFOp::create(b, loc, resultElement, y);
    return SmallVector<Value>{y};
  }
  Type inputElement =
      op->getNumOperands() ? elementOf(op->getOperand(0).getType()) : Type();
  if (isa<arith::ExtFOp>(op) && inputElement.isBF16()) {
    Value x = bf16ToF32(operands[0]);
    if (!resultElement.isF32())
      x = arith::ExtFOp::create(b, loc, resultElement, x);
    return SmallVector<Value>{x};
  }
  if (isa<arith::TruncFOp>(op) && resultElement.isBF16()) {
    Value x = operands[0];
    if (!inputElement.isF32()) {
      // f64 -> bf16 equals f32 -> bf16 only for an f64 that is an exact f32
      // (the templates' extf-to-f64 + truncf widening pair).
      auto widened = op->getOperand(0).getDefiningOp<arith::ExtFOp>();
      if (!widened || !elementOf(widened.getIn().getType()).isF32())
        return op->emitOpError()
               << "rounds " << inputElement
               << " to bf16; the GPU code generator rounds f32 (or an f32 "
                  "widened to f64) to bf16";
      x = arith::TruncFOp::create(b, loc, b.getF32Type(), x);
    }
    return SmallVector<Value>{f32ToBf16(x)};
  }
  // Any other op touching bf16: computed in f32, rounded once.
  bool narrow = llvm::any_of(op->getOperandTypes(),
                             [](Type t) { return elementOf(t).isBF16(); }) ||
                resultElement.isBF16();
  SmallVector<Value> scalarOperands;
  for (auto [operand, lowered] : llvm::zip(op->getOperands(), operands))
    scalarOperands.push_back(elementOf(operand.getType()).isBF16()
                                 ? bf16ToF32(lowered)
                                 : lowered);
  for (Value operand : scalarOperands)
    if (!operand) {
      op->print(llvm::errs());
      llvm::report_fatal_error("dsv2 GPU code generator: null operand");
    }
  OperationState state(loc, op->getName());
  state.addOperands(scalarOperands);
  state.addAttributes(op->getAttrs());
  for (Type type : op->getResultTypes()) {
    Type element = elementOf(type);
    state.addTypes(element.isBF16() ? b.getF32Type() : storageType(element));
  }
  Operation *scalar = b.create(state);
  SmallVector<Value> results(scalar->getResults());
  if (narrow)
    for (auto [index, type] : llvm::enumerate(op->getResultTypes()))
      if (elementOf(type).isBF16())
        results[index] = f32ToBf16(results[index]);
  return results;
}

LogicalResult Emitter::emitElementwise(Operation *op) {
  if (op->getNumResults() != 1)
    return op->emitOpError() << "has " << op->getNumResults()
                             << " results; the GPU code generator lowers "
                                "elementwise ops with one";
  Value result = op->getResult(0);
  SmallVector<Value> slots;
  for (int64_t slot = 0, e = slotCount(result.getType()); slot < e; ++slot) {
    SmallVector<Value> operands;
    for (Value operand : op->getOperands())
      operands.push_back(get(operand, slot));
    auto scalar = emitScalarOp(op, operands);
    if (failed(scalar))
      return failure();
    slots.push_back((*scalar)[0]);
  }
  values[result] = std::move(slots);
  return success();
}

LogicalResult Emitter::emitConstant(arith::ConstantOp op) {
  Attribute value = op.getValue();
  if (auto dense = dyn_cast<DenseElementsAttr>(value)) {
    if (!dense.isSplat())
      return op.emitOpError()
             << "is a non-uniform tile constant; the GPU code generator "
                "takes splat constants only";
    value = dense.getSplatValue<Attribute>();
  }
  auto typed = cast<TypedAttr>(value);
  if (auto floating = dyn_cast<FloatAttr>(typed); floating &&
                                                  floating.getType().isBF16()) {
    uint64_t bits = floating.getValue().bitcastToAPInt().getZExtValue();
    typed = b.getIntegerAttr(b.getI16Type(), bits);
  }
  values[op.getResult()] = {arith::ConstantOp::create(b, loc, typed)};
  return success();
}

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

//===----------------------------------------------------------------------===//
// Control flow
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitFor(scf::ForOp op) {
  auto loop = scf::ForOp::create(b, loc, get(op.getLowerBound(), 0),
                                 get(op.getUpperBound(), 0),
                                 get(op.getStep(), 0), flat(op.getInitArgs()));
  values[op.getInductionVar()] = {loop.getInductionVar()};
  unflatten(op.getRegionIterArgs(), loop.getRegionIterArgs());
  OpBuilder::InsertionGuard guard(b);
  dropTerminator(loop.getBody());
  b.setInsertionPointToEnd(loop.getBody());
  assumeRegionEffects(op);
  if (failed(emitBlock(*op.getBody())))
    return failure();
  auto yield = cast<scf::YieldOp>(op.getBody()->getTerminator());
  scf::YieldOp::create(b, loc, flat(yield.getOperands()));
  b.setInsertionPointAfter(loop);
  unflatten(op.getResults(), loop.getResults());
  assumeRegionEffects(op);
  return success();
}

LogicalResult Emitter::emitIf(scf::IfOp op) {
  bool hasElse = !op.getElseRegion().empty();
  auto lowered = scf::IfOp::create(b, loc, flatTypes(op.getResultTypes()),
                                   get(op.getCondition(), 0), true, hasElse);
  bool stored = storedSinceBarrier, loaded = loadedSinceBarrier;
  for (auto [from, to] : llvm::zip(op->getRegions(), lowered->getRegions())) {
    if (from.empty())
      continue;
    OpBuilder::InsertionGuard guard(b);
    dropTerminator(&to.front());
    b.setInsertionPointToEnd(&to.front());
    storedSinceBarrier = stored;
    loadedSinceBarrier = loaded;
    if (failed(emitBlock(from.front())))
      return failure();
    auto yield = cast<scf::YieldOp>(from.front().getTerminator());
    scf::YieldOp::create(b, loc, flat(yield.getOperands()));
  }
  storedSinceBarrier = stored;
  loadedSinceBarrier = loaded;
  assumeRegionEffects(op);
  unflatten(op.getResults(), lowered.getResults());
  return success();
}

LogicalResult Emitter::emitWhile(scf::WhileOp op) {
  auto lowered = scf::WhileOp::create(b, loc, flatTypes(op.getResultTypes()),
                                      flat(op.getInits()));
  assumeRegionEffects(op);
  SmallVector<Type> beforeTypes = flatTypes(op.getBefore().getArgumentTypes());
  SmallVector<Type> afterTypes = flatTypes(op.getAfter().getArgumentTypes());
  OpBuilder::InsertionGuard guard(b);
  Block *before = b.createBlock(&lowered.getBefore(), {}, beforeTypes,
                                SmallVector<Location>(beforeTypes.size(), loc));
  unflatten(op.getBefore().getArguments(), before->getArguments());
  if (failed(emitBlock(op.getBefore().front())))
    return failure();
  auto condition = cast<scf::ConditionOp>(op.getBefore().front().getTerminator());
  scf::ConditionOp::create(b, loc, get(condition.getCondition(), 0),
                           flat(condition.getArgs()));
  Block *after = b.createBlock(&lowered.getAfter(), {}, afterTypes,
                               SmallVector<Location>(afterTypes.size(), loc));
  unflatten(op.getAfter().getArguments(), after->getArguments());
  if (failed(emitBlock(op.getAfter().front())))
    return failure();
  auto yield = cast<scf::YieldOp>(op.getAfter().front().getTerminator());
  scf::YieldOp::create(b, loc, flat(yield.getOperands()));
  b.setInsertionPointAfter(lowered);
  unflatten(op.getResults(), lowered.getResults());
  assumeRegionEffects(op);
  return success();
}

//===----------------------------------------------------------------------===//
// Dispatch
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitBlock(Block &block) {
  for (Operation &op : block.without_terminator())
    if (failed(emitOp(&op)))
      return failure();
  return success();
}

LogicalResult Emitter::emitOp(Operation *op) {
  loc = op->getLoc();
  // A program is a block: its id is %ctaid, the grid's extent %nctaid.
  if (isa<tile::ProgramIdOp, tile::NumProgramsOp>(op)) {
    bool count = isa<tile::NumProgramsOp>(op);
    tile::Axis axis = count ? cast<tile::NumProgramsOp>(op).getAxis()
                            : cast<tile::ProgramIdOp>(op).getAxis();
    Type type = b.getI32Type();
    Value value;
    switch (axis) {
    case tile::Axis::x:
      value = count ? NVVM::GridDimXOp::create(b, loc, type).getResult()
                    : NVVM::BlockIdXOp::create(b, loc, type).getResult();
      break;
    case tile::Axis::y:
      value = count ? NVVM::GridDimYOp::create(b, loc, type).getResult()
                    : NVVM::BlockIdYOp::create(b, loc, type).getResult();
      break;
    case tile::Axis::z:
      value = count ? NVVM::GridDimZOp::create(b, loc, type).getResult()
                    : NVVM::BlockIdZOp::create(b, loc, type).getResult();
      break;
    }
    values[op->getResult(0)] = {value};
    return success();
  }
  if (auto range = dyn_cast<tile::RangeOp>(op)) {
    SmallVector<Value> slots;
    int64_t count = numElements(range.getType());
    for (int64_t slot = 0, e = slotCount(range.getType()); slot < e; ++slot)
      slots.push_back(add(flatIndex(slot, count), i32(range.getStart())));
    values[range.getResult()] = std::move(slots);
    return success();
  }
  if (auto splat = dyn_cast<tile::SplatOp>(op)) {
    values[splat.getResult()] = {get(splat.getInput(), 0)};
    return success();
  }
  if (auto expand = dyn_cast<tile::ExpandDimsOp>(op)) {
    SmallVector<Value> same = values[expand.getInput()]; // copy: may rehash
    values[expand.getResult()] = std::move(same);
    return success();
  }
  if (auto constant = dyn_cast<arith::ConstantOp>(op))
    return emitConstant(constant);
  if (auto broadcast = dyn_cast<tile::BroadcastOp>(op))
    return emitBroadcast(broadcast);
  if (auto trans = dyn_cast<tile::TransOp>(op))
    return emitTrans(trans);
  if (auto addptr = dyn_cast<tile::AddPtrOp>(op))
    return emitAddPtr(addptr);
  if (auto load = dyn_cast<tile::LoadOp>(op))
    return emitLoad(load);
  if (auto store = dyn_cast<tile::StoreOp>(op))
    return emitStore(store);
  if (auto reduce = dyn_cast<tile::ReduceOp>(op))
    return emitReduce(reduce);
  if (auto dot = dyn_cast<tile::DotOp>(op))
    return emitDot(dot);
  if (auto loop = dyn_cast<scf::ForOp>(op))
    return emitFor(loop);
  if (auto branch = dyn_cast<scf::IfOp>(op))
    return emitIf(branch);
  if (auto loop = dyn_cast<scf::WhileOp>(op))
    return emitWhile(loop);
  if (isElementwise(op))
    return emitElementwise(op);
  return op->emitOpError()
         << "is not supported by the GPU code generator: kernels may use "
            "tile, arith and math ops and scf.for/if/while";
}

FailureOr<SimtKernelInfo> Emitter::run() {
  std::string name = kernel.getSymName().str();
  if (kernel.isExternal() || kernel.getNumResults() != 0)
    return kernel.emitError()
           << "kernel @" << name
           << " must have a body and no results to run on a GPU";

  // The block: the smallest power of two >= 32 covering the largest tile.
  int64_t largest = 1;
  kernel.walk([&](Operation *op) {
    for (Type type : op->getResultTypes())
      largest = std::max(largest, numElements(type));
  });
  threads = std::clamp<int64_t>(llvm::PowerOf2Ceil(largest), 32,
                                std::max<int64_t>(32, options.maxThreads));

  contiguity.emplace(kernel);

  MLIRContext *context = kernel.getContext();
  auto ptrType = LLVM::LLVMPointerType::get(context);
  SmallVector<Type> argTypes;
  for (auto [index, type] : llvm::enumerate(kernel.getArgumentTypes())) {
    if (!isa<tile::PtrType, IntegerType, FloatType>(type))
      return kernel.emitError() << "kernel @" << name << " argument #" << index
                                << " has type " << type
                                << "; kernels take pointers and scalars";
    argTypes.push_back(storageType(type));
  }

  auto module = kernel->getParentOfType<ModuleOp>();
  b.setInsertionPointToStart(module.getBody());
  if (!module.lookupSymbol(kSharedMemoryGlobal)) {
    auto global = LLVM::GlobalOp::create(
        b, loc, LLVM::LLVMArrayType::get(b.getI8Type(), 0),
        /*isConstant=*/false, LLVM::Linkage::External, kSharedMemoryGlobal,
        Attribute(), /*alignment=*/16, /*addrSpace=*/3);
    (void)global;
  }
  b.setInsertionPoint(kernel);
  auto function = LLVM::LLVMFuncOp::create(
      b, loc, name + ".simt",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), argTypes));
  Block *entry = function.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  for (auto [original, lowered] :
       llvm::zip(kernel.getArguments(), entry->getArguments()))
    values[original] = {lowered};
  tid = NVVM::ThreadIdXOp::create(b, loc, b.getI32Type());
  Value shared = LLVM::AddressOfOp::create(
      b, loc, LLVM::LLVMPointerType::get(context, 3), kSharedMemoryGlobal);
  sharedBase = LLVM::AddrSpaceCastOp::create(b, loc, ptrType, shared);

  if (failed(emitBlock(kernel.front())))
    return failure();
  LLVM::ReturnOp::create(b, kernel.getLoc(), ValueRange{});

  function->setAttr(NVVM::NVVMDialect::getKernelFuncAttrName(),
                    UnitAttr::get(context));
  function->setAttr(NVVM::NVVMDialect::getReqntidAttrName(),
                    b.getDenseI32ArrayAttr({static_cast<int32_t>(threads), 1, 1}));
  function->setAttr(kThreadsAttr, b.getI64IntegerAttr(threads));
  function->setAttr(kSharedBytesAttr, b.getI64IntegerAttr(sharedBytes));
  kernel.erase();
  function.setSymName(name);
  return SimtKernelInfo{name, threads, sharedBytes};
}

} // namespace

FailureOr<SimtKernelInfo>
mlir::dsv2::gpu::emitSimtKernel(func::FuncOp kernel,
                                const SimtOptions &options) {
  return Emitter(kernel, options).run();
}
