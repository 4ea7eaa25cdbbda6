//===- EngineReader.h - Loads and verifies an engine ------------*- C++ -*-===//
//
// Maps an engine file and its weight file, and checks everything before
// anything runs: magic, schema version, size, the flatbuffer's checksum and
// structure, the plan's internal references (buffer indices, weight ranges),
// the weight file's header and build id, and each weight's checksum. Every
// failure is one message naming the file and the problem.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_ENGINEREADER_H
#define RUNTIME_ENGINE_ENGINEREADER_H

#include "runtime/engine/EngineFormat.h"
#include "runtime/io/MappedFile.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv2::runtime {

struct EngineLoadOptions {
  /// Check every weight's checksum (reads all weight bytes once).
  bool verifyWeights = true;
};

class LoadedEngine {
public:
  static absl::StatusOr<std::unique_ptr<LoadedEngine>>
  open(const std::string &path, const EngineLoadOptions &options = {});

  const EngineDescription &description() const { return info; }
  const LaunchPlan &plan() const { return info.plan; }
  /// The compiled kernels (for cpu: an ELF shared object), inside the mapping.
  absl::Span<const uint8_t> kernelImage() const { return image; }
  /// For every plan buffer: the address of its packed weight bytes in the
  /// mapped weight file, or null (not a packed weight).
  const std::vector<const void *> &weightAddresses() const { return addresses; }
  uint64_t weightFileBytes() const { return weights ? weights->size() : 0; }
  const std::string &path() const { return enginePath; }
  const std::string &weightPath() const { return weightsPath; }

private:
  LoadedEngine() = default;

  std::string enginePath, weightsPath;
  std::unique_ptr<MappedFile> engine, weights;
  EngineDescription info;
  absl::Span<const uint8_t> image;
  std::vector<const void *> addresses;
};

/// An engine file's contents, checked, with the kernel image still inside
/// the bytes it was parsed from.
struct ParsedEngine {
  EngineDescription description;
  BuildId buildId{};
  std::string weightFile;
  uint64_t weightFileBytes = 0;
  std::vector<PackedWeight> weights;
  absl::Span<const uint8_t> kernelImage;
};

/// Parses and checks the bytes of an engine file (no weight file is
/// touched); `source` names the bytes in errors. LoadedEngine::open and the
/// engine fuzzer use it.
absl::StatusOr<ParsedEngine> parseEngine(absl::Span<const uint8_t> file,
                                         const std::string &source);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_ENGINEREADER_H
