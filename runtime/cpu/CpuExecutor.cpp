//===- CpuExecutor.cpp - Runs a launch plan on the CPU --------------------===//

#include "runtime/cpu/CpuExecutor.h"
#include "runtime/collectives/Collectives.h"
#include "runtime/engine/LaunchArguments.h"
#include "runtime/engine/StepInput.h"
#include "runtime/engine/LaunchProfile.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <utility>

namespace dsv2::runtime {

namespace {

absl::StatusOr<std::vector<KernelGridFunction>>
resolve(const KernelLibrary *library, const StepProgram &program) {
  std::vector<KernelGridFunction> functions;
  for (const Launch &launch : program.launches) {
    if (launch.isCollective()) {
      functions.push_back(nullptr);
      continue;
    }
    if (!library)
      return absl::InvalidArgumentError(absl::StrCat(
          "launch of ", launch.kernel, " and no kernel library"));
    auto function = library->lookup(launch.kernel);
    if (!function.ok())
      return function.status();
    functions.push_back(*function);
  }
  return functions;
}

} // namespace

CpuExecutor::CpuExecutor(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
                         const CpuExecutorOptions &options)
    : plan(std::move(plan)), library(std::move(library)),
      collectives(options.collectives), pool(options.threads),
      cached(std::max(options.sequences, 1), 0) {
  size_t buffers = this->plan.buffers.size();
  storage.resize(buffers);
  weightViews.assign(buffers, nullptr);
  cacheStorage.resize(cached.size());
  for (auto &caches : cacheStorage) {
    caches.resize(buffers);
    for (size_t i = 0; i < buffers; ++i)
      if (this->plan.buffers[i].role == BufferRole::Cache)
        caches[i].assign(static_cast<size_t>(fixedBufferBytes(this->plan.buffers[i])), 0);
  }
}

absl::Status CpuExecutor::checkCollectives() const {
  bool any = false;
  for (const StepProgram *program :
       {&plan.prefill, &plan.decode, &plan.prefillLastRow})
    for (const Launch &launch : program->launches)
      any = any || launch.isCollective();
  if (!any)
    return absl::OkStatus();
  if (!collectives)
    return absl::FailedPreconditionError(absl::StrCat(
        "the plan of rank ", plan.rank, " of ", plan.worldSize(),
        " has collective launches, and the executor was given no "
        "collectives backend to run them"));
  if (collectives->rank() != plan.rank ||
      collectives->worldSize() != plan.worldSize() ||
      collectives->tensorParallel() != plan.tensorParallel)
    return absl::FailedPreconditionError(absl::StrCat(
        "the plan is rank ", plan.rank, " of tp ", plan.tensorParallel,
        " x ep ", plan.expertParallel, ", the collectives backend rank ",
        collectives->rank(), " of ", collectives->worldSize(),
        " with tensor groups of ", collectives->tensorParallel()));
  return absl::OkStatus();
}

absl::Status CpuExecutor::resolveKernels() {
  if (absl::Status status = checkCollectives(); !status.ok())
    return status;
  auto prefill = resolve(library.get(), plan.prefill);
  if (!prefill.ok())
    return prefill.status();
  auto decode = resolve(library.get(), plan.decode);
  if (!decode.ok())
    return decode.status();
  auto prefillLastRow = resolve(library.get(), plan.prefillLastRow);
  if (!prefillLastRow.ok())
    return prefillLastRow.status();
  prefillKernels = std::move(*prefill);
  decodeKernels = std::move(*decode);
  prefillLastRowKernels = std::move(*prefillLastRow);
  return absl::OkStatus();
}

const std::vector<KernelGridFunction> &
CpuExecutor::kernelsOf(const StepProgram &program) const {
  if (&program == &plan.decode)
    return decodeKernels;
  return &program == &plan.prefillLastRow ? prefillLastRowKernels
                                          : prefillKernels;
}

absl::Status CpuExecutor::bindWeights(
    const std::function<absl::Status(size_t, const BufferSpec &)> &bindPacked) {
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const BufferSpec &spec = plan.buffers[i];
    if (spec.role != BufferRole::Weight)
      continue;
    if (spec.constantData.empty()) {
      if (absl::Status status = bindPacked(i, spec); !status.ok())
        return status;
      continue;
    }
    // Compiler-computed constants live in the plan itself.
    if (static_cast<int64_t>(spec.constantData.size() * sizeof(float)) !=
        fixedBufferBytes(spec))
      return absl::InvalidArgumentError(absl::StrCat(
          "launch plan constant ", spec.name, " has the wrong size"));
    storage[i].resize(spec.constantData.size() * sizeof(float));
    std::memcpy(storage[i].data(), spec.constantData.data(), storage[i].size());
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CpuExecutor>>
CpuExecutor::create(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
                    const WeightFiller &fillWeight,
                    const CpuExecutorOptions &options) {
  std::unique_ptr<CpuExecutor> executor(
      new CpuExecutor(std::move(plan), std::move(library), options));
  if (absl::Status status = executor->resolveKernels(); !status.ok())
    return status;
  CpuExecutor &e = *executor;
  absl::Status bound = e.bindWeights([&](size_t i, const BufferSpec &spec) {
    e.storage[i].assign(static_cast<size_t>(fixedBufferBytes(spec)), 0);
    return fillWeight(spec, e.storage[i].data());
  });
  if (!bound.ok())
    return bound;
  return executor;
}

absl::StatusOr<std::unique_ptr<CpuExecutor>>
CpuExecutor::create(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
                    const std::vector<const void *> &weights,
                    const CpuExecutorOptions &options) {
  if (weights.size() != plan.buffers.size())
    return absl::InvalidArgumentError("one weight address per plan buffer");
  std::unique_ptr<CpuExecutor> executor(
      new CpuExecutor(std::move(plan), std::move(library), options));
  if (absl::Status status = executor->resolveKernels(); !status.ok())
    return status;
  CpuExecutor &e = *executor;
  absl::Status bound = e.bindWeights([&](size_t i, const BufferSpec &spec) {
    if (!weights[i])
      return absl::InvalidArgumentError(
          absl::StrCat("weight ", spec.name, " has no packed bytes"));
    e.weightViews[i] = weights[i];
    return absl::OkStatus();
  });
  if (!bound.ok())
    return bound;
  return executor;
}

int64_t CpuExecutor::allocatedBytes() const {
  int64_t total = 0;
  for (const auto &memory : storage)
    total += static_cast<int64_t>(memory.capacity());
  for (const auto &caches : cacheStorage)
    for (const auto &memory : caches)
      total += static_cast<int64_t>(memory.capacity());
  return total;
}

void *CpuExecutor::address(const KernelArg &arg, int sequence, int64_t tokens) {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  uint8_t *base;
  if (weightViews[arg.buffer])
    // Kernels never store to weights; the ABI passes plain pointers.
    base = static_cast<uint8_t *>(const_cast<void *>(weightViews[arg.buffer]));
  else if (spec.role == BufferRole::Cache)
    base = cacheStorage[sequence][arg.buffer].data();
  else
    base = storage[arg.buffer].data();
  return base + arg.offset.evaluate(tokens, cached[sequence]) *
                    elementBytes(spec.type);
}

int64_t CpuExecutor::bytesAfter(const KernelArg &arg, int sequence,
                                int64_t tokens) const {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  int64_t size;
  if (weightViews[arg.buffer])
    size = fixedBufferBytes(spec);
  else if (spec.role == BufferRole::Cache)
    size = static_cast<int64_t>(cacheStorage[sequence][arg.buffer].size());
  else
    size = static_cast<int64_t>(storage[arg.buffer].size());
  return size - arg.offset.evaluate(tokens, cached[sequence]) *
                    elementBytes(spec.type);
}

absl::Status CpuExecutor::runCollective(const Launch &launch, int sequence,
                                        int64_t tokens) {
  const int64_t past = cached[sequence];
  const int64_t rows = launch.args[2].intValue.evaluate(tokens, past);
  const int64_t cols = launch.args[3].intValue.evaluate(tokens, past);
  const int64_t ranks = collectives->groupSize(launch.group);
  const int64_t outCols =
      launch.collective == CollectiveKind::AllGatherColumns ? cols * ranks : cols;
  // The reader checked the kinds and types (f32); sizes depend on the step.
  const int64_t f32 = sizeof(float);
  if (rows < 0 || cols < 0 ||
      bytesAfter(launch.args[0], sequence, tokens) < rows * cols * f32 ||
      bytesAfter(launch.args[1], sequence, tokens) < rows * outCols * f32)
    return absl::InternalError(absl::StrCat(
        collectiveName(launch.collective), " (", launch.origin, ") of [", rows,
        ", ", cols, "] does not fit its buffers ",
        plan.buffers[launch.args[0].buffer].name, " and ",
        plan.buffers[launch.args[1].buffer].name));
  const auto *src =
      static_cast<const float *>(address(launch.args[0], sequence, tokens));
  auto *dst = static_cast<float *>(address(launch.args[1], sequence, tokens));
  if (launch.collective == CollectiveKind::AllReduceSum)
    return allReduceSum(*collectives, src, dst, rows * cols, launch.group);
  return allGatherColumns(*collectives, src, dst, rows, cols, launch.group);
}

absl::Status CpuExecutor::run(const StepProgram &program, int sequence,
                              int64_t tokens) {
  const std::vector<KernelGridFunction> &functions = kernelsOf(program);
  int64_t past = cached[sequence];
  LaunchProfile *profile = LaunchProfile::get();
  const bool decode = &program == &plan.decode;
  if (profile)
    profile->step(decode);
  LaunchArguments<void *> arguments;
  for (size_t l = 0; l < program.launches.size(); ++l) {
    const Launch &launch = program.launches[l];
    if (launch.isCollective()) {
      auto collectiveStart = profile ? std::chrono::steady_clock::now()
                                     : std::chrono::steady_clock::time_point();
      if (absl::Status status = runCollective(launch, sequence, tokens);
          !status.ok())
        return status;
      if (profile)
        profile->add(decode, launch,
                     std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - collectiveStart)
                         .count());
      continue;
    }
    void **args = arguments.bind(launch, tokens, past, [&](const KernelArg &arg) {
      return address(arg, sequence, tokens);
    });
    std::array<int64_t, 3> grid = evaluateGrid(launch, tokens, past);
    int64_t programs = grid[0] * grid[1] * grid[2];
    if (programs <= 0)
      continue;
    KernelGridFunction function = functions[l];
    auto launchStart = profile ? std::chrono::steady_clock::now()
                               : std::chrono::steady_clock::time_point();
    pool.parallelFor(programs, [&](int64_t first, int64_t last) {
      function(args, static_cast<int32_t>(grid[0]), static_cast<int32_t>(grid[1]),
               static_cast<int32_t>(grid[2]), first, last);
    });
    if (profile)
      profile->add(decode, launch,
                   std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - launchStart)
                       .count());
  }
  timings.launches = static_cast<int64_t>(program.launches.size());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>>
CpuExecutor::runStep(int sequence, absl::Span<const int32_t> tokens,
                     bool lastRowOnly) {
  if (absl::Status status = checkStepInput(plan, cached, sequence, tokens);
      !status.ok())
    return status;
  const int64_t count = static_cast<int64_t>(tokens.size());
  const int64_t past = cached[sequence];

  const StepProgram &program = programForStep(plan, count, lastRowOnly);
  const bool lastRowProgram = &program == &plan.prefillLastRow;

  // Scratch, token and logit buffers sized for this step (grow only); the
  // [T, vocab] logits are not written by prefillLastRow.
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const BufferSpec &spec = plan.buffers[i];
    if (spec.role == BufferRole::Weight || spec.role == BufferRole::Cache ||
        (lastRowProgram && static_cast<int32_t>(i) == plan.logitsBuffer))
      continue;
    size_t bytes = static_cast<size_t>(spec.elements.evaluate(count, past) *
                                       elementBytes(spec.type));
    if (storage[i].size() < bytes)
      storage[i].resize(bytes);
  }
  std::memcpy(storage[plan.tokensBuffer].data(), tokens.data(),
              tokens.size() * sizeof(int32_t));

  auto start = std::chrono::steady_clock::now();
  if (absl::Status status = run(program, sequence, count); !status.ok())
    return status;
  timings.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  // All rows, or the last: of the [T, vocab] logits, or the only row of
  // prefillLastRow's.
  int64_t rows = lastRowOnly ? 1 : count;
  const float *source =
      lastRowProgram
          ? reinterpret_cast<const float *>(
                storage[plan.lastRowLogitsBuffer].data())
          : reinterpret_cast<const float *>(storage[plan.logitsBuffer].data()) +
                (count - rows) * plan.vocabSize;
  std::vector<float> logits(source, source + rows * plan.vocabSize);
  cached[sequence] += count;
  return logits;
}

} // namespace dsv2::runtime
