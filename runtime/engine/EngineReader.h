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
  /// The rank whose plan and weight file to load (0 .. world size - 1).
  int rank = 0;
  /// CPU engines (target "cpu"): read the weight file into 2 MiB huge pages
  /// when the kernel grants them and memory allows (FileMemory::
  /// HugePageCopy): decode streams every weight each step. Otherwise, and
  /// for GPU or emulated engines, map it (the CUDA executor uploads from
  /// the mapping). Off by default: the copy costs load time (in VMs that
  /// hand freed memory back to the host, up to seconds per GiB).
  bool hugePageWeights = false;
};

class LoadedEngine {
public:
  static absl::StatusOr<std::unique_ptr<LoadedEngine>>
  open(const std::string &path, const EngineLoadOptions &options = {});

  /// The loaded rank's plan is `description().plan`.
  const EngineDescription &description() const { return info; }
  const LaunchPlan &plan() const { return info.plan; }
  int rank() const { return info.plan.rank; }
  /// Random per compile: ranks compare it before they run together.
  const BuildId &buildId() const { return id; }
  /// The compiled kernels (for cpu: an ELF shared object), inside the mapping.
  absl::Span<const uint8_t> kernelImage() const { return image; }
  /// For every plan buffer: the address of its packed weight bytes in the
  /// mapped weight file, or null (not a packed weight).
  const std::vector<const void *> &weightAddresses() const { return addresses; }
  uint64_t weightFileBytes() const { return weights ? weights->size() : 0; }
  /// Whether the weights are a mapping of their file or a huge-page copy.
  FileMemory weightMemory() const {
    return weights ? weights->memory() : FileMemory::Mapped;
  }
  /// Why the weights were mapped although huge pages were asked for (not a
  /// cpu engine, no transparent huge pages, too little memory); else empty.
  const std::string &weightMemoryNote() const { return weightsNote; }
  const std::string &path() const { return enginePath; }
  const std::string &weightPath() const { return weightsPath; }

private:
  LoadedEngine() = default;

  std::string enginePath, weightsPath, weightsNote;
  std::unique_ptr<MappedFile> engine, weights;
  EngineDescription info;
  BuildId id{};
  absl::Span<const uint8_t> image;
  std::vector<const void *> addresses;
};

/// An engine file's contents, checked, with the kernel image still inside
/// the bytes it was parsed from.
struct ParsedEngine {
  /// `description.plan` is the selected rank's plan.
  EngineDescription description;
  BuildId buildId{};
  /// The selected rank's weight file and weights.
  std::string weightFile;
  uint64_t weightFileBytes = 0;
  std::vector<PackedWeight> weights;
  absl::Span<const uint8_t> kernelImage;
  /// Every rank's program, in rank order (each checked).
  std::vector<RankProgramInfo> ranks;
};

/// Parses and checks the bytes of an engine file, every rank's program
/// included (no weight file is touched), and selects rank `rank`'s; `source`
/// names the bytes in errors. LoadedEngine::open and the engine fuzzer use
/// it.
absl::StatusOr<ParsedEngine> parseEngine(absl::Span<const uint8_t> file,
                                         const std::string &source,
                                         int rank = 0);

/// What the ranks of a multi-rank run compare before they load their
/// programs.
struct EngineIdentity {
  BuildId buildId{};
  EngineParallelInfo parallel;
};

/// Reads and checks the engine file at `path` like LoadedEngine::open, but
/// touches no weight file: how many ranks it spans, before a rank knows
/// which one it is.
absl::StatusOr<EngineIdentity> readEngineIdentity(const std::string &path);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_ENGINEREADER_H
