//===- EmulationLowering.cpp - NVVM-level kernels -> SIMT emulator calls --===//
//
// Part of dsv2c. dsv2-gpu-to-emulation: the kernels the GPU path turns into
// PTX, rewritten for the host. Each NVVM special-register read, barrier and
// the shared-memory base becomes a call through the emulator's function
// table (runtime/simt/SimtEmuAbi.h), which the runtime hands to the library
// through `__dsv2_emu_bind` after dlopen. Every kernel gets
// `name_thread(void **args)` (one GPU thread) and the runtime's
// `name_grid` entry (runtime/engine/KernelAbi.h), which asks the emulator
// to run its blocks.
//
//===----------------------------------------------------------------------===//

#include "codegen/gpu/Passes.h"
#include "codegen/gpu/Pipeline.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::dsv2 {
#define GEN_PASS_DEF_DSV2GPUTOEMULATIONPASS
#include "codegen/gpu/Passes.h.inc"
} // namespace mlir::dsv2

using namespace mlir;
using namespace mlir::dsv2::gpu;

namespace {

constexpr const char *kApiGlobal = "__dsv2_emu_api";
constexpr const char *kBindFunction = "__dsv2_emu_bind";
constexpr uint32_t kAbiVersion = 2;

/// Slots of Dsv2SimtEmuApi after its two u32 fields (SimtEmuAbi.h).
enum ApiEntry : int32_t {
  TidX = 0,
  NtidX = 1,
  Ctaid = 2,
  Nctaid = 3,
  Barrier = 4,
  SharedBase = 5,
  Mma = 6,
  Launch = 7,
  Trap = 8,
  ShuffleXor = 9,
};

/// Whether `value` is the i32 constant `expected`.
bool isConstant(Value value, int64_t expected) {
  auto constant = value.getDefiningOp<LLVM::ConstantOp>();
  auto attr = constant ? dyn_cast<IntegerAttr>(constant.getValue()) : nullptr;
  return attr && attr.getInt() == expected;
}

class EmulationBuilder {
public:
  explicit EmulationBuilder(ModuleOp module)
      : module(module), context(module.getContext()), b(context),
        ptr(LLVM::LLVMPointerType::get(context)) {}

  LogicalResult run();

private:
  Value call(Location loc, ApiEntry entry, Type result, ValueRange args) {
    Value api = LLVM::LoadOp::create(
        b, loc, ptr, LLVM::AddressOfOp::create(b, loc, ptr, kApiGlobal));
    Value slot = LLVM::GEPOp::create(
        b, loc, ptr, b.getI8Type(), api,
        ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(8 + 8 * entry)});
    Value function = LLVM::LoadOp::create(b, loc, ptr, slot);
    SmallVector<Type> argTypes(args.getTypes());
    auto type = LLVM::LLVMFunctionType::get(
        result ? result : LLVM::LLVMVoidType::get(context), argTypes);
    SmallVector<Value> operands = {function};
    llvm::append_range(operands, args);
    auto op = LLVM::CallOp::create(b, loc, type, operands);
    return result ? op.getResult() : Value();
  }
  Value i32(Location loc, int64_t value) {
    return LLVM::ConstantOp::create(b, loc, b.getI32Type(),
                                    b.getI32IntegerAttr(value));
  }
  LogicalResult rewriteIntrinsics();
  /// Every load and store of `kernel` first checks that its address is
  /// aligned as a GPU needs (the access's alignment, else the type's size):
  /// there a misaligned access faults (CUDA_ERROR_MISALIGNED_ADDRESS); on
  /// the host it would pass unnoticed.
  void addAlignmentChecks(LLVM::LLVMFuncOp kernel);
  /// `__dsv2_emu_check_alignment(address, mask, message)`: traps with
  /// message when address & mask is not zero (created once).
  LLVM::LLVMFuncOp alignmentChecker();
  Value messageAddress(Location loc, StringRef text);
  void addApiGlobalAndBind();
  void addEntryPoints(LLVM::LLVMFuncOp kernel, int64_t threads,
                      int64_t sharedBytes);

  ModuleOp module;
  MLIRContext *context;
  OpBuilder b;
  Type ptr;
  LLVM::LLVMFuncOp checker;
  llvm::StringMap<LLVM::GlobalOp> messages;
};

