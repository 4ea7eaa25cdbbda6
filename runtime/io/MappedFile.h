//===- MappedFile.h - Read-only memory-mapped file --------------*- C++ -*-===//
//
// RAII owner of a read-only, private memory mapping of a whole file. The
// runtime maps checkpoints and .npy files instead of reading them, so
// multi-gigabyte weights cost no copy until they are touched.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_IO_MAPPEDFILE_H
#define RUNTIME_IO_MAPPEDFILE_H

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace dsv2::runtime {

/// A whole regular file mapped read-only. The mapping (and the file
/// descriptor) are released when the object is destroyed. An empty file has
/// `size() == 0` and `data() == nullptr`.
class MappedFile {
 public:
  /// Maps the regular file at `path`. Errors (NotFound, PermissionDenied,
  /// InvalidArgument for a non-regular file, ...) name the path and carry
  /// strerror's text.
  static absl::StatusOr<std::unique_ptr<MappedFile>> open(
      const std::string& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  /// The first byte of the file, or nullptr for an empty file.
  const uint8_t* data() const { return data_; }
  /// The file's size in bytes at the time it was mapped.
  size_t size() const { return size_; }
  /// The whole file as a span.
  absl::Span<const uint8_t> bytes() const { return {data_, size_}; }
  /// The path the file was opened with.
  const std::string& path() const { return path_; }

 private:
  MappedFile(std::string path, int fd, const uint8_t* data, size_t size)
      : path_(std::move(path)), fd_(fd), data_(data), size_(size) {}

  std::string path_;
  int fd_;
  const uint8_t* data_;
  size_t size_;
};

}  // namespace dsv2::runtime

#endif  // RUNTIME_IO_MAPPEDFILE_H
