//===- ParallelOptions.cpp - --tp and --ep of dsv2c's commands ------------===//

#include "tools/dsv2c/ParallelOptions.h"

namespace dsv2::tools {

llvm::Expected<dsv2::model::ParallelLayout>
parseParallelLayout(const CommandLine &cl) {
  dsv2::model::ParallelLayout layout;
  for (auto [name, value] : {std::pair{"tp", &layout.tp},
                             std::pair{"ep", &layout.ep}}) {
    auto given = cl.getInteger(name);
    if (!given)
      return given.takeError();
    *value = given->value_or(1);
    if (*value < 1)
      return cl.valueError(name, "must be at least 1");
  }
  return layout;
}

std::string describeParallelLayout(const dsv2::model::ParallelLayout &layout) {
  return "--tp " + std::to_string(layout.tp) + " --ep " +
         std::to_string(layout.ep);
}

} // namespace dsv2::tools
