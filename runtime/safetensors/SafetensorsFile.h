//===- SafetensorsFile.h - One memory-mapped safetensors file ---*- C++ -*-===//
//
// Opens one .safetensors file with mmap and validates its header (see
// SafetensorsLayout.h). The tensors' bytes are read in place.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SAFETENSORS_SAFETENSORSFILE_H
#define RUNTIME_SAFETENSORS_SAFETENSORSFILE_H

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "runtime/io/MappedFile.h"
#include "runtime/safetensors/TensorView.h"

namespace dsv2::runtime {

/// A validated, memory-mapped safetensors file. Move-only; the TensorViews
/// it hands out stay valid while it (or whatever it was moved into) lives.
class SafetensorsFile {
 public:
  /// Maps and validates the file at `path`. Errors are one line naming the
  /// path: NotFound / PermissionDenied from opening, DataLoss when the file
  /// is truncated or a range lies outside it, InvalidArgument otherwise.
  static absl::StatusOr<SafetensorsFile> open(const std::string& path);

  SafetensorsFile(SafetensorsFile&&) = default;
  SafetensorsFile& operator=(SafetensorsFile&&) = default;

  /// The path the file was opened with.
  const std::string& path() const { return file_->path(); }
  /// All tensors, sorted by name.
  const std::vector<TensorView>& tensors() const { return tensors_; }
  /// The tensor called `name`, or nullptr.
  const TensorView* find(absl::string_view name) const;
  /// The header's `__metadata__` map (empty when absent).
  const std::map<std::string, std::string>& metadata() const {
    return metadata_;
  }

 private:
  SafetensorsFile(std::unique_ptr<MappedFile> file,
                  std::vector<TensorView> tensors,
                  std::map<std::string, std::string> metadata)
      : file_(std::move(file)),
        tensors_(std::move(tensors)),
        metadata_(std::move(metadata)) {}

  std::unique_ptr<MappedFile> file_;
  std::vector<TensorView> tensors_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace dsv2::runtime

#endif  // RUNTIME_SAFETENSORS_SAFETENSORSFILE_H
