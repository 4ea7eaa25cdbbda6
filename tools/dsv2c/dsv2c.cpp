//===- dsv2c.cpp - The DeepSeek-V2 compiler driver ------------------------===//
//
// dsv2c <command> [options]: compile engines, emit IR, evaluate with the reference
// interpreter, report model figures. Errors go to stderr as one line
// "dsv2c: error: ..." with exit code 1; usage errors exit with 2.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2c/Commands.h"
#include "tools/dsv2c/CommandLine.h"

#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

namespace {

struct Command {
  const char *name;
  const char *summary;
  llvm::Error (*run)(llvm::ArrayRef<const char *>);
};

const Command kCommands[] = {
    {"compile", "compile a model into an engine for dsv2-run",
     dsv2::tools::runCompile},
    {"emit", "print the model's IR at a stage (graph)", dsv2::tools::runEmit},
    {"eval", "run tokens through the reference interpreter, dump logits",
     dsv2::tools::runEval},
    {"report", "parameter counts, KV-cache bytes per token, layers",
     dsv2::tools::runReport},
    {"tokenize", "text -> token ids with a tokenizer.json",
     dsv2::tools::runTokenize},
    {"detokenize", "token ids -> text with a tokenizer.json",
     dsv2::tools::runDetokenize},
};

void printUsage(llvm::raw_ostream &os) {
  os << "usage: dsv2c <command> [options]\n\n"
        "The DeepSeek-V2 compiler. Commands:\n";
  for (const Command &command : kCommands)
    os << "  " << llvm::left_justify(command.name, 10) << " " << command.summary
       << "\n";
  os << "\nRun 'dsv2c <command> --help' for the options of a command.\n";
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  if (argc < 2) {
    printUsage(llvm::errs());
    return 2;
  }
  llvm::StringRef name = argv[1];
  if (name == "--help" || name == "-h" || name == "help") {
    printUsage(llvm::outs());
    return 0;
  }
  for (const Command &command : kCommands) {
    if (name != command.name)
      continue;
    llvm::Error error = command.run(llvm::ArrayRef<const char *>(argv + 2, argc - 2));
    if (!error)
      return 0;
    int exitCode = error.isA<dsv2::tools::UsageError>() ? 2 : 1;
    llvm::WithColor::error(llvm::errs(), "dsv2c")
        << llvm::toString(std::move(error)) << "\n";
    return exitCode;
  }
  std::string names;
  for (const Command &command : kCommands)
    names += (names.empty() ? "" : ", ") + std::string(command.name);
  llvm::WithColor::error(llvm::errs(), "dsv2c")
      << "unknown command '" << name << "' (commands: " << names
      << "; see dsv2c --help)\n";
  return 2;
}
