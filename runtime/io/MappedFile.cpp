//===- MappedFile.cpp - Read-only memory-mapped file ----------------------===//
//
// open + fstat + mmap(PROT_READ, MAP_PRIVATE); munmap + close on destruction.
//
//===----------------------------------------------------------------------===//

#include "runtime/io/MappedFile.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace dsv2::runtime {

absl::StatusOr<std::unique_ptr<MappedFile>> MappedFile::open(
    const std::string& path) {
  int fd;
  do {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    const int error = errno;
    return absl::ErrnoToStatus(error, absl::StrCat("cannot open ", path));
  }

  struct stat info;
  if (::fstat(fd, &info) != 0) {
    const int error = errno;
    ::close(fd);
    return absl::ErrnoToStatus(error, absl::StrCat("cannot stat ", path));
  }
  if (!S_ISREG(info.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("cannot map ", path, ": not a regular file"));
  }
  if (info.st_size < 0 ||
      static_cast<unsigned long long>(info.st_size) >
          std::numeric_limits<size_t>::max()) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("cannot map ", path, ": file size ", info.st_size,
                     " is not addressable"));
  }

  const auto size = static_cast<size_t>(info.st_size);
  if (size == 0) {
    return std::unique_ptr<MappedFile>(
        new MappedFile(path, fd, nullptr, 0));
  }
  void* mapping = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (mapping == MAP_FAILED) {
    const int error = errno;
    ::close(fd);
    return absl::ErrnoToStatus(error, absl::StrCat("cannot map ", path));
  }
  return std::unique_ptr<MappedFile>(new MappedFile(
      path, fd, static_cast<const uint8_t*>(mapping), size));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr) {
    ::munmap(const_cast<uint8_t*>(data_), size_);
  }
  if (fd_ >= 0) {
    ::close(fd_);
  }
}

}  // namespace dsv2::runtime
