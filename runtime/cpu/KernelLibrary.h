//===- KernelLibrary.h - Compiled CPU kernels, loaded with dlopen -*- C++ -*-===//

#ifndef RUNTIME_CPU_KERNELLIBRARY_H
#define RUNTIME_CPU_KERNELLIBRARY_H

#include "runtime/engine/KernelAbi.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include <memory>
#include <string>

namespace dsv2::runtime {

/// A shared library of kernels built by the compiler for the host CPU.
class KernelLibrary {
public:
  static absl::StatusOr<std::unique_ptr<KernelLibrary>>
  open(const std::string &path);
  /// Loads a library from its bytes (an engine's kernel image) through an
  /// anonymous in-memory file; nothing is written to disk. `name` is used
  /// in errors.
  static absl::StatusOr<std::unique_ptr<KernelLibrary>>
  openImage(absl::Span<const uint8_t> image, const std::string &name);
  ~KernelLibrary();

  /// The grid entry point of `kernel`; NotFound names the kernel.
  absl::StatusOr<KernelGridFunction> lookup(const std::string &kernel) const;

private:
  KernelLibrary(std::string path, void *handle)
      : path(std::move(path)), handle(handle) {}
  std::string path;
  void *handle;
};

} // namespace dsv2::runtime

#endif // RUNTIME_CPU_KERNELLIBRARY_H
