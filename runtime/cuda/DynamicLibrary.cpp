//===- DynamicLibrary.cpp - dlopen with an environment override -----------===//

#include "runtime/cuda/DynamicLibrary.h"

#include <cstdlib>

namespace dsv2::runtime::cuda {

OpenedLibrary openLibrary(const char *variable, const char *defaultName) {
  OpenedLibrary library;
  const char *override = std::getenv(variable);
  library.path = override && *override ? override : defaultName;
  library.handle = dlopen(library.path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library.handle) {
    // dlerror() usually names the file already.
    const char *why = dlerror();
    library.reason = why ? why : library.path;
    if (library.reason.rfind(library.path, 0) != 0)
      library.reason = library.path + ": " + library.reason;
  }
  return library;
}

} // namespace dsv2::runtime::cuda