/// The alignment a GPU needs for an access of `type` (PTX: accesses are
/// naturally aligned; LLVM splits one whose stated alignment is smaller).
int64_t requiredAlignment(Type type, std::optional<uint64_t> stated) {
  int64_t bytes = 1;
  if (type.isIntOrFloat())
    bytes = std::max<int64_t>(1, type.getIntOrFloatBitWidth() / 8);
  else if (isa<LLVM::LLVMPointerType>(type))
    bytes = 8;
  else if (auto vector = dyn_cast<VectorType>(type))
    bytes = vector.getNumElements() *
            std::max<int64_t>(1, vector.getElementTypeBitWidth() / 8);
  bytes = std::min<int64_t>(bytes, 16);
  if (stated && *stated)
    bytes = std::min<int64_t>(bytes, static_cast<int64_t>(*stated));
  return llvm::isPowerOf2_64(bytes) ? bytes : 1;
}

LogicalResult EmulationBuilder::rewriteIntrinsics() {
  SmallVector<Operation *> nvvmOps;
  module.walk([&](Operation *op) {
    if (isa_and_nonnull<NVVM::NVVMDialect>(op->getDialect()))
      nvvmOps.push_back(op);
  });
  for (Operation *op : nvvmOps) {
    Location loc = op->getLoc();
    b.setInsertionPoint(op);
    Type i32Type = b.getI32Type();
    Value replacement;
    auto axisCall = [&](ApiEntry entry, int64_t axis) {
      return call(loc, entry, i32Type, ValueRange{i32(loc, axis)});
    };
    if (isa<NVVM::ThreadIdXOp>(op))
      replacement = call(loc, TidX, i32Type, {});
    else if (isa<NVVM::BlockDimXOp>(op))
      replacement = call(loc, NtidX, i32Type, {});
    else if (isa<NVVM::BlockIdXOp>(op))
      replacement = axisCall(Ctaid, 0);
    else if (isa<NVVM::BlockIdYOp>(op))
      replacement = axisCall(Ctaid, 1);
    else if (isa<NVVM::BlockIdZOp>(op))
      replacement = axisCall(Ctaid, 2);
    else if (isa<NVVM::GridDimXOp>(op))
      replacement = axisCall(Nctaid, 0);
    else if (isa<NVVM::GridDimYOp>(op))
      replacement = axisCall(Nctaid, 1);
    else if (isa<NVVM::GridDimZOp>(op))
      replacement = axisCall(Nctaid, 2);
    else if (isa<NVVM::Barrier0Op>(op))
      call(loc, Barrier, Type(), {});
    else if (auto shuffle = dyn_cast<NVVM::ShflOp>(op)) {
      // Only the whole-warp butterfly the code generator emits.
      if (shuffle.getKind() != NVVM::ShflKind::bfly ||
          shuffle.getReturnValueAndIsValid() ||
          !isConstant(shuffle.getThreadMask(), -1) ||
          !isConstant(shuffle.getMaskAndClamp(), 31))
        return op->emitOpError()
               << "is modelled by the SIMT emulator only as a whole-warp "
                  "butterfly (bfly, member mask -1, clamp 31)";
      Value value = shuffle.getVal();
      bool isFloat = value.getType().isF32();
      if (isFloat)
        value = LLVM::BitcastOp::create(b, loc, i32Type, value);
      replacement = call(loc, ShuffleXor, i32Type,
                         ValueRange{value, shuffle.getOffset()});
      if (isFloat)
        replacement =
            LLVM::BitcastOp::create(b, loc, b.getF32Type(), replacement);
    }
    else
      return op->emitOpError()
             << "is not modelled by the SIMT emulator; refusing to "
                "approximate it";
    if (replacement)
      op->getResult(0).replaceAllUsesWith(replacement);
    op->erase();
  }

  // mma.sync: the emulator computes the warp's product from all 32 lanes'
  // fragments and writes this lane's D fragment through a pointer to a
  // stack slot of the function (allocated once, in its entry block).
  SmallVector<LLVM::CallIntrinsicOp> intrinsics;
  module.walk([&](LLVM::CallIntrinsicOp op) { intrinsics.push_back(op); });
  for (LLVM::CallIntrinsicOp op : intrinsics) {
    StringRef name = op.getIntrin();
    if (!name.starts_with("llvm.nvvm."))
      continue;
    if (name != kMmaIntrinsic)
      return op.emitOpError() << "calls " << name
                              << ", which the SIMT emulator does not model; "
                                 "refusing to approximate it";
    Location loc = op.getLoc();
    auto function = op->getParentOfType<LLVM::LLVMFuncOp>();
    Type f32 = b.getF32Type();
    auto fragment = LLVM::LLVMArrayType::get(f32, 4);
    b.setInsertionPointToStart(&function.getBody().front());
    Value one = i32(loc, 1);
    Value slot = LLVM::AllocaOp::create(b, loc, ptr, fragment, one, 16);
    b.setInsertionPoint(op);
    SmallVector<Value> args(op.getArgs());
    args.push_back(slot);
    call(loc, Mma, Type(), args);
    Value result = LLVM::PoisonOp::create(b, loc, op.getResult(0).getType());
    for (int64_t i = 0; i < 4; ++i) {
      Value address = LLVM::GEPOp::create(
          b, loc, ptr, f32, slot, ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
      Value element = LLVM::LoadOp::create(b, loc, f32, address);
      result = LLVM::InsertValueOp::create(b, loc, result, element, i);
    }
    op.getResult(0).replaceAllUsesWith(result);
    op.erase();
  }

  // The shared memory: generic pointers cast from the address-space-3
  // global become the emulator's per-block buffer.
  SmallVector<LLVM::AddressOfOp> sharedUses;
  module.walk([&](LLVM::AddressOfOp op) {
    if (op.getGlobalName() == kSharedMemoryGlobal)
      sharedUses.push_back(op);
  });
  for (LLVM::AddressOfOp address : sharedUses) {
    for (Operation *user : llvm::make_early_inc_range(address->getUsers())) {
      auto cast = dyn_cast<LLVM::AddrSpaceCastOp>(user);
      if (!cast)
        return user->emitOpError()
               << "uses the shared memory other than through a generic "
                  "pointer; the SIMT emulator cannot map it";
      b.setInsertionPoint(cast);
      cast.getResult().replaceAllUsesWith(
          call(cast.getLoc(), SharedBase, ptr, {}));
      cast.erase();
    }
    address.erase();
  }
  if (Operation *global = module.lookupSymbol(kSharedMemoryGlobal))
    global->erase();
  return success();
}

Value EmulationBuilder::messageAddress(Location loc, StringRef text) {
  LLVM::GlobalOp &global = messages[text];
  if (!global) {
    OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
    global = LLVM::GlobalOp::create(
        top, loc, LLVM::LLVMArrayType::get(b.getI8Type(), text.size() + 1),
        /*isConstant=*/true, LLVM::Linkage::Internal,
        "__dsv2_emu_message_" + std::to_string(messages.size()),
        b.getStringAttr(text.str() + '\0'));
  }
  return LLVM::AddressOfOp::create(b, loc, global);
}

LLVM::LLVMFuncOp EmulationBuilder::alignmentChecker() {
  if (checker)
    return checker;
  Location loc = module.getLoc();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToEnd(module.getBody());
  Type i64Type = b.getI64Type();
  checker = LLVM::LLVMFuncOp::create(
      b, loc, "__dsv2_emu_check_alignment",
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context),
                                  {ptr, i64Type, ptr}),
      LLVM::Linkage::Internal);
  Block *entry = checker.addEntryBlock(b);
  Block *misaligned = b.createBlock(&checker.getBody());
  Block *aligned = b.createBlock(&checker.getBody());
  b.setInsertionPointToEnd(entry);
  Value address = LLVM::PtrToIntOp::create(b, loc, i64Type,
                                           entry->getArgument(0));
  Value low = LLVM::AndOp::create(b, loc, address, entry->getArgument(1));
  Value zero = LLVM::ConstantOp::create(b, loc, i64Type,
                                        b.getI64IntegerAttr(0));
  Value bad = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::ne, low, zero);
  LLVM::CondBrOp::create(b, loc, bad, misaligned, aligned);
  b.setInsertionPointToEnd(misaligned);
  call(loc, Trap, Type(), ValueRange{entry->getArgument(2)});
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  b.setInsertionPointToEnd(aligned);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return checker;
}

