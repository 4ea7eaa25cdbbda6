//===- EngineWriter.h - Writes an engine and its weights atomically -*- C++ -*-===//
//
// The compiler streams packed weights into the rank's weight file, then
// commits the engine description. Both files are written under temporary
// names beside their final paths and renamed on commit, weights first: an
// interrupted compile leaves no file under the engine's name (or the
// previous engine, whose weight file then carries another build id and is
// refused), never an engine that loads wrong weights.
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
  /// Opens the temporary rank-0 weight file beside `enginePath`.
  static absl::StatusOr<std::unique_ptr<EngineWriter>>
  create(const std::string &enginePath);
  /// Removes the temporary files unless commit() succeeded.
  ~EngineWriter();
  EngineWriter(const EngineWriter &) = delete;
  EngineWriter &operator=(const EngineWriter &) = delete;

  /// Appends the packed bytes of plan buffer `buffer` (64-byte aligned) and
  /// records its checksum.
  absl::Status addWeight(int32_t buffer, const std::string &name,
                         absl::Span<const uint8_t> bytes);
  /// Bytes of the weight file so far.
  uint64_t weightFileBytes() const { return offset; }

  /// Writes the engine (its plan must name exactly the weights added, see
  /// EngineReader's checks) and renames both files into place.
  absl::Status commit(const EngineDescription &description,
                      absl::Span<const uint8_t> kernelImage);

  /// Paths that exist only until commit; for a signal handler that removes
  /// them when the compile is interrupted.
  std::vector<std::string> temporaryPaths() const;

private:
  EngineWriter(std::string enginePath, std::string weightsPath,
               std::string weightsTemporary, int fd, BuildId buildId);
  absl::Status writeAt(uint64_t position, const void *data, size_t size);

  std::string enginePath, weightsPath, weightsTemporary, engineTemporary;
  int fd;
  BuildId buildId;
  uint64_t offset = kWeightsHeaderBytes;
  std::vector<PackedWeight> weights;
  bool committed = false;
};

/// Serializes an engine description into the bytes of an engine file
/// (header + flatbuffer). Exposed for tests that craft engines.
std::vector<uint8_t> serializeEngine(const EngineDescription &description,
                                     absl::Span<const uint8_t> kernelImage,
                                     const BuildId &buildId,
                                     const std::string &weightFileName,
                                     uint64_t weightFileBytes,
                                     const std::vector<PackedWeight> &weights);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_ENGINEWRITER_H
