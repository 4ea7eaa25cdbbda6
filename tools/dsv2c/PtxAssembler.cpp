//===- PtxAssembler.cpp - PTX to a cubin with NVIDIA's ptxas ---------------===//

#include "tools/dsv2c/PtxAssembler.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

namespace dsv2::tools {

namespace {

llvm::Error failure(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// A temporary file removed when this goes out of scope.
struct TemporaryFile {
  llvm::SmallString<128> path;
  ~TemporaryFile() {
    if (!path.empty())
      llvm::sys::fs::remove(path);
  }
};

} // namespace

llvm::Expected<std::optional<std::string>> findPtxas() {
  if (const char *configured = std::getenv("DSV2_PTXAS")) {
    if (!llvm::sys::fs::can_execute(configured))
      return failure(llvm::Twine("DSV2_PTXAS=") + configured +
                     " is not an executable ptxas");
    return std::optional<std::string>(configured);
  }
  if (llvm::ErrorOr<std::string> onPath = llvm::sys::findProgramByName("ptxas"))
    return std::optional<std::string>(*onPath);
  const char *cudaDefault = "/usr/local/cuda/bin/ptxas";
  if (llvm::sys::fs::can_execute(cudaDefault))
    return std::optional<std::string>(cudaDefault);
  return std::optional<std::string>();
}

llvm::Expected<std::vector<uint8_t>> assemblePtx(const std::string &ptxas,
                                                 llvm::StringRef ptx,
                                                 const std::string &chip) {
  TemporaryFile input, output, messages;
  for (auto [file, suffix] : {std::pair{&input, "ptx"},
                              std::pair{&output, "cubin"},
                              std::pair{&messages, "log"}})
    if (std::error_code error = llvm::sys::fs::createTemporaryFile(
            "dsv2c-kernels", suffix, file->path))
      return failure("cannot create a temporary file for ptxas: " +
                     error.message());
  {
    std::error_code error;
    llvm::raw_fd_ostream out(input.path, error);
    if (error)
      return failure("cannot write " + input.path + ": " + error.message());
    out << ptx;
  }
  std::string arch = "-arch=" + chip;
  llvm::SmallVector<llvm::StringRef> args = {ptxas, arch, input.path, "-o",
                                             output.path};
  std::optional<llvm::StringRef> redirects[] = {
      std::nullopt, llvm::StringRef(messages.path),
      llvm::StringRef(messages.path)};
  std::string launchError;
  int status = llvm::sys::ExecuteAndWait(ptxas, args, std::nullopt, redirects,
                                         /*SecondsToWait=*/600, 0,
                                         &launchError);
  if (status != 0) {
    std::string log;
    if (auto text = llvm::MemoryBuffer::getFile(messages.path))
      log = (*text)->getBuffer().trim().str();
    if (log.empty())
      log = launchError.empty() ? "exit status " + std::to_string(status)
                                : launchError;
    return failure(ptxas + " " + arch + " failed: " + log);
  }
  auto cubin = llvm::MemoryBuffer::getFile(output.path, /*IsText=*/false,
                                           /*RequiresNullTerminator=*/false);
  if (!cubin)
    return failure("ptxas wrote no cubin: " + cubin.getError().message());
  llvm::StringRef bytes = (*cubin)->getBuffer();
  if (!bytes.starts_with("\x7f" "ELF"))
    return failure("ptxas wrote " + output.path + ", which is not an ELF cubin");
  return std::vector<uint8_t>(bytes.bytes_begin(), bytes.bytes_end());
}

} // namespace dsv2::tools
