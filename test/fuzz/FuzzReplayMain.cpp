//===- FuzzReplayMain.cpp - Runs a fuzz target over files -----------------===//
//
// The main() of the replay executables, which the normal build (any
// compiler, no libFuzzer) links with each fuzz target's source: every file
// given, or found directly under a directory given, is passed once to
// LLVMFuzzerTestOneInput. ctest runs them over the committed corpora and
// crash regressions, so an input that once crashed a parser keeps being
// checked without clang. A crash ends the process, which fails the test.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

namespace {

bool replay(const std::string &path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "error: cannot read %s\n", path.c_str());
    return false;
  }
  std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  // Like libFuzzer, never hand over a null pointer for an empty input.
  uint8_t empty = 0;
  LLVMFuzzerTestOneInput(bytes.empty() ? &empty : bytes.data(), bytes.size());
  return true;
}

} // namespace

int main(int argc, char **argv) {
  namespace fs = std::filesystem;
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  size_t inputs = 0;
  for (int i = 1; i < argc; ++i) {
    std::error_code error;
    if (!fs::is_directory(argv[i], error)) {
      if (!replay(argv[i]))
        return 1;
      ++inputs;
      continue;
    }
    // error_code overloads throughout: MLIR-facing replays build without
    // exceptions.
    std::vector<std::string> files;
    for (fs::directory_iterator it(argv[i], error), end; !error && it != end;
         it.increment(error))
      if (it->is_regular_file(error) && it->path().filename() != "README.md")
        files.push_back(it->path().string());
    if (error) {
      std::fprintf(stderr, "error: cannot list %s: %s\n", argv[i],
                   error.message().c_str());
      return 1;
    }
    std::sort(files.begin(), files.end());
    for (const std::string &file : files) {
      if (!replay(file))
        return 1;
      ++inputs;
    }
  }
  std::printf("replayed %zu inputs without a crash\n", inputs);
  return 0;
}
