//===- MappedFile.h - Read-only memory-mapped file --------------*- C++ -*-===//
//
// RAII owner of a read-only, private memory mapping of a whole file. The
// runtime maps checkpoints and .npy files instead of reading them, so
// multi-gigabyte weights cost no copy until they are touched. CPU engines
// read their weight file into 2 MiB transparent huge pages instead: decode
// streams every weight once per step, and over 4 KiB page-cache pages it
// ran 10-25% slower (docs/perf.md, "Weights in huge pages").
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

/// Where a file's bytes live once opened.
enum class FileMemory {
  /// mmap of the file: no copy, pages shared with the page cache (4 KiB
  /// mappings unless the kernel maps larger folios).
  Mapped,
  /// A private copy in anonymous memory aligned to 2 MiB and advised for
  /// transparent huge pages (read-only once filled): fewer TLB misses and
  /// no prefetch stop at every 4 KiB when kernels stream it.
  HugePageCopy,
};

/// True when the kernel grants transparent huge pages to advised memory
/// (/sys/kernel/mm/transparent_hugepage/enabled is `always` or `madvise`).
bool transparentHugePagesAvailable();

/// The kernel's estimate of memory available without swapping
/// (/proc/meminfo MemAvailable), in bytes; 0 when unknown.
uint64_t memoryAvailableBytes();

/// A whole regular file mapped read-only. The mapping (and the file
/// descriptor) are released when the object is destroyed. An empty file has
/// `size() == 0` and `data() == nullptr`.
class MappedFile {
 public:
  /// Maps the regular file at `path`. Errors (NotFound, PermissionDenied,
  /// InvalidArgument for a non-regular file, ...) name the path and carry
  /// strerror's text.
  /// With FileMemory::HugePageCopy the file is read whole into the copy
  /// (an allocation failure or a short read is an error naming the path).
  static absl::StatusOr<std::unique_ptr<MappedFile>> open(
      const std::string& path, FileMemory memory = FileMemory::Mapped);

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
  /// How the bytes are held (an empty file is always Mapped: no memory).
  FileMemory memory() const { return memory_; }

 private:
  static absl::StatusOr<std::unique_ptr<MappedFile>> readIntoHugePages(
      const std::string& path, int fd, size_t size);

  MappedFile(std::string path, int fd, const uint8_t* data, size_t size,
             FileMemory memory, void* region, size_t regionBytes)
      : path_(std::move(path)), fd_(fd), data_(data), size_(size),
        memory_(memory), region_(region), regionBytes_(regionBytes) {}

  std::string path_;
  int fd_;
  const uint8_t* data_;
  size_t size_;
  FileMemory memory_;
  // What munmap releases: the file mapping, or the whole anonymous region
  // (data_ is its first 2 MiB boundary).
  void* region_;
  size_t regionBytes_;
};

}  // namespace dsv2::runtime

#endif  // RUNTIME_IO_MAPPEDFILE_H
