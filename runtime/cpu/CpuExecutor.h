//===- CpuExecutor.h - Runs a launch plan on the CPU ------------*- C++ -*-===//
//
// Owns the buffers of a compiled model (scratch, one KV cache per sequence
// slot) and runs one step of one sequence (or of several: a batched step,
// SequenceSegments.h): binds token ids, launches every
// kernel of the prefill or decode program over its grid on a thread pool
// (and, for a rank of a multi-rank engine, its collectives in order through
// a Collectives backend), and returns the logits. Weights are either
// filled into memory the executor owns, or used in place from a mapped
// engine.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_CPU_CPUEXECUTOR_H
#define RUNTIME_CPU_CPUEXECUTOR_H

#include "runtime/cpu/KernelLibrary.h"
#include "runtime/cpu/ThreadPool.h"
#include "runtime/engine/Executor.h"
#include "runtime/engine/LaunchPlan.h"
#include "runtime/engine/SequenceSegments.h"

#include "absl/status/statusor.h"
#include "absl/types/span.h"

#include <functional>
#include <memory>
#include <vector>

namespace dsv2::runtime {

/// Fills a weight buffer (already sized) with its packed values.
using WeightFiller =
    std::function<absl::Status(const BufferSpec &spec, void *destination)>;

class Collectives;

struct CpuExecutorOptions {
  /// Worker threads; 0 = one per hardware thread.
  int threads = 0;
  /// Independent sequences, each with its own KV cache (a batch).
  int sequences = 1;
  /// A rank of a multi-rank engine: runs the plan's collective launches
  /// (its rank and world must be the plan's, its Tensor groups formed with
  /// the plan's tp: agreeToRun). Required when the plan has any; not owned.
  Collectives *collectives = nullptr;
};

class CpuExecutor : public StepExecutor {
public:
  /// Loads the kernels the plan names and fills every weight buffer into
  /// memory the executor owns. `library` may be null for a plan without
  /// kernel launches (only collectives: tests).
  static absl::StatusOr<std::unique_ptr<CpuExecutor>>
  create(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
         const WeightFiller &fillWeight, const CpuExecutorOptions &options);

  /// Uses packed weights in place: `weights[i]` is the address of weight
  /// buffer i's bytes (a mapped engine), which must outlive the executor.
  static absl::StatusOr<std::unique_ptr<CpuExecutor>>
  create(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
         const std::vector<const void *> &weights,
         const CpuExecutorOptions &options);

  int sequences() const override { return static_cast<int>(cached.size()); }
  /// Tokens cached so far for `sequence`.
  int64_t past(int sequence = 0) const override { return cached[sequence]; }
  /// Forgets the cached tokens of every sequence (the buffers are kept).
  void reset() override { cached.assign(cached.size(), 0); }

  const LaunchPlan &getPlan() const override { return plan; }
  const StepTimings &lastStepTimings() const override { return timings; }
  /// Bytes of memory the executor allocated (scratch, caches, owned weights).
  int64_t allocatedBytes() const override;

private:
  CpuExecutor(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
              const CpuExecutorOptions &options);
  absl::Status resolveKernels();
  /// Copies the plan's inline constants into owned storage and hands every
  /// packed weight buffer to `bindPacked`.
  absl::Status bindWeights(
      const std::function<absl::Status(size_t, const BufferSpec &)> &bindPacked);
  absl::Status checkCollectives() const;
  /// The batch layout of `program` (prefill, prefillLastRow, decodeBatch),
  /// worked out once when the kernels are resolved.
  const BatchLayout &batchLayout(const StepProgram &program) const;

  absl::StatusOr<std::vector<float>>
  runStep(int sequence, absl::Span<const int32_t> tokens,
          bool lastRowOnly) override;
  absl::StatusOr<std::vector<std::vector<float>>>
  runBatch(absl::Span<const SequenceTokens> steps, bool lastRowOnly) override;
  /// One step of `program` over the rows of all `steps` (checked input):
  /// batch-wide segments once, per-sequence segments for each sequence.
  absl::StatusOr<std::vector<std::vector<float>>>
  runTogether(const StepProgram &program,
              absl::Span<const SequenceTokens> steps, bool lastRowOnly);
  /// Grows the step-local buffers to hold every slice (never the [T, vocab]
  /// logits for the last-row program).
  void sizeStepBuffers(const StepProgram &program,
                       absl::Span<const RowSlice> slices);
  const std::vector<KernelGridFunction> &kernelsOf(const StepProgram &program) const;
  /// Launches [first, last) of `program` over `rows`.
  absl::Status run(const StepProgram &program, size_t first, size_t last,
                   const RowSlice &rows);
  absl::Status runCollective(const Launch &launch, const RowSlice &rows);
  void *address(const KernelArg &arg, const RowSlice &rows);
  /// Bytes of buffer `buffer` from `arg`'s offset to its end, at this step.
  int64_t bytesAfter(const KernelArg &arg, const RowSlice &rows) const;

  LaunchPlan plan;
  std::unique_ptr<KernelLibrary> library;
  Collectives *collectives;
  ThreadPool pool;
  /// Owned storage per buffer (scratch, tokens, logits, owned weights);
  /// caches are in cacheStorage, one per sequence.
  std::vector<std::vector<uint8_t>> storage;
  std::vector<std::vector<std::vector<uint8_t>>> cacheStorage;
  /// Weight buffers used in place (null: owned or not a weight).
  std::vector<const void *> weightViews;
  std::vector<KernelGridFunction> prefillKernels, decodeKernels,
      prefillLastRowKernels, decodeBatchKernels;
  std::vector<BatchLayout> batchLayouts;
  std::vector<int64_t> cached;
  StepTimings timings;
};

} // namespace dsv2::runtime

#endif // RUNTIME_CPU_CPUEXECUTOR_H
