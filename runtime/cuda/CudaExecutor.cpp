//===- CudaExecutor.cpp - Runs a launch plan on an NVIDIA GPU -------------===//
//
// Decode steps run as CUDA graphs (KernelGraph.h): made on the first decode
// step, then each step sets only the kernels whose arguments moved and
// launches each graph with one call. Prefill steps (their grids follow the
// prompt length) are plain stream launches.
//
// A multi-rank plan's collective launches are NCCL calls on the same stream
// (NcclCollectives.h): the stream orders them between the kernels (or the
// graphs of the kernels between them), and the end of a step waits with the
// collective deadline instead of cuStreamSynchronize.
//
// This file: opening the device, loading the module, buffers, and the
// steps; CudaLaunches.cpp launches kernels and collectives, on the stream
// or as graphs.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaExecutor.h"
#include "runtime/cuda/KernelGraph.h"
#include "runtime/cuda/NcclCollectives.h"
#include "runtime/cuda/PtxSignatures.h"
#include "runtime/engine/LaunchArguments.h"
#include "runtime/engine/StepInput.h"
#include "runtime/engine/LaunchProfile.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"

#include <algorithm>
#include <cassert>
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

using namespace cuda;

namespace {

/// Kernels with more dynamic shared memory than this must opt in.
constexpr unsigned kDefaultSharedLimit = 48 * 1024;

bool envFlag(const char *name) {
  const char *value = std::getenv(name);
  return value && *value && std::strcmp(value, "0") != 0;
}

/// The MPI launcher's rank of this process among those on its host, or 0.
int localRankFromLauncher() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID",
                           "MV2_COMM_WORLD_LOCAL_RANK", "SLURM_LOCALID"}) {
    int value = 0;
    if (const char *text = std::getenv(name);
        text && absl::SimpleAtoi(text, &value) && value >= 0)
      return value;
  }
  return 0;
}

/// Why decode steps cannot run as graphs for the whole run, or "".
std::string graphsOffReason(const CudaExecutorOptions &options,
                            bool syncEachLaunch) {
  const char *env = std::getenv("DSV2_CUDA_GRAPHS");
  if (!options.decodeGraph)
    return "graphs turned off";
  if (env && std::strcmp(env, "0") == 0)
    return "DSV2_CUDA_GRAPHS=0";
  if (syncEachLaunch)
    return "each launch synchronized";
  return "";
}


bool hasCollectives(const LaunchPlan &plan) {
  for (const StepProgram *program :
       {&plan.prefill, &plan.decode, &plan.prefillLastRow})
    for (const Launch &launch : program->launches)
      if (launch.isCollective())
        return true;
  return false;
}

} // namespace

CudaExecutor::CudaExecutor(LaunchPlan plan, std::unique_ptr<CudaDriver> driver,
                           const CudaExecutorOptions &options)
    : plan(std::move(plan)), driver(std::move(driver)),
      syncEachLaunch(options.syncEachLaunch || envFlag("DSV2_CUDA_SYNC_LAUNCHES")),
      cached(std::max(options.sequences, 1), 0) {
  graphsOff = graphsOffReason(options, syncEachLaunch);
  if (graphsOff.empty() && !this->driver->hasGraphs())
    graphsOff = "the driver has no CUDA graph API";
}

CudaExecutor::~CudaExecutor() {
  if (!context)
    return;
  const CudaDriverApi &f = driver->api();
  f.cuCtxSetCurrent(context);
  nccl.reset(); // Before the buffers its kernels may still touch.
  decodeGraphs.clear();
  batchGraphs.clear();
  if (gatherScratch)
    f.cuMemFree(gatherScratch);
  for (CUdeviceptr pointer : buffers)
    if (pointer)
      f.cuMemFree(pointer);
  for (const auto &sequence : caches)
    for (CUdeviceptr pointer : sequence)
      if (pointer)
        f.cuMemFree(pointer);
  if (module)
    f.cuModuleUnload(module);
  for (CUevent event : {profileStart, profileEnd})
    if (event)
      f.cuEventDestroy(event);
  if (stream)
    f.cuStreamDestroy(stream);
  f.cuDevicePrimaryCtxRelease(deviceInfo.ordinal);
}

