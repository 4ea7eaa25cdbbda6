//===- CpuExecutor.cpp - Runs a launch plan on the CPU --------------------===//

#include "runtime/cpu/CpuExecutor.h"
#include "runtime/collectives/Collectives.h"
#include "runtime/engine/LaunchArguments.h"
#include "runtime/engine/StepInput.h"
#include "runtime/engine/LaunchProfile.h"
#include "runtime/engine/SequenceSegments.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <array>
#include <cassert>
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
       {&plan.prefill, &plan.decode, &plan.prefillLastRow, &plan.decodeBatch})
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
  auto decodeBatch = resolve(library.get(), plan.decodeBatch);
  if (!decodeBatch.ok())
    return decodeBatch.status();
  prefillKernels = std::move(*prefill);
  decodeKernels = std::move(*decode);
  prefillLastRowKernels = std::move(*prefillLastRow);
  decodeBatchKernels = std::move(*decodeBatch);
  for (const StepProgram *program :
       {&plan.prefill, &plan.prefillLastRow, &plan.decodeBatch})
    batchLayouts.push_back(layoutBatch(*program, plan));
  return absl::OkStatus();
}

const BatchLayout &
CpuExecutor::batchLayout(const StepProgram &program) const {
  for (const BatchLayout &layout : batchLayouts)
    if (layout.program == &program)
      return layout;
  assert(false && "no batch layout for the program");
  return batchLayouts.front();
}

const std::vector<KernelGridFunction> &
CpuExecutor::kernelsOf(const StepProgram &program) const {
  if (&program == &plan.decode)
    return decodeKernels;
  if (&program == &plan.decodeBatch)
    return decodeBatchKernels;
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

void *CpuExecutor::address(const KernelArg &arg, const RowSlice &rows) {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  uint8_t *base;
  if (weightViews[arg.buffer])
    // Kernels never store to weights; the ABI passes plain pointers.
    base = static_cast<uint8_t *>(const_cast<void *>(weightViews[arg.buffer]));
  else if (spec.role == BufferRole::Cache)
    base = cacheStorage[rows.sequence][arg.buffer].data();
  else
    base = storage[arg.buffer].data();
  const int64_t element = arg.offset.evaluate(rows.tokens, rows.past) +
                          rows.firstRow * arg.rowElements;
  return base + element * elementBytes(spec.type);
}

int64_t CpuExecutor::bytesAfter(const KernelArg &arg,
                                const RowSlice &rows) const {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  int64_t size;
  if (weightViews[arg.buffer])
    size = fixedBufferBytes(spec);
  else if (spec.role == BufferRole::Cache)
    size = static_cast<int64_t>(cacheStorage[rows.sequence][arg.buffer].size());
  else
    size = static_cast<int64_t>(storage[arg.buffer].size());
  const int64_t element = arg.offset.evaluate(rows.tokens, rows.past) +
                          rows.firstRow * arg.rowElements;
  return size - element * elementBytes(spec.type);
}

absl::Status CpuExecutor::runCollective(const Launch &launch,
                                        const RowSlice &slice) {
  const int64_t rows = launch.args[2].intValue.evaluate(slice.tokens, slice.past);
  const int64_t cols = launch.args[3].intValue.evaluate(slice.tokens, slice.past);
  const int64_t ranks = collectives->groupSize(launch.group);
  const int64_t outCols =
      launch.collective == CollectiveKind::AllGatherColumns ? cols * ranks : cols;
  // The reader checked the kinds and types (f32); sizes depend on the step.
  const int64_t f32 = sizeof(float);
  if (rows < 0 || cols < 0 ||
      bytesAfter(launch.args[0], slice) < rows * cols * f32 ||
      bytesAfter(launch.args[1], slice) < rows * outCols * f32)
    return absl::InternalError(absl::StrCat(
        collectiveName(launch.collective), " (", launch.origin, ") of [", rows,
        ", ", cols, "] does not fit its buffers ",
        plan.buffers[launch.args[0].buffer].name, " and ",
        plan.buffers[launch.args[1].buffer].name));
  const auto *src = static_cast<const float *>(address(launch.args[0], slice));
  auto *dst = static_cast<float *>(address(launch.args[1], slice));
  if (launch.collective == CollectiveKind::AllReduceSum)
    return allReduceSum(*collectives, src, dst, rows * cols, launch.group);
  return allGatherColumns(*collectives, src, dst, rows, cols, launch.group);
}

absl::Status CpuExecutor::run(const StepProgram &program, size_t first,
                              size_t last, const RowSlice &rows) {
  const std::vector<KernelGridFunction> &functions = kernelsOf(program);
  LaunchProfile *profile = LaunchProfile::get();
  const bool decode = &program == &plan.decode || &program == &plan.decodeBatch;
  LaunchArguments<void *> arguments;
  for (size_t l = first; l < last; ++l) {
    const Launch &launch = program.launches[l];
    if (launch.isCollective()) {
      auto collectiveStart = LaunchProfile::start(profile);
      if (absl::Status status = runCollective(launch, rows); !status.ok())
        return status;
      if (profile)
        profile->addSince(decode, launch, collectiveStart);
      continue;
    }
    void **args = arguments.bind(launch, rows.tokens, rows.past,
                                 [&](const KernelArg &arg) {
                                   return address(arg, rows);
                                 });
    std::array<int64_t, 3> grid = evaluateGrid(launch, rows.tokens, rows.past);
    int64_t programs = grid[0] * grid[1] * grid[2];
    if (programs <= 0)
      continue;
    KernelGridFunction function = functions[l];
    auto launchStart = LaunchProfile::start(profile);
    pool.parallelFor(programs, [&](int64_t firstProgram, int64_t lastProgram) {
      function(args, static_cast<int32_t>(grid[0]), static_cast<int32_t>(grid[1]),
               static_cast<int32_t>(grid[2]), firstProgram, lastProgram);
    });
    if (profile)
      profile->addSince(decode, launch, launchStart);
  }
  return absl::OkStatus();
}

void CpuExecutor::sizeStepBuffers(const StepProgram &program,
                                  absl::Span<const RowSlice> slices) {
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    int64_t bytes = stepBufferBytes(plan, program, i, slices);
    if (bytes > static_cast<int64_t>(storage[i].size()))
      storage[i].resize(static_cast<size_t>(bytes));
  }
}

