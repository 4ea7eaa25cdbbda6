//===- GridEntryPoints.cpp - The runtime's uniform kernel entry -----------===//

#include "codegen/cpu/GridEntryPoints.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/Builders.h"

namespace mlir::dsv2::cpu {

/// Number of trailing launch arguments the lowering appends (x, y, z and the
/// three grid extents).
static constexpr unsigned kLaunchArgs = 6;

static LogicalResult addGridEntryPoint(ModuleOp module, LLVM::LLVMFuncOp kernel) {
  MLIRContext *ctx = module.getContext();
  OpBuilder b(ctx);
  Location loc = kernel.getLoc();
  auto i32 = IntegerType::get(ctx, 32), i64 = IntegerType::get(ctx, 64);
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto voidType = LLVM::LLVMVoidType::get(ctx);
  LLVM::LLVMFunctionType kernelType = kernel.getFunctionType();
  unsigned userArgs = kernelType.getNumParams();
  if (userArgs < kLaunchArgs)
    return kernel.emitError("lowered kernel lacks the launch arguments");
  userArgs -= kLaunchArgs;

  b.setInsertionPointToEnd(module.getBody());
  auto entryType =
      LLVM::LLVMFunctionType::get(voidType, {ptr, i32, i32, i32, i64, i64});
  auto entry = LLVM::LLVMFuncOp::create(b, loc, (kernel.getName() + "_grid").str(),
                                        entryType);
  Block *prologue = entry.addEntryBlock(b);
  Block *header = new Block(), *body = new Block(), *exit = new Block();
  entry.getBody().push_back(header);
  entry.getBody().push_back(body);
  entry.getBody().push_back(exit);
  header->addArgument(i64, loc);

  // Prologue: every argument is loaded once, through args[i].
  b.setInsertionPointToStart(prologue);
  Value args = prologue->getArgument(0);
  SmallVector<Value> callArgs;
  for (unsigned i = 0; i < userArgs; ++i) {
    Value slot = LLVM::GEPOp::create(b, loc, ptr, ptr, args,
                                     ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)});
    Value address = LLVM::LoadOp::create(b, loc, ptr, slot);
    callArgs.push_back(
        LLVM::LoadOp::create(b, loc, kernelType.getParamType(i), address));
  }
  Value gx = prologue->getArgument(1), gy = prologue->getArgument(2),
        gz = prologue->getArgument(3);
  LLVM::BrOp::create(b, loc, ValueRange{prologue->getArgument(4)}, header);

  // Header: id < last ?
  b.setInsertionPointToStart(header);
  Value id = header->getArgument(0);
  Value more = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::slt, id,
                                    prologue->getArgument(5));
  LLVM::CondBrOp::create(b, loc, more, body, exit);

  // Body: id = x + nx * (y + ny * z).
  b.setInsertionPointToStart(body);
  Value nx64 = LLVM::SExtOp::create(b, loc, i64, gx);
  Value ny64 = LLVM::SExtOp::create(b, loc, i64, gy);
  Value x = LLVM::SRemOp::create(b, loc, id, nx64);
  Value rest = LLVM::SDivOp::create(b, loc, id, nx64);
  Value y = LLVM::SRemOp::create(b, loc, rest, ny64);
  Value z = LLVM::SDivOp::create(b, loc, rest, ny64);
  SmallVector<Value> operands(callArgs);
  for (Value coordinate : {x, y, z})
    operands.push_back(LLVM::TruncOp::create(b, loc, i32, coordinate));
  operands.append({gx, gy, gz});
  LLVM::CallOp::create(b, loc, kernel, operands);
  Value one = LLVM::ConstantOp::create(b, loc, i64, b.getI64IntegerAttr(1));
  Value next = LLVM::AddOp::create(b, loc, id, one);
  LLVM::BrOp::create(b, loc, ValueRange{next}, header);

  b.setInsertionPointToStart(exit);
  LLVM::ReturnOp::create(b, loc, ValueRange{});
  return success();
}

LogicalResult addGridEntryPoints(ModuleOp module,
                                 const std::vector<std::string> &kernels) {
  for (const std::string &name : kernels) {
    auto kernel = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
    if (!kernel)
      return module.emitError("no lowered kernel @") << name;
    if (failed(addGridEntryPoint(module, kernel)))
      return failure();
  }
  return success();
}

} // namespace mlir::dsv2::cpu
