//===- CommandLine.h - Options of one dsv2c subcommand ----------*- C++ -*-===//
//
// A small declarative parser: each subcommand lists its options, gets
// `--name value`, `--name=value` and `-o FILE` parsing, generated help, and
// errors that name the bad option and point at --help.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_COMMANDLINE_H
#define TOOLS_DSV2C_COMMANDLINE_H

#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>
#include <vector>

namespace dsv2::tools {

/// One option of a subcommand. `valueName` empty means a boolean flag.
struct OptionSpec {
  std::string name;
  std::string valueName;
  std::string help;
};

class CommandLine {
public:
  CommandLine(std::string command, std::string summary,
              std::vector<OptionSpec> options);

  /// Parses the arguments after the subcommand name. `--help` sets
  /// wantsHelp() instead of failing on missing options.
  llvm::Error parse(llvm::ArrayRef<const char *> args);

  bool wantsHelp() const { return helpRequested; }
  bool has(llvm::StringRef name) const { return values.count(name); }
  /// The value of `name`, or nullopt when absent.
  std::optional<std::string> get(llvm::StringRef name) const;
  /// The value of `name` parsed as an integer; errors name the option.
  llvm::Expected<std::optional<int64_t>> getInteger(llvm::StringRef name) const;

  void printHelp(llvm::raw_ostream &os) const;
  const std::string &getCommand() const { return command; }

  /// An error for a bad value, naming the option.
  llvm::Error valueError(llvm::StringRef name, const llvm::Twine &problem) const;

private:
  const OptionSpec *find(llvm::StringRef name) const;

  std::string command;
  std::string summary;
  std::vector<OptionSpec> options;
  llvm::StringMap<std::string> values;
  bool helpRequested = false;
};

/// Makes an llvm::Error from a message.
llvm::Error makeError(const llvm::Twine &message);

/// A mistake in how the command was called (unknown or malformed option,
/// missing or conflicting options); the driver exits with 2 for these and
/// with 1 for every other failure.
class UsageError : public llvm::ErrorInfo<UsageError> {
public:
  static char ID;
  explicit UsageError(std::string message) : message(std::move(message)) {}
  void log(llvm::raw_ostream &os) const override { os << message; }
  std::error_code convertToErrorCode() const override {
    return llvm::inconvertibleErrorCode();
  }

private:
  std::string message;
};

/// Makes a UsageError.
llvm::Error makeUsageError(const llvm::Twine &message);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_COMMANDLINE_H
