//===- BenchFlags.h - Command lines of the kernel benchmarks ----*- C++ -*-===//
//
// What dsv2-latent-attention-bench and dsv2-causal-attention-bench share on
// their command lines: `--flag value` pairs, counts and comma lists,
// `--help`, one usage line (exit 2) on any error, and the command echoed
// before the results so that every figure comes with what produced it.
//
//===----------------------------------------------------------------------===//

#ifndef TEST_UNIT_KERNELS_BENCHFLAGS_H
#define TEST_UNIT_KERNELS_BENCHFLAGS_H

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

namespace dsv2::test {

class BenchFlags {
public:
  /// `synopsis`: the flags as the usage line shows them; `summary`: what
  /// --help says the tool does.
  BenchFlags(const char *tool, const char *synopsis, const char *summary,
             int argc, char **argv)
      : tool(tool), synopsis(synopsis), summary(summary), argc(argc),
        argv(argv) {}

  /// The next `--flag value` pair; false after the last.
  bool next(std::string &flag, std::string &value) {
    if (at >= argc)
      return false;
    flag = argv[at++];
    if (flag == "--help" || flag == "-h")
      fail(summary);
    if (at >= argc)
      fail(flag + " needs a value");
    value = argv[at++];
    return true;
  }

  [[noreturn]] void fail(const std::string &message) const {
    std::fprintf(stderr, "%s: %s\nusage: %s %s\n", tool, message.c_str(),
                 tool, synopsis);
    std::exit(2);
  }

  /// `text` as a count of at least `least` (and at most 2^20).
  int64_t count(const std::string &flag, const std::string &text,
                int64_t least = 1) const {
    char *end = nullptr;
    long long value = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || value < least || value > (1 << 20))
      fail(flag + ": '" + text + "' is not " +
           (least == 1 ? std::string("a positive count")
                       : "a count of " + std::to_string(least) + " or more"));
    return value;
  }

  /// `text` split at `separator`, each part a count of at least `least`.
  std::vector<int64_t> counts(const std::string &flag,
                              const std::string &text, char separator = ',',
                              int64_t least = 1) const {
    std::vector<int64_t> values;
    std::stringstream list(text);
    for (std::string item; std::getline(list, item, separator);)
      values.push_back(count(flag, item, least));
    return values;
  }

  /// "$ tool args..." on stdout.
  void echo() const {
    std::printf("$");
    for (int i = 0; i < argc; ++i)
      std::printf(" %s", argv[i]);
    std::printf("\n");
  }

private:
  const char *tool, *synopsis, *summary;
  int argc;
  char **argv;
  int at = 1;
};

} // namespace dsv2::test

#endif // TEST_UNIT_KERNELS_BENCHFLAGS_H
