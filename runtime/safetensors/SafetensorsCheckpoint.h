//===- SafetensorsCheckpoint.h - A whole safetensors checkpoint -*- C++ -*-===//
//
// A Hugging Face checkpoint as one name -> tensor table: either a single
// `model.safetensors`, or shards listed by `model.safetensors.index.json`
// (`weight_map`: tensor name -> shard file name). Each shard is mapped once
// and validated; every name the index lists must be in its shard.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_SAFETENSORSCHECKPOINT_H
#define RUNTIME_SAFETENSORS_SAFETENSORSCHECKPOINT_H

#include <functional>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/safetensors/SafetensorsFile.h"
#include "runtime/safetensors/TensorView.h"

namespace dsv2::runtime {

/// The file name of a sharded checkpoint's index.
inline constexpr absl::string_view kSafetensorsIndexFileName =
    "model.safetensors.index.json";
/// The file name of a single-file checkpoint.
inline constexpr absl::string_view kSafetensorsSingleFileName =
    "model.safetensors";

/// All tensors of a checkpoint, by name. Move-only; TensorViews stay valid
/// while it lives.
class SafetensorsCheckpoint {
 public:
  /// Opens the checkpoint in directory `dir`: through
  /// model.safetensors.index.json when present, else model.safetensors.
  /// NotFound when neither exists, when the index names a missing shard, or
  /// when a shard lacks a tensor the index sends to it.
  static absl::StatusOr<SafetensorsCheckpoint> openDirectory(
      const std::string& dir);

  /// Opens the single safetensors file at `path`; all its tensors.
  static absl::StatusOr<SafetensorsCheckpoint> openFile(
      const std::string& path);

  SafetensorsCheckpoint(SafetensorsCheckpoint&&) = default;
  SafetensorsCheckpoint& operator=(SafetensorsCheckpoint&&) = default;

  /// The directory or file the checkpoint was opened from.
  const std::string& source() const { return source_; }
  /// The tensor called `name`, or nullptr.
  const TensorView* find(absl::string_view name) const;
  /// All tensor names, sorted.
  std::vector<std::string> names() const;
  /// The number of tensors.
  size_t numTensors() const { return tensors_.size(); }
  /// The mapped files, one per shard.
  const std::vector<SafetensorsFile>& files() const { return files_; }

 private:
  SafetensorsCheckpoint(std::string source, std::vector<SafetensorsFile> files,
                        std::map<std::string, const TensorView*, std::less<>>
                            tensors)
      : source_(std::move(source)),
        files_(std::move(files)),
        tensors_(std::move(tensors)) {}

  static absl::StatusOr<SafetensorsCheckpoint> openIndex(
      const std::string& dir, const std::string& indexPath);

  std::string source_;
  std::vector<SafetensorsFile> files_;
  /// Points into `files_`' tensor vectors, whose storage moves keep.
  std::map<std::string, const TensorView*, std::less<>> tensors_;
};

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_SAFETENSORSCHECKPOINT_H