void EmulationBuilder::addAlignmentChecks(LLVM::LLVMFuncOp kernel) {
  std::string name = kernel.getSymName().str();
  auto check = [&](Operation *op, Value address, Type type,
                   std::optional<uint64_t> stated, StringRef kind) {
    int64_t bytes = requiredAlignment(type, stated);
    if (bytes == 1)
      return;
    Location loc = op->getLoc();
    b.setInsertionPoint(op);
    std::string text = "kernel " + name + ": misaligned " +
                       std::to_string(bytes) + "-byte " + kind.str() +
                       " (a GPU faults: misaligned address)";
    Value mask = LLVM::ConstantOp::create(b, loc, b.getI64Type(),
                                          b.getI64IntegerAttr(bytes - 1));
    LLVM::CallOp::create(b, loc, alignmentChecker(),
                         ValueRange{address, mask, messageAddress(loc, text)});
  };
  SmallVector<Operation *> accesses;
  kernel.walk([&](Operation *op) {
    if (isa<LLVM::LoadOp, LLVM::StoreOp>(op))
      accesses.push_back(op);
  });
  for (Operation *op : accesses) {
    if (auto load = dyn_cast<LLVM::LoadOp>(op))
      check(op, load.getAddr(), load.getType(), load.getAlignment(), "load");
    else if (auto store = dyn_cast<LLVM::StoreOp>(op))
      check(op, store.getAddr(), store.getValue().getType(),
            store.getAlignment(), "store");
  }
}

