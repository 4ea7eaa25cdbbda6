//===- KernelAbi.h - How the runtime calls a compiled kernel ----*- C++ -*-===//
//
// Every kernel library (CPU object code) exports, per kernel `name`:
//
//   extern "C" void name_grid(void **args, int32_t gridX, int32_t gridY,
//                             int32_t gridZ, int64_t first, int64_t last);
//
// It runs the programs with linear ids [first, last) of a gridX*gridY*gridZ
// launch (id = x + gridX*(y + gridY*z)), so a thread pool hands out ranges.
// `args[i]` points at the i-th kernel argument: for a buffer, at a `void*`
// holding its address; for an i32/f32 scalar, at the value.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_KERNELABI_H
#define RUNTIME_ENGINE_KERNELABI_H

#include <cstdint>

namespace dsv2::runtime {

using KernelGridFunction = void (*)(void **args, int32_t gridX, int32_t gridY,
                                    int32_t gridZ, int64_t first, int64_t last);

/// Suffix of the exported grid entry point.
inline constexpr const char *kKernelGridSuffix = "_grid";

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_KERNELABI_H
