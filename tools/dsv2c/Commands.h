//===- Commands.h - The dsv2c subcommands -----------------------*- C++ -*-===//

#ifndef TOOLS_DSV2C_COMMANDS_H
#define TOOLS_DSV2C_COMMANDS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

namespace dsv2::tools {

/// Each subcommand gets the arguments after its name. An llvm::Error is a
/// user-facing failure (exit code 1), printed by the driver.
llvm::Error runCompile(llvm::ArrayRef<const char *> args);
llvm::Error runEmit(llvm::ArrayRef<const char *> args);
llvm::Error runEval(llvm::ArrayRef<const char *> args);
llvm::Error runReport(llvm::ArrayRef<const char *> args);
llvm::Error runTokenize(llvm::ArrayRef<const char *> args);
llvm::Error runDetokenize(llvm::ArrayRef<const char *> args);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_COMMANDS_H
