//===- EmitCommand.cpp - dsv2c emit ---------------------------------------===//
//
// Prints the model's IR at a stage. Needs no weights: `--preset deepseek-v2
// --stage graph` prints the full 60-layer module.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/GraphPipeline.h"
#include "tools/dsv2c/ModelSource.h"

#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/ToolOutputFile.h"

namespace dsv2::tools {

llvm::Error runEmit(llvm::ArrayRef<const char *> args) {
  std::vector<OptionSpec> options = modelSourceOptions(/*withWeights=*/false);
  options.push_back({"stage", "graph|optimized",
                     "graph: as imported; optimized: after --pipeline "
                     "(default graph)"});
  for (OptionSpec &option : pipelineOptions("dsv2-optimize"))
    options.push_back(option);
  options.push_back({"o", "FILE", "write to FILE instead of stdout"});
  CommandLine cl("dsv2c emit", "Print the model's IR at a compilation stage.",
                 options);
  if (llvm::Error error = cl.parse(args))
    return error;
  if (cl.wantsHelp()) {
    cl.printHelp(llvm::outs());
    return llvm::Error::success();
  }
  std::string stage = cl.get("stage").value_or("graph");
  if (stage != "graph" && stage != "optimized")
    return cl.valueError("stage", "'" + stage +
                                      "' is not available yet (available: "
                                      "graph, optimized)");
  if (stage == "graph" && cl.has("pipeline"))
    return cl.valueError("pipeline", "applies to --stage optimized; --stage "
                                     "graph prints the imported module");
  auto source = loadModelSource(cl, /*needWeights=*/false);
  if (!source)
    return source.takeError();

  mlir::MLIRContext context;
  auto module = buildPipelinedModule(context, *source, cl,
                                     stage == "graph" ? "none" : "dsv2-optimize");
  if (!module)
    return module.takeError();

  std::string error;
  auto output = mlir::openOutputFile(cl.get("o").value_or("-"), &error);
  if (!output)
    return makeError("dsv2c emit: " + error);
  (*module)->print(output->os());
  output->os() << "\n";
  output->keep();
  return llvm::Error::success();
}

} // namespace dsv2::tools
