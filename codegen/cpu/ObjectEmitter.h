//===- ObjectEmitter.h - LLVM dialect -> host object code -------*- C++ -*-===//
//
// Part of dsv2c. Translates a module in the LLVM dialect (the output of
// lowerTileToLLVM) to LLVM IR, optimizes it for a host CPU and writes an
// object file or a shared library. Numerics flags: codegen/cpu/README.md.
//
//===----------------------------------------------------------------------===//

#ifndef CODEGEN_CPU_OBJECTEMITTER_H
#define CODEGEN_CPU_OBJECTEMITTER_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"
#include "llvm/Target/TargetMachine.h"

#include <memory>
#include <string>
#include <vector>

namespace mlir::dsv2::cpu {

/// The machine code is generated for.
struct CpuTargetOptions {
  /// "host": the CPU running the compiler, with all its features; or an LLVM
  /// CPU name ("x86-64-v3", "znver3", "skylake-avx512") for code that does
  /// not depend on the build machine.
  std::string cpu = "host";
  /// Extra LLVM target features, e.g. "-avx512f" (appended).
  std::string features;
  /// LLVM optimization level 0..3 of the middle end and the code generator.
  unsigned optLevel = 3;
  /// Threads emitSharedLibrary optimizes and compiles on (0: one per
  /// hardware thread), each a part of the kernels (ModulePartition.h).
  unsigned threads = 0;
};

/// The host-triple TargetMachine for `options` (PIC, no unsafe FP math,
/// FP contraction only where the IR asks for it: llvm.fmuladd).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCpuTargetMachine(const CpuTargetOptions &options);

/// The CPU `options` resolve to (the host's name for "host") and which of
/// `candidates` (LLVM feature names such as "avx2") its code may use; the
/// engine records them so the runtime can refuse a CPU that lacks one.
struct CpuTargetDescription {
  std::string cpu;
  std::vector<std::string> features;
};
llvm::Expected<CpuTargetDescription>
describeCpuTarget(const CpuTargetOptions &options,
                  const std::vector<std::string> &candidates);

/// Translates `module` (LLVM dialect only) to LLVM IR in `llvmContext` with
/// the target's triple and data layout; runs the O`optLevel` pipeline when
/// `optimize` is set.
llvm::Expected<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                  const CpuTargetOptions &options, bool optimize = true);

/// The textual LLVM IR of `module` (for tests and `--emit=llvm`).
llvm::Expected<std::string> emitLLVMIRText(ModuleOp module,
                                           const CpuTargetOptions &options,
                                           bool optimize = true);

/// Writes `module` as a relocatable, position-independent object file.
llvm::Error emitObjectFile(ModuleOp module, llvm::StringRef path,
                           const CpuTargetOptions &options = {});

/// Writes `module` as a shared library at `path`: its functions split into
/// up to `options.threads` parts compiled in parallel, to `path`.N.o (or
/// one `path`.o), which the system C compiler links (`cc -shared -o path
/// path.*.o -lm`) and which are removed afterwards. Fails with the linker's
/// output when the link fails, or when no `cc` is on PATH.
llvm::Error emitSharedLibrary(ModuleOp module, llvm::StringRef path,
                              const CpuTargetOptions &options = {});

} // namespace mlir::dsv2::cpu

#endif // CODEGEN_CPU_OBJECTEMITTER_H
