//===- LaunchArguments.h - The argument array of one launch -----*- C++ -*-===//
//
// Both executors call a kernel with `void **args`, args[i] pointing at the
// value of argument i (runtime/engine/KernelAbi.h for the CPU, the
// kernelParams of cuLaunchKernel for CUDA). This holds the values for one
// launch at a time and builds the array; `Pointer` is what a buffer argument
// is on the device (void* on the CPU, CUdeviceptr on a GPU).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_LAUNCHARGUMENTS_H
#define RUNTIME_ENGINE_LAUNCHARGUMENTS_H

#include "runtime/engine/LaunchPlan.h"

#include <array>
#include <cstdint>
#include <vector>

namespace dsv2::runtime {

template <typename Pointer> class LaunchArguments {
public:
  /// The arguments of `launch` at a step of `tokens` tokens after `past`;
  /// `address(arg)` gives a buffer argument's device pointer. The array
  /// stays valid until the next bind().
  template <typename AddressFn>
  void **bind(const Launch &launch, int64_t tokens, int64_t past,
              AddressFn &&address) {
    size_t count = launch.args.size();
    pointers.assign(count, Pointer());
    ints.assign(count, 0);
    floats.assign(count, 0.0f);
    args.assign(count, nullptr);
    bytes.assign(count, 0);
    for (size_t a = 0; a < count; ++a) {
      const KernelArg &arg = launch.args[a];
      switch (arg.kind) {
      case KernelArg::Kind::Buffer:
        pointers[a] = address(arg);
        args[a] = &pointers[a];
        bytes[a] = sizeof(Pointer);
        break;
      case KernelArg::Kind::Int32:
        ints[a] = static_cast<int32_t>(arg.intValue.evaluate(tokens, past));
        args[a] = &ints[a];
        bytes[a] = sizeof(int32_t);
        break;
      case KernelArg::Kind::Float32:
        floats[a] = arg.floatValue;
        args[a] = &floats[a];
        bytes[a] = sizeof(float);
        break;
      }
    }
    return args.data();
  }
  /// The bytes of each value of the last bind() (what a CUDA graph node
  /// copies).
  const std::vector<uint8_t> &sizes() const { return bytes; }

private:
  std::vector<Pointer> pointers;
  std::vector<int32_t> ints;
  std::vector<float> floats;
  std::vector<void *> args;
  std::vector<uint8_t> bytes;
};

/// The launch's grid (x, y, z) at this step.
inline std::array<int64_t, 3> evaluateGrid(const Launch &launch, int64_t tokens,
                                           int64_t past) {
  return {launch.grid[0].evaluate(tokens, past),
          launch.grid[1].evaluate(tokens, past),
          launch.grid[2].evaluate(tokens, past)};
}

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_LAUNCHARGUMENTS_H
