//===- dsv2-opt.cpp - mlir-opt for the dsv2 dialects ----------------------===//
//
// Parses, verifies, transforms and prints dsv2 IR. Accepts every registered
// pass by its flag, textual pipelines, and `--load-pass-plugin=LIB`.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Passes.h"
#include "codegen/cpu/Pipeline.h"
#include "codegen/gpu/Passes.h"
#include "codegen/gpu/Pipeline.h"
#include "dialect/dsv2/Dsv2Dialect.h"
#include "dialect/tile/TileDialect.h"
#include "passes/Passes.h"
#include "passes/Pipelines.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/ControlFlow/IR/ControlFlow.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/WithColor.h"

/// MlirOptMain only warns about a plugin it cannot load and goes on; a typo
/// in a plugin path should stop the run instead.
static bool pluginPathsExist(int argc, char **argv) {
  for (int i = 1; i < argc; ++i) {
    llvm::StringRef arg = argv[i], path;
    if (arg.consume_front("--load-pass-plugin=") ||
        arg.consume_front("-load-pass-plugin="))
      path = arg;
    else if ((arg == "--load-pass-plugin" || arg == "-load-pass-plugin") &&
             i + 1 < argc)
      path = argv[i + 1];
    else
      continue;
    if (!llvm::sys::fs::exists(path)) {
      llvm::WithColor::error(llvm::errs(), "dsv2-opt")
          << "pass plugin '" << path << "' does not exist\n";
      return false;
    }
  }
  return true;
}

int main(int argc, char **argv) {
  if (!pluginPathsExist(argc, argv))
    return 1;
  mlir::DialectRegistry registry;
  registry.insert<mlir::dsv2::Dsv2Dialect, mlir::func::FuncDialect>();
  // Kernel IR: tile ops with upstream arith/math on tiles and scf loops.
  registry.insert<mlir::tile::TileDialect, mlir::arith::ArithDialect,
                  mlir::math::MathDialect, mlir::scf::SCFDialect>();
  // CPU code generation: what tile kernels lower to.
  registry.insert<mlir::vector::VectorDialect, mlir::LLVM::LLVMDialect,
                  mlir::cf::ControlFlowDialect, mlir::ub::UBDialect>();
  // GPU code generation: NVVM-level kernels.
  registry.insert<mlir::NVVM::NVVMDialect>();
  // Upstream passes our pipelines use (canonicalize, cse, symbol-dce, ...).
  mlir::registerTransformsPasses();
  mlir::dsv2::registerDsv2Passes();
  mlir::dsv2::registerDsv2Pipelines();
  mlir::dsv2::registerDsv2CodegenPasses();
  mlir::dsv2::cpu::registerDsv2CpuPipelines();
  mlir::dsv2::registerDsv2GpuCodegenPasses();
  mlir::dsv2::gpu::registerDsv2GpuPipelines();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "dsv2 optimizer driver (DeepSeek-V2 compiler)\n", registry));
}
