//===- CpuExecutor.cpp - Runs a launch plan on the CPU --------------------===//

#include "runtime/cpu/CpuExecutor.h"

#include "absl/strings/str_cat.h"

#include <chrono>
#include <cstring>

namespace dsv2::runtime {

/// Every buffer ends with this much zeroed slack. Kernels must not read past
/// their buffers, but one known CPU-lowering bug (an unmasked load of a
/// masked attention tile, test DISABLED_CausalAttentionStaysInItsBuffers)
/// reads up to one tile past the end; the slack keeps such reads inside our
/// memory.
static constexpr size_t kBufferSlackBytes = 64 * 1024;

CpuExecutor::CpuExecutor(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
                         int threads)
    : plan(std::move(plan)), library(std::move(library)), pool(threads) {}

static absl::StatusOr<std::vector<KernelGridFunction>>
resolve(const KernelLibrary &library, const StepProgram &program) {
  std::vector<KernelGridFunction> functions;
  for (const Launch &launch : program.launches) {
    auto function = library.lookup(launch.kernel);
    if (!function.ok())
      return function.status();
    functions.push_back(*function);
  }
  return functions;
}

absl::StatusOr<std::unique_ptr<CpuExecutor>>
CpuExecutor::create(LaunchPlan plan, std::unique_ptr<KernelLibrary> library,
                    const WeightFiller &fillWeight, int threads) {
  std::unique_ptr<CpuExecutor> executor(
      new CpuExecutor(std::move(plan), std::move(library), threads));
  auto prefill = resolve(*executor->library, executor->plan.prefill);
  if (!prefill.ok())
    return prefill.status();
  auto decode = resolve(*executor->library, executor->plan.decode);
  if (!decode.ok())
    return decode.status();
  executor->prefillKernels = std::move(*prefill);
  executor->decodeKernels = std::move(*decode);

  executor->storage.resize(executor->plan.buffers.size());
  for (size_t i = 0; i < executor->plan.buffers.size(); ++i) {
    const BufferSpec &spec = executor->plan.buffers[i];
    if (spec.role != BufferRole::Weight && spec.role != BufferRole::Cache)
      continue;
    int64_t bytes = spec.elements.evaluate(0, 0) * elementBytes(spec.type);
    executor->storage[i].assign(static_cast<size_t>(bytes) + kBufferSlackBytes,
                                0);
    if (spec.role == BufferRole::Weight && !spec.constantData.empty()) {
      if (static_cast<int64_t>(spec.constantData.size() * sizeof(float)) != bytes)
        return absl::InvalidArgumentError(absl::StrCat(
            "launch plan constant ", spec.name, " has the wrong size"));
      std::memcpy(executor->storage[i].data(), spec.constantData.data(), bytes);
    } else if (spec.role == BufferRole::Weight) {
      absl::Status status = fillWeight(spec, executor->storage[i].data());
      if (!status.ok())
        return status;
    }
  }
  return executor;
}

void *CpuExecutor::address(const KernelArg &arg, int64_t tokens) {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  return storage[arg.buffer].data() +
         arg.offset.evaluate(tokens, cachedTokens) * elementBytes(spec.type);
}

absl::Status CpuExecutor::run(const StepProgram &program, int64_t tokens) {
  const std::vector<KernelGridFunction> &functions =
      &program == &plan.decode ? decodeKernels : prefillKernels;
  std::vector<void *> pointers;
  std::vector<int32_t> ints;
  std::vector<float> floats;
  std::vector<void *> args;
  for (size_t l = 0; l < program.launches.size(); ++l) {
    const Launch &launch = program.launches[l];
    size_t count = launch.args.size();
    pointers.assign(count, nullptr);
    ints.assign(count, 0);
    floats.assign(count, 0.0f);
    args.assign(count, nullptr);
    for (size_t a = 0; a < count; ++a) {
      const KernelArg &arg = launch.args[a];
      switch (arg.kind) {
      case KernelArg::Kind::Buffer:
        pointers[a] = address(arg, tokens);
        args[a] = &pointers[a];
        break;
      case KernelArg::Kind::Int32:
        ints[a] = static_cast<int32_t>(arg.intValue.evaluate(tokens, cachedTokens));
        args[a] = &ints[a];
        break;
      case KernelArg::Kind::Float32:
        floats[a] = arg.floatValue;
        args[a] = &floats[a];
        break;
      }
    }
    int64_t grid[3];
    for (int d = 0; d < 3; ++d)
      grid[d] = launch.grid[d].evaluate(tokens, cachedTokens);
    int64_t programs = grid[0] * grid[1] * grid[2];
    if (programs <= 0)
      continue;
    KernelGridFunction function = functions[l];
    void **argv = args.data();
    pool.parallelFor(programs, [&](int64_t first, int64_t last) {
      function(argv, static_cast<int32_t>(grid[0]), static_cast<int32_t>(grid[1]),
               static_cast<int32_t>(grid[2]), first, last);
    });
  }
  timings.launches = static_cast<int64_t>(program.launches.size());
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>>
CpuExecutor::step(absl::Span<const int32_t> tokens) {
  int64_t count = static_cast<int64_t>(tokens.size());
  if (count == 0)
    return absl::InvalidArgumentError("a step needs at least one token");
  for (size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= plan.vocabSize)
      return absl::InvalidArgumentError(absl::StrCat(
          "token id ", tokens[i], " at position ", cachedTokens + i,
          " is outside the vocabulary [0, ", plan.vocabSize, ")"));
  if (cachedTokens + count > plan.maxContext)
    return absl::OutOfRangeError(absl::StrCat(
        "context of ", cachedTokens + count,
        " tokens exceeds the engine's maximum of ", plan.maxContext));

  // Scratch, token and logit buffers sized for this step (grow only).
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const BufferSpec &spec = plan.buffers[i];
    if (spec.role == BufferRole::Weight || spec.role == BufferRole::Cache)
      continue;
    size_t bytes = static_cast<size_t>(spec.elements.evaluate(count, cachedTokens) *
                                       elementBytes(spec.type));
    if (storage[i].size() < bytes + kBufferSlackBytes)
      storage[i].resize(bytes + kBufferSlackBytes);
  }
  std::memcpy(storage[plan.tokensBuffer].data(), tokens.data(),
              tokens.size() * sizeof(int32_t));

  auto start = std::chrono::steady_clock::now();
  const StepProgram &program =
      count == 1 && !plan.decode.launches.empty() ? plan.decode : plan.prefill;
  if (absl::Status status = run(program, count); !status.ok())
    return status;
  timings.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();

  std::vector<float> logits(static_cast<size_t>(count * plan.vocabSize));
  std::memcpy(logits.data(), storage[plan.logitsBuffer].data(),
              logits.size() * sizeof(float));
  cachedTokens += count;
  return logits;
}

} // namespace dsv2::runtime
