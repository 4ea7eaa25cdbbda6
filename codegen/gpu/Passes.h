//===- Passes.h - GPU code generation passes --------------------*- C++ -*-===//
//
// Part of dsv2c. Declarations and registration of the passes in
// codegen/gpu/Passes.td.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_GPU_PASSES_H
#define CODEGEN_GPU_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace mlir::dsv2 {

#define GEN_PASS_DECL
#include "codegen/gpu/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "codegen/gpu/Passes.h.inc"

} // namespace mlir::dsv2

#endif // CODEGEN_GPU_PASSES_H
