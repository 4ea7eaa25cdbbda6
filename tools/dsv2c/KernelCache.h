//===- KernelCache.h - Compiled kernels kept between runs -------*- C++ -*-===//
//
// Part of dsv2c. Code generation is most of a small engine's compile time
// (1.3 of 1.8 s for a test fixture's CPU engine) and it repeats exactly
// whenever the same kernels are compiled for the same target by the same
// dsv2c. The cache keeps each result (a kernel library, a cubin) in one
// directory under a key hashing everything that determines it: the
// generated code's input text, the target, and the compiler itself (this
// executable's size and modification time, the LLVM version), so a rebuilt
// dsv2c never reads an older one's entries. Entries carry a checksum; a
// damaged one is reported, removed and compiled again. A cache that cannot
// be written is a warning, never a failed compile. docs/engine.md, "The
// kernel cache".
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_KERNELCACHE_H
#define TOOLS_DSV2C_KERNELCACHE_H

#include "tools/dsv2c/CommandLine.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsv2::tools {

class KernelCache {
public:
  /// The directory `--kernel-cache DIR|off` names, else $DSV2_KERNEL_CACHE
  /// (a directory or "off"), else $XDG_CACHE_HOME/dsv2c/kernels or
  /// ~/.cache/dsv2c/kernels; nullopt when off (or with no home to default
  /// to). The directory is created on first store.
  static llvm::Expected<std::optional<KernelCache>>
  fromCommandLine(const CommandLine &cl);

  explicit KernelCache(std::string directory, uint64_t maxBytes);

  /// A key for the output of `kind` (e.g. "cpu-library", "cubin") from
  /// `inputs`, which must hold everything else the output depends on. The
  /// compiler's identity is added here.
  static std::string key(llvm::StringRef kind,
                         llvm::ArrayRef<llvm::StringRef> inputs);

  /// The entry of `key`, or nullopt (absent or damaged: a damaged entry is
  /// removed with a warning on stderr).
  std::optional<std::vector<uint8_t>> load(llvm::StringRef key) const;

  /// Stores `bytes` under `key` (atomically: readers see a whole entry or
  /// none), then removes the least recently used entries beyond the size
  /// limit. Failures are warnings.
  void store(llvm::StringRef key, llvm::ArrayRef<uint8_t> bytes) const;

  const std::string &getDirectory() const { return directory; }

private:
  std::string entryPath(llvm::StringRef key) const;
  void evictBeyondLimit() const;

  std::string directory;
  uint64_t maxBytes;
};

/// The text of `module` as a key input (no locations: they do not change
/// the code).
std::string keyText(mlir::ModuleOp module);

/// Adds --kernel-cache to a subcommand's options.
void addKernelCacheOption(std::vector<OptionSpec> &options);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_KERNELCACHE_H
