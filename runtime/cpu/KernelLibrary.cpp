//===- KernelLibrary.cpp - Compiled CPU kernels, loaded with dlopen -------===//

#include "runtime/cpu/KernelLibrary.h"

#include "runtime/simt/SimtEmulator.h"

#include "absl/strings/str_cat.h"

#include <cerrno>
#include <cstring>
#include <dlfcn.h>
#include <sys/mman.h>
#include <unistd.h>

namespace dsv2::runtime {

/// An emulated GPU kernel library (SimtEmuAbi.h) exports the bind entry and
/// must receive the emulator's table before any launch; a plain CPU kernel
/// library does not export it.
static void bindSimtEmulator(void *handle) {
  using BindFunction = void (*)(const Dsv2SimtEmuApi *);
  if (void *bind = dlsym(handle, kSimtEmuBindSymbol))
    reinterpret_cast<BindFunction>(bind)(simtEmulatorApi());
}

absl::StatusOr<std::unique_ptr<KernelLibrary>>
KernelLibrary::open(const std::string &path) {
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = dlerror();
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot load kernel library ", path, ": ", reason ? reason : "unknown"));
  }
  bindSimtEmulator(handle);
  return std::unique_ptr<KernelLibrary>(new KernelLibrary(path, handle));
}

absl::StatusOr<std::unique_ptr<KernelLibrary>>
KernelLibrary::openImage(absl::Span<const uint8_t> image,
                         const std::string &name) {
  // dlopen needs a path: an anonymous memory file has one under /proc and
  // vanishes with its last reference.
  int fd = memfd_create("dsv2-kernels", MFD_CLOEXEC);
  if (fd < 0)
    return absl::InternalError(absl::StrCat(
        "cannot create an in-memory file for the kernels of ", name, ": ",
        std::strerror(errno)));
  const uint8_t *data = image.data();
  size_t left = image.size();
  while (left > 0) {
    ssize_t written = ::write(fd, data, left);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0) {
      std::string reason = std::strerror(errno);
      ::close(fd);
      return absl::InternalError(absl::StrCat(
          "cannot copy the kernels of ", name, " to memory: ", reason));
    }
    data += written;
    left -= written;
  }
  std::string path = absl::StrCat("/proc/self/fd/", fd);
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  ::close(fd);
  if (!handle) {
    const char *reason = dlerror();
    return absl::InvalidArgumentError(
        absl::StrCat("cannot load the kernels of ", name, ": ",
                     reason ? reason : "unknown"));
  }
  bindSimtEmulator(handle);
  return std::unique_ptr<KernelLibrary>(new KernelLibrary(name, handle));
}

KernelLibrary::~KernelLibrary() {
  if (handle)
    dlclose(handle);
}

absl::StatusOr<KernelGridFunction>
KernelLibrary::lookup(const std::string &kernel) const {
  std::string symbol = kernel + kKernelGridSuffix;
  void *address = dlsym(handle, symbol.c_str());
  if (!address)
    return absl::NotFoundError(absl::StrCat("kernel library ", path,
                                            " has no kernel '", kernel, "'"));
  return reinterpret_cast<KernelGridFunction>(address);
}

} // namespace dsv2::runtime
