//===- Passes.h - CPU code generation passes --------------------*- C++ -*-===//
//
// Part of dsv2c. Declarations and registration of the passes in
// codegen/cpu/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_PASSES_H
#define CODEGEN_CPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dsv2 {

#define GEN_PASS_DECL
#include "codegen/cpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/cpu/Passes.h.inc"

} // namespace mlir::dsv2

#endif // CODEGEN_CPU_PASSES_H
