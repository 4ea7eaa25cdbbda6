//===- DynamicLibrary.h - dlopen with an environment override ---*- C++ -*-===//
//
// The driver (libcuda) and NCCL are opened at run time, each from a default
// soname or from a path in an environment variable (tests point them at
// fakes). Both open and look symbols up the same way; only their messages
// differ, so this returns the reason and leaves the wording to the caller.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CUDA_DYNAMICLIBRARY_H
#define RUNTIME_CUDA_DYNAMICLIBRARY_H

#include <dlfcn.h>

#include <string>

namespace dsv2::runtime::cuda {

struct OpenedLibrary {
  /// Null when the library could not be opened.
  void *handle = nullptr;
  /// What was opened: the variable's value when set, else the default name.
  std::string path;
  /// Why it failed, starting with the path ("libcuda.so.1: cannot open ...").
  std::string reason;
};

/// dlopen(RTLD_NOW | RTLD_LOCAL) of the path in environment variable
/// `variable` when it is set and not empty, else of `defaultName`.
OpenedLibrary openLibrary(const char *variable, const char *defaultName);

/// Points `slot` at symbol `name` of `handle`; false when it has none.
template <typename F> bool lookUp(void *handle, const char *name, F &slot) {
  void *symbol = dlsym(handle, name);
  if (!symbol)
    return false;
  slot = reinterpret_cast<F>(symbol);
  return true;
}

} // namespace dsv2::runtime::cuda

#endif // RUNTIME_CUDA_DYNAMICLIBRARY_H
