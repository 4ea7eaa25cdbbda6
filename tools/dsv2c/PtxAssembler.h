//===- PtxAssembler.h - PTX to a cubin with NVIDIA's ptxas -------*- C++ -*-===//
//
// `dsv2c compile --target sm_80|sm_90a` packs, beside the PTX, the cubin
// ptxas assembles from it when a ptxas is installed, so the runtime loads
// machine code instead of JIT-compiling every kernel at each start (the PTX
// stays in the engine for other devices and as the fallback). ptxas runs as
// a separate program; the compiler links nothing of CUDA.
//
//===----------------------------------------------------------------------===//

#ifndef TOOLS_DSV2C_PTXASSEMBLER_H
#define TOOLS_DSV2C_PTXASSEMBLER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dsv2::tools {

/// The ptxas to run: $DSV2_PTXAS when set (which must exist), else `ptxas`
/// on PATH, else /usr/local/cuda/bin/ptxas; nullopt when there is none.
llvm::Expected<std::optional<std::string>> findPtxas();

/// Assembles `ptx` for `chip` ("sm_80", "sm_90a") with `ptxas`; the error
/// carries ptxas's own message. Nothing is left on disk.
llvm::Expected<std::vector<uint8_t>> assemblePtx(const std::string &ptxas,
                                                 llvm::StringRef ptx,
                                                 const std::string &chip);

} // namespace dsv2::tools

#endif // TOOLS_DSV2C_PTXASSEMBLER_H
