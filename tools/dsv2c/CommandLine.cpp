//===- CommandLine.cpp - Options of one dsv2c subcommand ------------------===//

#include "tools/dsv2c/CommandLine.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

namespace dsv2::tools {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

char UsageError::ID = 0;

llvm::Error makeUsageError(const llvm::Twine &message) {
  return llvm::make_error<UsageError>(message.str());
}

CommandLine::CommandLine(std::string command, std::string summary,
                         std::vector<OptionSpec> options)
    : command(std::move(command)), summary(std::move(summary)),
      options(std::move(options)) {}

const OptionSpec *CommandLine::find(llvm::StringRef name) const {
  for (const OptionSpec &spec : options)
    if (spec.name == name)
      return &spec;
  return nullptr;
}

llvm::Error CommandLine::parse(llvm::ArrayRef<const char *> args) {
  for (size_t i = 0; i < args.size(); ++i) {
    llvm::StringRef arg = args[i];
    if (arg == "--help" || arg == "-h") {
      helpRequested = true;
      continue;
    }
    llvm::StringRef name, value;
    bool hasInlineValue = false;
    if (arg == "-o") {
      name = "o";
    } else if (arg.consume_front("--")) {
      std::tie(name, value) = arg.split('=');
      hasInlineValue = arg.contains('=');
    } else {
      return makeUsageError(llvm::formatv("{0}: unexpected argument '{1}' (options "
                                     "start with --; see {0} --help)",
                                     command, arg));
    }
    const OptionSpec *spec = find(name);
    if (!spec)
      return makeUsageError(llvm::formatv("{0}: unknown option '{1}' (see {0} --help)",
                                     command, args[i]));
    if (spec->valueName.empty()) {
      if (hasInlineValue)
        return makeUsageError(llvm::formatv("{0}: option --{1} takes no value",
                                       command, name));
      values[name] = "";
      continue;
    }
    if (!hasInlineValue) {
      if (i + 1 >= args.size())
        return makeUsageError(llvm::formatv("{0}: option {1} needs a value ({2})",
                                       command, args[i], spec->valueName));
      value = args[++i];
    }
    values[name] = value.str();
  }
  return llvm::Error::success();
}

std::optional<std::string> CommandLine::get(llvm::StringRef name) const {
  auto it = values.find(name);
  if (it == values.end())
    return std::nullopt;
  return it->second;
}

llvm::Error CommandLine::valueError(llvm::StringRef name,
                                    const llvm::Twine &problem) const {
  return makeUsageError(llvm::formatv("{0}: --{1}: {2}", command, name,
                                      problem.str()));
}

llvm::Expected<std::optional<int64_t>>
CommandLine::getInteger(llvm::StringRef name) const {
  std::optional<std::string> text = get(name);
  if (!text)
    return std::nullopt;
  int64_t value;
  if (llvm::StringRef(*text).getAsInteger(10, value))
    return valueError(name, "'" + *text + "' is not an integer");
  return value;
}

void CommandLine::printHelp(llvm::raw_ostream &os) const {
  os << "usage: " << command << " [options]\n\n" << summary << "\n\noptions:\n";
  for (const OptionSpec &spec : options) {
    std::string left = (spec.name.size() == 1 ? "-" : "--") + spec.name;
    if (!spec.valueName.empty())
      left += " " + spec.valueName;
    os << llvm::formatv("  {0,-28} {1}\n", left, spec.help);
  }
  os << llvm::formatv("  {0,-28} {1}\n", "--help", "show this help");
}

} // namespace dsv2::tools
