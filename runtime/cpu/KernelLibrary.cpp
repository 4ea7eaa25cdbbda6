//===- KernelLibrary.cpp - Compiled CPU kernels, loaded with dlopen -------===//

#include "runtime/cpu/KernelLibrary.h"

#include "absl/strings/str_cat.h"

#include <dlfcn.h>

namespace dsv2::runtime {

absl::StatusOr<std::unique_ptr<KernelLibrary>>
KernelLibrary::open(const std::string &path) {
  void *handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char *reason = dlerror();
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot load kernel library ", path, ": ", reason ? reason : "unknown"));
  }
  return std::unique_ptr<KernelLibrary>(new KernelLibrary(path, handle));
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
