//===- EngineWriter.h - Writes an engine and its weights atomically -*- C++ -*-===//
//
// The compiler streams packed weights into each rank's weight file, then
// commits the engine description with every rank's plan. All files are
// written under temporary names beside their final paths and renamed on
// commit, weight files first: an interrupted compile leaves no file under
// the engine's name (or the previous engine, whose weight files then carry
// another build id and are refused), never an engine that loads wrong
// weights.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_ENGINEWRITER_H
#define RUNTIME_ENGINE_ENGINEWRITER_H

#include "runtime/engine/EngineFormat.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include <memory>
#include <string>
#include <vector>

namespace dsv2::runtime {

class EngineWriter {
public:
  /// Opens one temporary weight file per rank (`worldSize` of them) beside
  /// `enginePath`.
  static absl::StatusOr<std::unique_ptr<EngineWriter>>
  create(const std::string &enginePath, int worldSize = 1);
  /// Removes the temporary files unless commit() succeeded.
  ~EngineWriter();
  EngineWriter(const EngineWriter &) = delete;
  EngineWriter &operator=(const EngineWriter &) = delete;

  /// Appends the packed bytes of rank `rank`'s plan buffer `buffer` to that
  /// rank's weight file (64-byte aligned) and records its checksum.
  absl::Status addWeight(int rank, int32_t buffer, const std::string &name,
                         absl::Span<const uint8_t> bytes);
  /// Rank 0's weight (a single-rank engine).
  absl::Status addWeight(int32_t buffer, const std::string &name,
                         absl::Span<const uint8_t> bytes) {
    return addWeight(0, buffer, name, bytes);
  }
  /// Bytes of rank `rank`'s weight file so far.
  uint64_t weightFileBytes(int rank = 0) const;

  /// Writes the engine with one program per rank (`rankPlans[r].rank == r`,
  /// all with the same tp x ep = worldSize; `description.plan` and
  /// `description.parallel` are ignored), each plan naming exactly the
  /// weights added for its rank (see EngineReader's checks), and renames
  /// every file into place.
  absl::Status commit(const EngineDescription &description,
                      absl::Span<const LaunchPlan> rankPlans,
                      absl::Span<const uint8_t> kernelImage);
  /// A single-rank engine: `description.plan` is rank 0's plan.
  absl::Status commit(const EngineDescription &description,
                      absl::Span<const uint8_t> kernelImage);

  /// Paths that exist only until commit; for a signal handler that removes
  /// them when the compile is interrupted.
  std::vector<std::string> temporaryPaths() const;

private:
  /// One rank's weight file while it is written.
  struct RankFile {
    std::string path, temporary;
    int fd = -1;
    uint64_t offset = kWeightsHeaderBytes;
    std::vector<PackedWeight> weights;
  };
  EngineWriter(std::string enginePath, BuildId buildId);
  absl::Status writeAt(RankFile &file, uint64_t position, const void *data,
                       size_t size);
  absl::Status finishWeightFile(int rank);

  std::string enginePath, engineTemporary;
  std::vector<RankFile> ranks;
  BuildId buildId;
  bool committed = false;
};

/// Serializes an engine description with one program per rank into the
/// bytes of an engine file (header + flatbuffer); the parallel plan comes
/// from the rank plans. Exposed for tests that craft engines, so it writes
/// what it is given, consistent or not.
std::vector<uint8_t> serializeEngine(const EngineDescription &description,
                                     absl::Span<const RankProgramInfo> ranks,
                                     absl::Span<const uint8_t> kernelImage,
                                     const BuildId &buildId);
/// A single-rank engine whose plan is `description.plan`.
std::vector<uint8_t> serializeEngine(const EngineDescription &description,
                                     absl::Span<const uint8_t> kernelImage,
                                     const BuildId &buildId,
                                     const std::string &weightFileName,
                                     uint64_t weightFileBytes,
                                     const std::vector<PackedWeight> &weights);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_ENGINEWRITER_H