void EmulationBuilder::addApiGlobalAndBind() {
  Location loc = module.getLoc();
  b.setInsertionPointToStart(module.getBody());
  auto global = LLVM::GlobalOp::create(b, loc, ptr, /*isConstant=*/false,
                                       LLVM::Linkage::Internal, kApiGlobal,
                                       Attribute());
  {
    OpBuilder::InsertionGuard guard(b);
    b.createBlock(&global.getInitializerRegion());
    Value null = LLVM::ZeroOp::create(b, loc, ptr);
    LLVM::ReturnOp::create(b, loc, null);
  }

  // __dsv2_emu_bind(api): keeps the table; a table of another ABI version
  // traps through its own trap entry rather than being called wrongly.
  auto bind = LLVM::LLVMFuncOp::create(
      b, loc, kBindFunction,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {ptr}));
  Block *entry = bind.addEntryBlock(b);
  Block *mismatch = b.createBlock(&bind.getBody());
  Block *accept = b.createBlock(&bind.getBody());
  b.setInsertionPointToEnd(entry);
  Value api = entry->getArgument(0);
  Value version = LLVM::LoadOp::create(b, loc, b.getI32Type(), api);
  Value ok = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, version,
                                  i32(loc, kAbiVersion));
  LLVM::CondBrOp::create(b, loc, ok, accept, mismatch);

  b.setInsertionPointToEnd(mismatch);
  Value trapSlot = LLVM::GEPOp::create(
      b, loc, ptr, b.getI8Type(), api,
      ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(8 + 8 * Trap)});
  Value trap = LLVM::LoadOp::create(b, loc, ptr, trapSlot);
  StringRef message = "emulated kernels built for SIMT emulator ABI version 2";
  OpBuilder top = OpBuilder::atBlockBegin(module.getBody());
  auto text = LLVM::GlobalOp::create(
      top, loc,
      LLVM::LLVMArrayType::get(b.getI8Type(), message.size() + 1),
      /*isConstant=*/true, LLVM::Linkage::Internal, "__dsv2_emu_abi_message",
      b.getStringAttr(message.str() + '\0'));
  Value textAddress = LLVM::AddressOfOp::create(b, loc, text);
  LLVM::CallOp::create(
      b, loc,
      LLVM::LLVMFunctionType::get(LLVM::LLVMVoidType::get(context), {ptr}),
      ValueRange{trap, textAddress});
  LLVM::ReturnOp::create(b, loc, ValueRange{});

  b.setInsertionPointToEnd(accept);
  LLVM::StoreOp::create(b, loc, api,
                        LLVM::AddressOfOp::create(b, loc, ptr, kApiGlobal));
  LLVM::ReturnOp::create(b, loc, ValueRange{});
}

