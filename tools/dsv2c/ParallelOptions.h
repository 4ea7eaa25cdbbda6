//===- ParallelOptions.h - --tp and --ep of dsv2c's commands ----*- C++ -*-===//
//
// compile, eval and report take the same tensor/expert-parallel layout.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_PARALLELOPTIONS_H
#define TOOLS_DSV2C_PARALLELOPTIONS_H

#include "tools/dsv2c/CommandLine.h"

#include "models/deepseek_v2/Sharding.h"

namespace dsv2::tools {

/// --tp N and --ep M (each default 1, at least 1).
llvm::Expected<dsv2::model::ParallelLayout>
parseParallelLayout(const CommandLine &cl);

/// "--tp N --ep M", for messages.
std::string describeParallelLayout(const dsv2::model::ParallelLayout &layout);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_PARALLELOPTIONS_H
