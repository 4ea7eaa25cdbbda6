//===- CpuExecutor.h - Runs a launch plan on the CPU ------------*- C++ -*-===//
//
// Owns the buffers of a compiled model (weights, scratch, the KV cache), and
// runs one step: binds token ids, launches every kernel of the prefill or
// decode program over its grid on a thread pool, and returns the logits.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CPU_CPUEXECUTOR_H
#define RUNTIME_CPU_CPUEXECUTOR_H

#include "runtime/cpu/KernelLibrary.h"
#include "runtime/cpu/ThreadPool.h"
#include "runtime/engine/LaunchPlan.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include <functional>
#include <memory>
#include <vector>

namespace dsv2::runtime {

/// Fills a weight buffer (already sized) with its packed values.
using WeightFiller =
    std::function<absl::Status(const BufferSpec &spec, void *destination)>;

struct StepTimings {
  double seconds = 0;
  int64_t launches = 0;
};

class CpuExecutor {
public:
  /// Loads the kernels the plan names and fills every weight buffer.
  static absl::StatusOr<std::unique_ptr<CpuExecutor>>
  create(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
         const WeightFiller &fillWeight, int threads);

  /// Runs `tokens` at positions past()..past()+T-1 and appends them to the
  /// cache; returns the logits [T, vocab]. Token ids outside the
  /// vocabulary and contexts past the cache capacity are errors that leave
  /// the cache unchanged.
  absl::StatusOr<std::vector<float>> step(absl::Span<const int32_t> tokens);

  /// Tokens cached so far.
  int64_t past() const { return cachedTokens; }
  /// Forgets the cached tokens (the buffers are kept).
  void reset() { cachedTokens = 0; }

  const LaunchPlan &getPlan() const { return plan; }
  const StepTimings &lastStepTimings() const { return timings; }

private:
  CpuExecutor(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
              int threads);
  absl::Status run(const StepProgram &program, int64_t tokens);
  void *address(const KernelArg &arg, int64_t tokens);

  LaunchPlan plan;
  std::unique_ptr<KernelLibrary> library;
  ThreadPool pool;
  /// Storage of every buffer, 64-byte aligned; scratch grows as needed.
  std::vector<std::vector<uint8_t>> storage;
  std::vector<KernelGridFunction> prefillKernels, decodeKernels;
  int64_t cachedTokens = 0;
  StepTimings timings;
};

} // namespace dsv2::runtime

#endif // RUNTIME_CPU_CPUEXECUTOR_H