absl::StatusOr<std::vector<float>>
CpuExecutor::runStep(int sequence, absl::Span<const int32_t> tokens,
                     bool lastRowOnly) {
  if (absl::Status status = checkStepInput(plan, cached, sequence, tokens);
      !status.ok())
    return status;
  const int64_t count = static_cast<int64_t>(tokens.size());
  const RowSlice rows{sequence, count, cached[sequence], 0};

  const StepProgram &program = programForStep(plan, count, lastRowOnly);
  const bool lastRowProgram = &program == &plan.prefillLastRow;

  // Scratch, token and logit buffers sized for this step (grow only); the
  // [T, vocab] logits are not written by prefillLastRow.
  sizeStepBuffers(program, {rows});
  std::memcpy(storage[plan.tokensBuffer].data(), tokens.data(),
              tokens.size() * sizeof(int32_t));

  auto start = std::chrono::steady_clock::now();
  if (LaunchProfile *profile = LaunchProfile::get())
    profile->step(&program == &plan.decode);
  if (absl::Status status = run(program, 0, program.launches.size(), rows);
      !status.ok())
    return status;
  timings.launches = static_cast<int64_t>(program.launches.size());
  timings.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  // All rows, or the last: of the [T, vocab] logits, or the only row of
  // prefillLastRow's.
  int64_t outRows = lastRowOnly ? 1 : count;
  const float *source =
      lastRowProgram
          ? reinterpret_cast<const float *>(
                storage[plan.lastRowLogitsBuffer].data())
          : reinterpret_cast<const float *>(storage[plan.logitsBuffer].data()) +
                (count - outRows) * plan.vocabSize;
  std::vector<float> logits(source, source + outRows * plan.vocabSize);
  cached[sequence] += count;
  return logits;
}

absl::StatusOr<std::vector<std::vector<float>>>
CpuExecutor::runBatch(absl::Span<const SequenceTokens> steps,
                      bool lastRowOnly) {
  return runBatchTogether(
      steps, lastRowOnly,
      [&](const StepProgram &program) { return batchLayout(program).batchable; },
      [&](const StepProgram &program, absl::Span<const SequenceTokens> rows) {
        return runTogether(program, rows, lastRowOnly);
      });
}

absl::StatusOr<std::vector<std::vector<float>>>
CpuExecutor::runTogether(const StepProgram &program,
                         absl::Span<const SequenceTokens> steps,
                         bool lastRowOnly) {
  const bool lastRowProgram = &program == &plan.prefillLastRow;
  // The sequences' tokens row after row: every batch-wide launch runs over
  // all of them (T = their sum, P = 0: such launches do not read P).
  const std::vector<RowSlice> slices = rowSlices(steps, cached);
  const RowSlice all{slices.front().sequence,
                     slices.back().firstRow + slices.back().tokens, 0, 0};
  std::vector<RowSlice> sizing = slices;
  sizing.push_back(all);
  sizeStepBuffers(program, sizing);
  auto *tokenRows = reinterpret_cast<int32_t *>(storage[plan.tokensBuffer].data());
  for (size_t s = 0; s < slices.size(); ++s)
    std::copy(steps[s].tokens.begin(), steps[s].tokens.end(),
              tokenRows + slices[s].firstRow);

  std::vector<std::vector<float>> logits(steps.size());
  auto start = std::chrono::steady_clock::now();
  if (LaunchProfile *profile = LaunchProfile::get())
    profile->step(&program == &plan.decodeBatch);
  const auto *lastRowLogits = reinterpret_cast<const float *>(
      lastRowProgram ? storage[plan.lastRowLogitsBuffer].data() : nullptr);
  if (absl::Status status = runBatchSegments(
          batchLayout(program), slices, all,
          [&](size_t first, size_t last, const RowSlice &rows) {
            return run(program, first, last, rows);
          },
          [&](size_t q) {
            logits[q].assign(lastRowLogits, lastRowLogits + plan.vocabSize);
            return absl::OkStatus();
          });
      !status.ok())
    return status;
  timings.launches = static_cast<int64_t>(program.launches.size());
  timings.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  const auto *allLogits =
      reinterpret_cast<const float *>(storage[plan.logitsBuffer].data());
  for (size_t s = 0; s < slices.size(); ++s) {
    if (!lastRowProgram) {
      // Rows of sequence s in the [T, vocab] logits: all, or its last.
      const int64_t outRows = lastRowOnly ? 1 : slices[s].tokens;
      const float *first =
          allLogits + (slices[s].firstRow + slices[s].tokens - outRows) *
                          plan.vocabSize;
      logits[s].assign(first, first + outRows * plan.vocabSize);
    }
    cached[slices[s].sequence] += slices[s].tokens;
  }
  return logits;
}

} // namespace dsv2::runtime