absl::Status CudaExecutor::openDevice(const std::string &target,
                                      int deviceIndex) {
  auto device =
      driver->device(deviceIndex >= 0 ? deviceIndex : localRankFromLauncher());
  if (!device.ok())
    return device.status();
  deviceInfo = *device;
  if (absl::Status s = checkDeviceRuns(target, deviceInfo); !s.ok())
    return s;
  const CudaDriverApi &f = driver->api();
  if (absl::Status s = driver->check(
          f.cuDevicePrimaryCtxRetain(&context, deviceInfo.ordinal),
          "cuDevicePrimaryCtxRetain");
      !s.ok()) {
    context = nullptr; // Nothing retained, nothing to release.
    return s;
  }
  if (absl::Status s = driver->check(f.cuCtxSetCurrent(context), "cuCtxSetCurrent");
      !s.ok())
    return s;
  // A blocking stream: the synchronous copies (legacy default stream) are
  // ordered after the step's kernels without extra events.
  return driver->check(f.cuStreamCreate(&stream, 0), "cuStreamCreate");
}

absl::Status CudaExecutor::loadModule(absl::Span<const uint8_t> ptx,
                                      absl::Span<const uint8_t> cubin,
                                      const std::vector<GpuKernelInfo> &kernels) {
  const CudaDriverApi &f = driver->api();
  // The driver wants NUL-terminated PTX text; the image may or may not be.
  std::string text(reinterpret_cast<const char *>(ptx.data()), ptx.size());
  while (!text.empty() && text.back() == '\0')
    text.pop_back();
  if (absl::Status s = checkLaunchSignatures(plan, ptxEntryParams(text)); !s.ok())
    return s;
  std::string errorLog(64 * 1024, '\0'), infoLog(16 * 1024, '\0');
  int options[] = {CU_JIT_ERROR_LOG_BUFFER, CU_JIT_ERROR_LOG_BUFFER_SIZE_BYTES,
                   CU_JIT_INFO_LOG_BUFFER, CU_JIT_INFO_LOG_BUFFER_SIZE_BYTES};
  void *values[] = {errorLog.data(),
                    reinterpret_cast<void *>(static_cast<uintptr_t>(errorLog.size())),
                    infoLog.data(),
                    reinterpret_cast<void *>(static_cast<uintptr_t>(infoLog.size()))};
  // Loads `image`; on failure, the driver's error and its log on one line.
  auto load = [&](const void *image, std::string &problem) {
    std::fill(errorLog.begin(), errorLog.end(), '\0');
    CUresult loaded = f.cuModuleLoadDataEx(&module, image, 4, options, values);
    if (loaded == CUDA_SUCCESS)
      return true;
    module = nullptr;
    std::string log = errorLog.c_str();
    while (!log.empty() && (log.back() == '\n' || log.back() == ' '))
      log.pop_back();
    problem = absl::StrCat(driver->check(loaded, "cuModuleLoadDataEx").message(),
                           log.empty() ? "" : "; JIT log: ",
                           absl::StrReplaceAll(log, {{"\n", " | "}}));
    return false;
  };
  // The cubin when there is one and the device takes it (no JIT at load);
  // the PTX stays authoritative (its signatures were checked above).
  std::string why = "the engine has no cubin";
  if (!cubin.empty()) {
    const char *flag = std::getenv("DSV2_CUDA_CUBIN");
    std::string problem;
    if (flag && std::string(flag) == "0")
      why = "DSV2_CUDA_CUBIN=0";
    else if (load(cubin.data(), problem))
      moduleSource = "cubin (ptxas)";
    else
      why = absl::StrCat("the cubin does not load: ", problem);
  }
  if (!module) {
    std::string problem;
    if (!load(text.c_str(), problem))
      return absl::FailedPreconditionError(absl::StrCat(
          "the engine's PTX does not load on device ", deviceInfo.ordinal, " (",
          deviceInfo.name, "): ", problem));
    moduleSource = absl::StrCat("PTX, JIT-compiled by the driver (", why, ")");
  }

  std::map<std::string, const GpuKernelInfo *> shapes;
  for (const GpuKernelInfo &info : kernels)
    shapes[info.name] = &info;
  std::map<std::string, Kernel> resolved;
  auto resolveProgram = [&](const StepProgram &program,
                            std::vector<Kernel> &out) -> absl::Status {
    for (const Launch &launch : program.launches) {
      if (launch.isCollective()) {
        out.push_back(Kernel{});
        continue;
      }
      auto known = resolved.find(launch.kernel);
      if (known != resolved.end()) {
        out.push_back(known->second);
        continue;
      }
      auto shape = shapes.find(launch.kernel);
      if (shape == shapes.end())
        return absl::InvalidArgumentError(absl::StrCat(
            "kernel ", launch.kernel, " has no GPU launch shape in the engine"));
      const GpuKernelInfo &info = *shape->second;
      if (info.threads < 1 || info.threads > 1024)
        return absl::InvalidArgumentError(absl::StrCat(
            "kernel ", launch.kernel, " has ", info.threads,
            " threads per block (1..1024)"));
      if (info.sharedBytes < 0 || info.sharedBytes > deviceInfo.maxSharedPerBlock)
        return absl::FailedPreconditionError(absl::StrCat(
            "kernel ", launch.kernel, " needs ", info.sharedBytes,
            " bytes of shared memory per block; device ", deviceInfo.ordinal,
            " (", deviceInfo.name, ") has ", deviceInfo.maxSharedPerBlock));
      Kernel kernel;
      kernel.threads = static_cast<unsigned>(info.threads);
      kernel.sharedBytes = static_cast<unsigned>(info.sharedBytes);
      if (absl::Status s = driver->check(
              f.cuModuleGetFunction(&kernel.function, module, launch.kernel.c_str()),
              "cuModuleGetFunction");
          !s.ok())
        return absl::NotFoundError(absl::StrCat(
            "kernel ", launch.kernel, " is not in the engine's PTX (", s.message(), ")"));
      if (kernel.sharedBytes > kDefaultSharedLimit)
        if (absl::Status s = driver->check(
                f.cuFuncSetAttribute(kernel.function,
                                     CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES,
                                     info.sharedBytes),
                "cuFuncSetAttribute");
            !s.ok())
          return s;
      resolved[launch.kernel] = kernel;
      out.push_back(kernel);
    }
    return absl::OkStatus();
  };
  if (absl::Status s = resolveProgram(plan.prefill, prefillKernels); !s.ok())
    return s;
  if (absl::Status s = resolveProgram(plan.prefillLastRow, prefillLastRowKernels);
      !s.ok())
    return s;
  if (absl::Status s = resolveProgram(plan.decodeBatch, decodeBatchKernels);
      !s.ok())
    return s;
  for (const StepProgram *program :
       {&plan.prefill, &plan.prefillLastRow, &plan.decodeBatch})
    batchLayouts.push_back(layoutBatch(*program, plan));
  // One decode graph per run of kernels between collectives (all of them
  // for a single-rank plan); the NCCL calls stay stream calls between them.
  for (size_t l = 0; l < plan.decode.launches.size(); ++l) {
    if (plan.decode.launches[l].isCollective())
      continue;
    if (decodeKernelRuns.empty() || decodeKernelRuns.back().second != l)
      decodeKernelRuns.push_back({l, l});
    decodeKernelRuns.back().second = l + 1;
  }
  return resolveProgram(plan.decode, decodeKernels);
}

