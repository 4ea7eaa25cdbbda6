//===- KernelCatalog.h - Tile kernel templates, instantiated ----*- C++ -*-===//
//
// Every kernel kind is a tile-dialect template (codegen/kernels/*.mlir)
// whose static sizes, tile sizes and element types are `{{NAME}}`
// placeholders; `{{>part}}` includes a block that several templates share
// (codegen/kernels/parts/part.mlir), and `{{#KEY=VALUE}}...{{/KEY=VALUE}}`
// (`{{^...}}`: unless) keeps a section only for one parameter value, before
// the placeholders are filled. Kernel formation instantiates a kind with
// concrete values;
// the result is a `func.func` with a `tile.kernel` attribute, named after its
// kind and parameters so equal instances are shared.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_KERNELS_KERNELCATALOG_H
#define CODEGEN_KERNELS_KERNELCATALOG_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringMap.h"

#include <map>
#include <string>

namespace mlir::dsv2 {

/// Template parameters: name -> value text ("16", "bf16", "1.0e-06").
/// Ordered so instance names are stable.
using KernelParams = std::map<std::string, std::string>;

/// The kinds the catalog holds (file names without .mlir).
llvm::ArrayRef<llvm::StringRef> kernelKinds();

/// The template text of `kind`, or empty when unknown.
llvm::StringRef kernelTemplate(llvm::StringRef kind);

/// Substitutes `params` into the template of `kind`; every placeholder must
/// be given and every parameter used, else an error names them.
FailureOr<std::string> instantiateKernelText(llvm::StringRef kind,
                                             const KernelParams &params,
                                             std::string &error);

/// The unique symbol of an instance: kind, then the parameter values.
std::string kernelInstanceName(llvm::StringRef kind, const KernelParams &params);

/// Parses the instance into `module` (once per name) and returns its kernel.
/// The template's kernel function must be named `@{{KERNEL}}`.
FailureOr<func::FuncOp> instantiateKernel(ModuleOp module, llvm::StringRef kind,
                                          const KernelParams &params,
                                          std::string &error);

} // namespace mlir::dsv2

#endif // CODEGEN_KERNELS_KERNELCATALOG_H
