//===- dsv2-opt.cpp - mlir-opt for the dsv2 dialects ----------------------===//
//
// Parses, verifies, transforms and prints dsv2 IR. Accepts every registered
// pass by its flag, textual pipelines, and `--load-pass-plugin=LIB`.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/Dsv2Dialect.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "mlir/Transforms/Passes.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  registry.insert<mlir::dsv2::Dsv2Dialect, mlir::func::FuncDialect>();
  // Upstream passes our pipelines use (canonicalize, cse, symbol-dce, ...).
  mlir::registerTransformsPasses();
  mlir::dsv2::registerDsv2Passes();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "dsv2 optimizer driver (DeepSeek-V2 compiler)\n", registry));
}
