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
#include "codegen/gpu/SimtEmitterImpl.h"

namespace mlir::dsv2::gpu::simt {

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
// Control flow
//===----------------------------------------------------------------------===//

LogicalResult Emitter::emitFor(scf::ForOp op) {
  // Accumulators of tensor-core dots are carried as mma fragments (the
  // same number of values per thread as the block layout), converted once
  // before and after the loop instead of at every step.
  SmallVector<bool> carriedAsFragments;
  SmallVector<Value> inits;
  for (auto [index, init] : llvm::enumerate(op.getInitArgs())) {
    FragmentChain found = fragmentChain(op, index);
    carriedAsFragments.push_back(static_cast<bool>(found.dot));
    if (!found.dot) {
      llvm::append_range(inits, flat(init));
      continue;
    }
    fragmentDots.insert(found.dot);
    fragmentValues.insert(op.getRegionIterArgs()[index]);
    for (Operation *chained : found.chain) {
      fragmentOps.insert(chained);
      fragmentValues.insert(chained->getResult(0));
      skipBroadcastsOnlyFor(chained);
    }
    ArrayRef<int64_t> shape = shapeOf(found.dot.getType());
    llvm::append_range(inits, toFragments(init, shape[0], shape[1]));
  }
  auto loop = scf::ForOp::create(b, loc, get(op.getLowerBound(), 0),
                                 get(op.getUpperBound(), 0),
                                 get(op.getStep(), 0), inits);
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
  for (auto [result, fragments] :
       llvm::zip(op.getResults(), carriedAsFragments))
    if (fragments) {
      SmallVector<Value> held = values[result];
      values[result] = fromFragments(held, result.getType());
    }
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
  if (skippedOps.contains(op))
    return success();
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
  if (fragmentOps.contains(op))
    return emitFragmentElementwise(op);
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

} // namespace mlir::dsv2::gpu::simt

mlir::FailureOr<mlir::dsv2::gpu::SimtKernelInfo>
mlir::dsv2::gpu::emitSimtKernel(mlir::func::FuncOp kernel,
                                const SimtOptions &options) {
  return simt::Emitter(kernel, options).run();
}
