//===- KernelCache.cpp - Compiled kernels kept between runs ---------------===//

#include "tools/dsv2c/KernelCache.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Chrono.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SHA256.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <utime.h>

namespace dsv2::tools {

namespace {

// An entry: magic, payload bytes (u64 little-endian), SHA-256 of the
// payload, payload. The key is the file name, so the header need not
// repeat it.
constexpr char kMagic[8] = {'D', 'S', 'V', '2', 'K', 'C', '1', '\n'};
constexpr size_t kDigestBytes = 32;
constexpr size_t kHeaderBytes = sizeof(kMagic) + 8 + kDigestBytes;
constexpr llvm::StringLiteral kEntrySuffix = ".kernels";
constexpr uint64_t kDefaultMaxBytes = uint64_t(1) << 30;

std::array<uint8_t, kDigestBytes> digestOf(llvm::ArrayRef<uint8_t> bytes) {
  llvm::SHA256 hasher;
  hasher.update(bytes);
  return hasher.final();
}

/// What makes this dsv2c's code generation what it is: the executable
/// (a rebuild changes its size or time) and the LLVM it links. nullopt when
/// the executable cannot be found, which turns the cache off.
const std::optional<std::string> &compilerIdentity() {
  static const std::optional<std::string> identity =
      []() -> std::optional<std::string> {
    // Without /proc, getMainExecutable would need argv[0]; no cache then.
    if (!llvm::sys::fs::exists("/proc/self/exe"))
      return std::nullopt;
    std::string exe = llvm::sys::fs::getMainExecutable(nullptr, nullptr);
    llvm::sys::fs::file_status status;
    if (exe.empty() || llvm::sys::fs::status(exe, status))
      return std::nullopt;
    return llvm::formatv("{0}|{1}|{2}|llvm " LLVM_VERSION_STRING, exe,
                         status.getSize(),
                         status.getLastModificationTime().time_since_epoch()
                             .count())
        .str();
  }();
  return identity;
}

void warn(const llvm::Twine &message) {
  llvm::errs() << "dsv2c: warning: kernel cache: " << message << "\n";
}

/// $DSV2_KERNEL_CACHE_MAX_MIB (a positive number, fractions allowed), else
/// 1 GiB.
llvm::Expected<uint64_t> maxBytesFromEnvironment() {
  const char *value = std::getenv("DSV2_KERNEL_CACHE_MAX_MIB");
  if (!value)
    return kDefaultMaxBytes;
  double mib = 0;
  if (llvm::StringRef(value).getAsDouble(mib) || !(mib > 0) || mib > 1e9)
    return makeUsageError(llvm::Twine("DSV2_KERNEL_CACHE_MAX_MIB: '") + value +
                          "' is not a positive number of MiB");
  return static_cast<uint64_t>(mib * (1 << 20));
}

} // namespace

llvm::Expected<std::optional<KernelCache>>
KernelCache::fromCommandLine(const CommandLine &cl) {
  std::optional<std::string> chosen = cl.get("kernel-cache");
  if (!chosen)
    if (const char *env = std::getenv("DSV2_KERNEL_CACHE"))
      chosen = env;
  if (chosen && chosen->empty())
    return cl.valueError("kernel-cache", "give a directory or 'off'");
  if (chosen && (*chosen == "off" || *chosen == "0"))
    return std::nullopt;
  std::string directory;
  if (chosen) {
    directory = *chosen;
  } else {
    llvm::SmallString<256> base;
    if (const char *xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg) {
      base = xdg;
    } else if (const char *home = std::getenv("HOME"); home && *home) {
      base = home;
      llvm::sys::path::append(base, ".cache");
    } else {
      return std::nullopt; // nowhere to keep it by default
    }
    llvm::sys::path::append(base, "dsv2c", "kernels");
    directory = base.str().str();
  }
  if (!compilerIdentity())
    return std::nullopt;
  auto maxBytes = maxBytesFromEnvironment();
  if (!maxBytes)
    return maxBytes.takeError();
  return KernelCache(std::move(directory), *maxBytes);
}

KernelCache::KernelCache(std::string directory, uint64_t maxBytes)
    : directory(std::move(directory)), maxBytes(maxBytes) {}

std::string KernelCache::key(llvm::StringRef kind,
                             llvm::ArrayRef<llvm::StringRef> inputs) {
  llvm::SHA256 hasher;
  auto add = [&](llvm::StringRef part) {
    // Length-prefixed, so no two input lists hash the same bytes.
    uint64_t size = part.size();
    hasher.update(llvm::ArrayRef<uint8_t>(
        reinterpret_cast<const uint8_t *>(&size), sizeof(size)));
    hasher.update(part);
  };
  add("dsv2c kernel cache 1");
  add(compilerIdentity().value_or(""));
  add(kind);
  for (llvm::StringRef input : inputs)
    add(input);
  return kind.str() + "-" + llvm::toHex(hasher.final(), /*LowerCase=*/true);
}

std::string KernelCache::entryPath(llvm::StringRef key) const {
  llvm::SmallString<256> path(directory);
  llvm::sys::path::append(path, key + kEntrySuffix);
  return path.str().str();
}

std::optional<std::vector<uint8_t>>
KernelCache::load(llvm::StringRef key) const {
  const std::string path = entryPath(key);
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return std::nullopt; // absent (or unreadable): compile
  llvm::StringRef data = (*buffer)->getBuffer();
  auto damaged = [&](const llvm::Twine &why) -> std::nullopt_t {
    warn("entry " + path + " is damaged (" + why +
         "); removing it and compiling again");
    llvm::sys::fs::remove(path);
    return std::nullopt;
  };
  if (data.size() < kHeaderBytes ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0)
    return damaged("no entry header");
  uint64_t size = 0;
  std::memcpy(&size, data.data() + sizeof(kMagic), sizeof(size));
  if (size != data.size() - kHeaderBytes)
    return damaged(llvm::formatv("{0} payload bytes where the header says {1}",
                                 data.size() - kHeaderBytes, size));
  std::vector<uint8_t> payload(data.bytes_begin() + kHeaderBytes,
                               data.bytes_end());
  if (std::memcmp(digestOf(payload).data(),
                  data.data() + sizeof(kMagic) + 8, kDigestBytes) != 0)
    return damaged("checksum mismatch");
  ::utime(path.c_str(), nullptr); // recently used: evicted last
  return payload;
}

void KernelCache::store(llvm::StringRef key,
                        llvm::ArrayRef<uint8_t> bytes) const {
  if (std::error_code ec = llvm::sys::fs::create_directories(directory))
    return warn("cannot create " + directory + ": " + ec.message());
  // A unique temporary name in the same directory, renamed into place:
  // concurrent compiles of the same kernels each write a whole entry.
  llvm::SmallString<256> temporary;
  int fd = -1;
  if (std::error_code ec = llvm::sys::fs::createUniqueFile(
          directory + "/." + key + "-%%%%%%%%.tmp", fd, temporary))
    return warn("cannot write to " + directory + ": " + ec.message());
  {
    llvm::raw_fd_ostream out(fd, /*shouldClose=*/true);
    const uint64_t size = bytes.size();
    const auto digest = digestOf(bytes);
    out.write(kMagic, sizeof(kMagic));
    out.write(reinterpret_cast<const char *>(&size), sizeof(size));
    out.write(reinterpret_cast<const char *>(digest.data()), digest.size());
    out.write(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    out.close();
    if (out.has_error()) {
      warn("cannot write " + temporary + ": " + out.error().message());
      out.clear_error();
      llvm::sys::fs::remove(temporary);
      return;
    }
  }
  if (std::error_code ec = llvm::sys::fs::rename(temporary, entryPath(key))) {
    warn("cannot store " + entryPath(key) + ": " + ec.message());
    llvm::sys::fs::remove(temporary);
    return;
  }
  evictBeyondLimit();
}

void KernelCache::evictBeyondLimit() const {
  struct Entry {
    std::string path;
    uint64_t bytes;
    llvm::sys::TimePoint<> used;
  };
  std::vector<Entry> entries;
  uint64_t total = 0;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(directory, ec), end;
       !ec && it != end; it.increment(ec)) {
    if (!llvm::StringRef(it->path()).ends_with(kEntrySuffix))
      continue;
    llvm::sys::fs::file_status status;
    if (llvm::sys::fs::status(it->path(), status))
      continue; // removed by another compile meanwhile
    entries.push_back({it->path(), status.getSize(),
                       status.getLastModificationTime()});
    total += status.getSize();
  }
  if (total <= maxBytes)
    return;
  std::sort(entries.begin(), entries.end(),
            [](const Entry &a, const Entry &b) { return a.used < b.used; });
  for (const Entry &entry : entries) {
    if (total <= maxBytes)
      break;
    if (!llvm::sys::fs::remove(entry.path))
      total -= entry.bytes;
  }
}

std::string keyText(mlir::ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os, mlir::OpPrintingFlags().enableDebugInfo(false));
  return text;
}

void addKernelCacheOption(std::vector<OptionSpec> &options) {
  options.push_back(
      {"kernel-cache", "DIR|off",
       "where generated kernels are kept for the next compile of the same "
       "kernels by this dsv2c (default $DSV2_KERNEL_CACHE, else "
       "$XDG_CACHE_HOME/dsv2c/kernels or ~/.cache/dsv2c/kernels; at most "
       "$DSV2_KERNEL_CACHE_MAX_MIB, default 1024, least recently used first "
       "out); off: always generate"});
}

} // namespace dsv2::tools