absl::Status CudaExecutor::allocate(CUdeviceptr &pointer, size_t bytes) {
  const CudaDriverApi &f = driver->api();
  if (pointer) {
    f.cuMemFree(pointer);
    pointer = 0;
  }
  if (bytes == 0)
    return absl::OkStatus();
  CUresult r = f.cuMemAlloc(&pointer, bytes);
  if (r != CUDA_SUCCESS) {
    pointer = 0;
    absl::Status s = driver->check(r, "cuMemAlloc");
    return absl::ResourceExhaustedError(absl::StrCat(
        "cannot allocate ", bytes, " bytes on device ", deviceInfo.ordinal, " (",
        deviceInfo.name, ", ", deviceInfo.totalMemory >> 20, " MiB, ",
        deviceBytes >> 20, " MiB allocated so far): ", s.message()));
  }
  deviceBytes += static_cast<int64_t>(bytes);
  return absl::OkStatus();
}

absl::Status CudaExecutor::allocateBuffers(const std::vector<const void *> &weights) {
  const CudaDriverApi &f = driver->api();
  size_t count = plan.buffers.size();
  if (weights.size() != count)
    return absl::InvalidArgumentError("one weight address per plan buffer");
  buffers.assign(count, 0);
  bufferBytes.assign(count, 0);
  caches.assign(cached.size(), std::vector<CUdeviceptr>(count, 0));
  for (size_t i = 0; i < count; ++i) {
    const BufferSpec &spec = plan.buffers[i];
    size_t bytes = static_cast<size_t>(fixedBufferBytes(spec));
    if (spec.role == BufferRole::Cache) {
      // Zeroed like the CPU executor's caches, so no kernel ever reads
      // uninitialized memory through a masked lane.
      for (auto &sequence : caches) {
        if (absl::Status s = allocate(sequence[i], bytes); !s.ok())
          return s;
        if (bytes)
          if (absl::Status s = driver->check(f.cuMemsetD8(sequence[i], 0, bytes),
                                             "cuMemsetD8");
              !s.ok())
            return s;
      }
      continue;
    }
    if (spec.role != BufferRole::Weight)
      continue; // Sized per step.
    const void *source = weights[i];
    if (!spec.constantData.empty()) {
      if (static_cast<int64_t>(spec.constantData.size() * sizeof(float)) !=
          fixedBufferBytes(spec))
        return absl::InvalidArgumentError(absl::StrCat(
            "launch plan constant ", spec.name, " has the wrong size"));
      source = spec.constantData.data();
    } else if (!source) {
      return absl::InvalidArgumentError(
          absl::StrCat("weight ", spec.name, " has no packed bytes"));
    }
    if (absl::Status s = allocate(buffers[i], bytes); !s.ok())
      return s;
    bufferBytes[i] = bytes;
    if (bytes)
      if (absl::Status s = driver->check(f.cuMemcpyHtoD(buffers[i], source, bytes),
                                         "cuMemcpyHtoD");
          !s.ok())
        return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<CudaExecutor>>
CudaExecutor::create(LaunchPlan plan, const std::string &target,
                     absl::Span<const uint8_t> ptx,
                     const std::vector<GpuKernelInfo> &kernels,
                     const std::vector<const void *> &weights,
                     const CudaExecutorOptions &options) {
  if (hasCollectives(plan)) {
    Collectives *host = options.collectives;
    if (!host)
      return absl::FailedPreconditionError(absl::StrCat(
          "the plan of rank ", plan.rank, " of ", plan.worldSize(),
          " has collective launches, and the executor was given no "
          "collectives backend to bootstrap NCCL"));
    if (host->rank() != plan.rank || host->worldSize() != plan.worldSize() ||
        host->tensorParallel() != plan.tensorParallel)
      return absl::FailedPreconditionError(absl::StrCat(
          "the plan is rank ", plan.rank, " of tp ", plan.tensorParallel,
          " x ep ", plan.expertParallel, ", the collectives backend rank ",
          host->rank(), " of ", host->worldSize(), " with tensor groups of ",
          host->tensorParallel()));
  }
  auto driver = CudaDriver::open(target);
  if (!driver.ok())
    return driver.status();
  std::unique_ptr<CudaExecutor> executor(
      new CudaExecutor(std::move(plan), std::move(*driver), options));
  if (absl::Status s = executor->openDevice(target, options.deviceIndex);
      !s.ok())
    return s;
  if (absl::Status s = executor->joinCollectives(options); !s.ok())
    return s;
  if (absl::Status s = executor->loadModule(ptx, options.cubin, kernels);
      !s.ok())
    return s;
  if (absl::Status s = executor->allocateBuffers(weights); !s.ok())
    return s;
  return executor;
}

absl::Status CudaExecutor::joinCollectives(const CudaExecutorOptions &options) {
  if (!hasCollectives(plan))
    return absl::OkStatus();
  auto joined = NcclCollectives::join(*driver, *options.collectives,
                                      options.collectiveTimeoutSeconds);
  if (!joined.ok())
    return joined.status();
  nccl = std::move(*joined);
  return absl::OkStatus();
}

std::string CudaExecutor::collectivesDescription() const {
  return nccl ? nccl->describe() : "";
}

CUdeviceptr CudaExecutor::address(const KernelArg &arg,
                                  const RowSlice &rows) const {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  CUdeviceptr base = spec.role == BufferRole::Cache
                         ? caches[rows.sequence][arg.buffer]
                         : buffers[arg.buffer];
  const int64_t element = arg.offset.evaluate(rows.tokens, rows.past) +
                          rows.firstRow * arg.rowElements;
  return base + static_cast<CUdeviceptr>(element * elementBytes(spec.type));
}

int64_t CudaExecutor::bytesAfter(const KernelArg &arg,
                                 const RowSlice &rows) const {
  const BufferSpec &spec = plan.buffers[arg.buffer];
  int64_t size = spec.role == BufferRole::Cache
                     ? fixedBufferBytes(spec)
                     : static_cast<int64_t>(bufferBytes[arg.buffer]);
  const int64_t element = arg.offset.evaluate(rows.tokens, rows.past) +
                          rows.firstRow * arg.rowElements;
  return size - element * elementBytes(spec.type);
}

absl::Status CudaExecutor::sizeStepBuffers(const StepProgram &program,
                                           absl::Span<const RowSlice> slices) {
  // Scratch, token and logit buffers sized for this step (grow only); the
  // [T, vocab] logits are not written by prefillLastRow.
  for (size_t i = 0; i < plan.buffers.size(); ++i) {
    const int64_t needed = stepBufferBytes(plan, program, i, slices);
    if (needed <= static_cast<int64_t>(bufferBytes[i]))
      continue;
    const size_t bytes = static_cast<size_t>(needed);
    deviceBytes -= static_cast<int64_t>(bufferBytes[i]);
    bufferBytes[i] = 0;
    if (absl::Status s = allocate(buffers[i], bytes); !s.ok())
      return s;
    bufferBytes[i] = bytes;
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<float>>
CudaExecutor::runStep(int sequence, absl::Span<const int32_t> tokens,
                      bool lastRowOnly) {
  if (absl::Status status = checkStepInput(plan, cached, sequence, tokens);
      !status.ok())
    return status;
  const int64_t count = static_cast<int64_t>(tokens.size());
  const int64_t past = cached[sequence];

  const CudaDriverApi &f = driver->api();
  if (absl::Status s = driver->check(f.cuCtxSetCurrent(context), "cuCtxSetCurrent");
      !s.ok())
    return s;
  const StepProgram &program = programForStep(plan, count, lastRowOnly);
  const bool lastRowProgram = &program == &plan.prefillLastRow;

  const RowSlice slice{sequence, count, past, 0};
  if (absl::Status s = sizeStepBuffers(program, {&slice, 1}); !s.ok())
    return s;

  auto start = std::chrono::steady_clock::now();
  if (absl::Status s = uploadTokens(tokens); !s.ok())
    return s;
  if (absl::Status s = run(program, sequence, count); !s.ok())
    return s;
  // Faults of asynchronous kernels (and, multi-rank, missing ranks)
  // surface here.
  if (absl::Status s =
          finishStream("a step's kernels failed (cuStreamSynchronize)");
      !s.ok())
    return s;
  // All rows, or the last: of the [T, vocab] logits, or the only row of
  // prefillLastRow's.
  const int64_t rows = lastRowOnly ? 1 : count;
  auto logits = lastRowProgram
                    ? logitRows(plan.lastRowLogitsBuffer, 0, 1)
                    : logitRows(plan.logitsBuffer, count - rows, rows);
  if (!logits.ok())
    return logits.status();
  timings.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  cached[sequence] += count;
  return logits;
}

absl::Status CudaExecutor::uploadTokens(absl::Span<const int32_t> tokens) {
  return driver->check(
      driver->api().cuMemcpyHtoD(buffers[plan.tokensBuffer], tokens.data(),
                                 tokens.size() * sizeof(int32_t)),
      "cuMemcpyHtoD (tokens)");
}

absl::StatusOr<std::vector<float>>
CudaExecutor::logitRows(int32_t buffer, int64_t first, int64_t rows) const {
  // A synchronous copy: ordered after the kernels queued on the stream.
  std::vector<float> logits(static_cast<size_t>(rows * plan.vocabSize));
  CUdeviceptr source =
      buffers[buffer] +
      static_cast<CUdeviceptr>(first * plan.vocabSize * sizeof(float));
  if (absl::Status s = driver->check(
          driver->api().cuMemcpyDtoH(logits.data(), source,
                                     logits.size() * sizeof(float)),
          "cuMemcpyDtoH (logits)");
      !s.ok())
    return s;
  return logits;
}

absl::StatusOr<StepExecutor::Batch>
CudaExecutor::runBatch(absl::Span<const SequenceTokens> steps,
                       bool lastRowOnly) {
  return runBatchTogether(
      steps, lastRowOnly,
      [&](const StepProgram &program) { return batchLayout(program).batchable; },
      [&](const StepProgram &program, absl::Span<const SequenceTokens> rows) {
        return runTogether(program, rows, lastRowOnly);
      });
}

absl::StatusOr<StepExecutor::Batch>
CudaExecutor::runTogether(const StepProgram &program,
                          absl::Span<const SequenceTokens> steps,
                          bool lastRowOnly) {
  const CudaDriverApi &f = driver->api();
  if (absl::Status s = driver->check(f.cuCtxSetCurrent(context), "cuCtxSetCurrent");
      !s.ok())
    return s;
  const bool lastRowProgram = &program == &plan.prefillLastRow;
  // The sequences' tokens row after row: every batch-wide launch runs over
  // all of them (T = their sum, P = 0: such launches do not read P).
  const std::vector<RowSlice> slices = rowSlices(steps, cached);
  std::vector<int32_t> tokenRows;
  for (const SequenceTokens &step : steps)
    tokenRows.insert(tokenRows.end(), step.tokens.begin(), step.tokens.end());
  const RowSlice all{slices.front().sequence,
                     static_cast<int64_t>(tokenRows.size()), 0, 0};
  std::vector<RowSlice> sizing = slices;
  sizing.push_back(all);
  if (absl::Status s = sizeStepBuffers(program, sizing); !s.ok())
    return s;

  auto start = std::chrono::steady_clock::now();
  if (absl::Status s = uploadTokens(tokenRows); !s.ok())
    return s;
  if (LaunchProfile *profile = LaunchProfile::get()) {
    profile->setNote(profileNote());
    profile->step(&program == &plan.decodeBatch);
  }
  Batch logits(steps.size());
  // decodeBatch steps as a CUDA graph per batch size (no last-row logits
  // to copy out between sequences there).
  absl::StatusOr<bool> graphed = false;
  if (&program == &plan.decodeBatch && graphsOff.empty() &&
      !LaunchProfile::get())
    graphed = runBatchAsGraph(program, slices, all);
  if (!graphed.ok())
    return graphed.status();
  if (!*graphed)
    if (absl::Status s = runBatchSegments(
            batchLayout(program), slices, all,
            [&](size_t first, size_t last, const RowSlice &rows) {
              return runLaunches(program, first, last, rows);
            },
            [&](size_t q) -> absl::Status {
              // The next sequence overwrites them.
              auto row = logitRows(plan.lastRowLogitsBuffer, 0, 1);
              if (!row.ok())
                return row.status();
              logits[q] = std::move(*row);
              return absl::OkStatus();
            });
        !s.ok())
      return s;
  if (absl::Status s =
          finishStream("a step's kernels failed (cuStreamSynchronize)");
      !s.ok())
    return s;
  if (!lastRowProgram) {
    // Rows of sequence q in the [T, vocab] logits: all, or its last.
    for (size_t q = 0; q < slices.size(); ++q) {
      const int64_t outRows = lastRowOnly ? 1 : slices[q].tokens;
      auto rows = logitRows(plan.logitsBuffer,
                            slices[q].firstRow + slices[q].tokens - outRows,
                            outRows);
      if (!rows.ok())
        return rows.status();
      logits[q] = std::move(*rows);
    }
  }
  timings.launches = static_cast<int64_t>(program.launches.size());
  timings.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  for (const RowSlice &slice : slices)
    cached[slice.sequence] += slice.tokens;
  if (&program == &plan.decodeBatch)
    ++batchedDecodeSteps;
  return logits;
}

} // namespace dsv2::runtime