void EmulationBuilder::addEntryPoints(LLVM::LLVMFuncOp kernel, int64_t threads,
                                      int64_t sharedBytes) {
  Location loc = kernel.getLoc();
  std::string name = kernel.getSymName().str();
  Type voidType = LLVM::LLVMVoidType::get(context);
  b.setInsertionPointAfter(kernel);

  // name_thread(args): one GPU thread; args[i] points at argument i.
  auto thread = LLVM::LLVMFuncOp::create(
      b, loc, name + "_thread", LLVM::LLVMFunctionType::get(voidType, {ptr}));
  {
    OpBuilder::InsertionGuard guard(b);
    Block *entry = thread.addEntryBlock(b);
    b.setInsertionPointToStart(entry);
    SmallVector<Value> arguments;
    for (auto [index, type] :
         llvm::enumerate(kernel.getFunctionType().getParams())) {
      Value slot = LLVM::GEPOp::create(
          b, loc, ptr, ptr, entry->getArgument(0),
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(index)});
      Value address = LLVM::LoadOp::create(b, loc, ptr, slot);
      arguments.push_back(LLVM::LoadOp::create(b, loc, type, address));
    }
    LLVM::CallOp::create(b, loc, kernel, arguments);
    LLVM::ReturnOp::create(b, loc, ValueRange{});
  }

  // name_grid(args, gridX, gridY, gridZ, first, last).
  Type i32Type = b.getI32Type(), i64Type = b.getI64Type();
  b.setInsertionPointAfter(thread);
  auto grid = LLVM::LLVMFuncOp::create(
      b, loc, name + "_grid",
      LLVM::LLVMFunctionType::get(
          voidType, {ptr, i32Type, i32Type, i32Type, i64Type, i64Type}));
  OpBuilder::InsertionGuard guard(b);
  Block *entry = grid.addEntryBlock(b);
  b.setInsertionPointToStart(entry);
  Value threadEntry = LLVM::AddressOfOp::create(b, loc, thread);
  Value shared = LLVM::ConstantOp::create(b, loc, i64Type,
                                          b.getI64IntegerAttr(sharedBytes));
  SmallVector<Value> args = {threadEntry};
  llvm::append_range(args, entry->getArguments());
  args.push_back(i32(loc, threads));
  args.push_back(shared);
  call(loc, Launch, Type(), args);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
}

LogicalResult EmulationBuilder::run() {
  SmallVector<LLVM::LLVMFuncOp> kernels;
  for (auto function : module.getOps<LLVM::LLVMFuncOp>())
    if (function->hasAttr(kThreadsAttr))
      kernels.push_back(function);
  // Before the rewrite: its own loads (of the function table) need no check.
  for (LLVM::LLVMFuncOp kernel : kernels)
    addAlignmentChecks(kernel);
  if (failed(rewriteIntrinsics()))
    return failure();
  addApiGlobalAndBind();
  for (LLVM::LLVMFuncOp kernel : kernels) {
    int64_t threads =
        kernel->getAttrOfType<IntegerAttr>(kThreadsAttr).getInt();
    int64_t shared =
        kernel->getAttrOfType<IntegerAttr>(kSharedBytesAttr).getInt();
    for (StringRef attr : {NVVM::NVVMDialect::getKernelFuncAttrName(),
                           NVVM::NVVMDialect::getReqntidAttrName()})
      kernel->removeAttr(attr);
    addEntryPoints(kernel, threads, shared);
  }
  return success();
}

} // namespace

namespace mlir::dsv2 {
namespace {
struct Dsv2GpuToEmulationPass
    : impl::Dsv2GpuToEmulationPassBase<Dsv2GpuToEmulationPass> {
  void runOnOperation() override {
    if (failed(EmulationBuilder(getOperation()).run()))
      signalPassFailure();
  }
};
} // namespace
} // namespace mlir::dsv2

LogicalResult mlir::dsv2::gpu::lowerNVVMToEmulation(ModuleOp module) {
  return EmulationBuilder(module).run();
}
