//===- CudaLaunches.cpp - Kernel and collective launches, CUDA graphs -----===//
//
// CudaExecutor's launches: each kernel with its arguments on the stream
// (timed between events when profiled), NCCL collectives in stream order,
// and decode steps recorded once as CUDA graphs (KernelGraph.h) whose
// kernel nodes are then updated where their arguments moved.
//
//===----------------------------------------------------------------------===//

#include "runtime/cuda/CudaExecutor.h"
#include "runtime/cuda/KernelGraph.h"
#include "runtime/cuda/NcclCollectives.h"
#include "runtime/engine/LaunchArguments.h"
#include "runtime/engine/StepInput.h"
#include "runtime/engine/LaunchProfile.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <utility>

namespace dsv2::runtime {

using namespace cuda;

namespace {

/// The launch's grid at this step: false when it is empty (nothing to
/// launch), an error beyond the GPU's limits.
absl::StatusOr<bool> gridAt(const Launch &launch, int64_t tokens, int64_t past,
                            std::array<unsigned, 3> &out) {
  std::array<int64_t, 3> grid = evaluateGrid(launch, tokens, past);
  if (grid[0] <= 0 || grid[1] <= 0 || grid[2] <= 0)
    return false;
  if (grid[0] > 0x7fffffff || grid[1] > 65535 || grid[2] > 65535)
    return absl::OutOfRangeError(absl::StrCat(
        "launch of ", launch.kernel, " (", launch.origin, ") has grid ", grid[0],
        "x", grid[1], "x", grid[2], ", beyond the GPU's limits"));
  for (int d = 0; d < 3; ++d)
    out[d] = static_cast<unsigned>(grid[d]);
  return true;
}
} // namespace

CUresult CudaExecutor::launchKernel(const Kernel &kernel,
                                    const std::array<unsigned, 3> &grid,
                                    void **args, double *seconds) {
  const CudaDriverApi &f = driver->api();
  auto launch = [&] {
    return f.cuLaunchKernel(kernel.function, grid[0], grid[1], grid[2],
                            kernel.threads, 1, 1, kernel.sharedBytes, stream,
                            args, nullptr);
  };
  if (!seconds) {
    CUresult r = launch();
    if (r == CUDA_SUCCESS && syncEachLaunch)
      r = f.cuStreamSynchronize(stream);
    return r;
  }
  if (profileWithEvents()) {
    CUresult r = f.cuEventRecord(profileStart, stream);
    if (r == CUDA_SUCCESS)
      r = launch();
    if (r == CUDA_SUCCESS)
      r = f.cuEventRecord(profileEnd, stream);
    if (r == CUDA_SUCCESS)
      r = f.cuEventSynchronize(profileEnd);
    float milliseconds = 0;
    if (r == CUDA_SUCCESS)
      r = f.cuEventElapsedTime(&milliseconds, profileStart, profileEnd);
    *seconds = milliseconds * 1e-3;
    return r;
  }
  auto start = std::chrono::steady_clock::now();
  CUresult r = launch();
  if (r == CUDA_SUCCESS)
    r = f.cuStreamSynchronize(stream);
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                           start)
                 .count();
  return r;
}

bool CudaExecutor::profileWithEvents() {
  if (!profileEventsTried) {
    profileEventsTried = true;
    const CudaDriverApi &f = driver->api();
    if (driver->hasEvents() &&
        (f.cuEventCreate(&profileStart, 0) != CUDA_SUCCESS ||
         f.cuEventCreate(&profileEnd, 0) != CUDA_SUCCESS)) {
      for (CUevent *event : {&profileStart, &profileEnd})
        if (*event) {
          f.cuEventDestroy(*event);
          *event = nullptr;
        }
    }
  }
  return profileEnd != nullptr;
}

std::string CudaExecutor::profileNote() {
  return profileWithEvents()
             ? "GPU, each kernel timed by CUDA events around it"
             : "GPU, each launch synchronized and timed by the host";
}

absl::Status CudaExecutor::runCollective(const Launch &launch,
                                         const RowSlice &slice) {
  const CudaDriverApi &f = driver->api();
  const int64_t rows =
      launch.args[2].intValue.evaluate(slice.tokens, slice.past);
  const int64_t cols =
      launch.args[3].intValue.evaluate(slice.tokens, slice.past);
  const int64_t ranks = nccl->groupSize(launch.group);
  const bool gather = launch.collective == CollectiveKind::AllGatherColumns;
  const int64_t outCols = gather ? cols * ranks : cols;
  // The checks and words of CpuExecutor::runCollective.
  const int64_t f32 = sizeof(float);
  if (rows < 0 || cols < 0 ||
      bytesAfter(launch.args[0], slice) < rows * cols * f32 ||
      bytesAfter(launch.args[1], slice) < rows * outCols * f32)
    return absl::InternalError(
        absl::StrCat(collectiveName(launch.collective), " (", launch.origin,
                     ") of [", rows, ", ", cols, "] does not fit its buffers ",
                     plan.buffers[launch.args[0].buffer].name, " and ",
                     plan.buffers[launch.args[1].buffer].name));
  if (rows == 0 || cols == 0)
    return absl::OkStatus();
  CUdeviceptr src = address(launch.args[0], slice);
  CUdeviceptr dst = address(launch.args[1], slice);
  if (!gather)
    return nccl->allReduceSum(src, dst, rows * cols, launch.group, stream);

  // One row: the gathered blocks are the columns in place. Else gather into
  // scratch ([rank][row][col]) and place each rank's block as a column
  // band of dst ([row][rank][col]) with one strided copy per rank.
  const int64_t block = rows * cols * f32;
  const bool overlaps = src < dst + ranks * block && dst < src + block;
  if (rows == 1 && !overlaps)
    return nccl->allGather(src, dst, cols, launch.group, stream);
  const size_t scratchBytes = static_cast<size_t>(ranks * block);
  if (gatherScratchBytes < scratchBytes) {
    // The old scratch may still be read by this step's earlier gathers.
    if (gatherScratch)
      if (absl::Status s = finishStream("cuStreamSynchronize"); !s.ok())
        return s;
    deviceBytes -= static_cast<int64_t>(gatherScratchBytes);
    gatherScratchBytes = 0;
    if (absl::Status s = allocate(gatherScratch, scratchBytes); !s.ok())
      return s;
    gatherScratchBytes = scratchBytes;
  }
  if (absl::Status s = nccl->allGather(src, gatherScratch, rows * cols,
                                       launch.group, stream);
      !s.ok())
    return s;
  for (int64_t g = 0; g < ranks; ++g) {
    CudaMemcpy2D copy;
    copy.srcMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.srcDevice = gatherScratch + static_cast<CUdeviceptr>(g * block);
    copy.srcPitch = static_cast<size_t>(cols * f32);
    copy.dstMemoryType = CU_MEMORYTYPE_DEVICE;
    copy.dstDevice = dst + static_cast<CUdeviceptr>(g * cols * f32);
    copy.dstPitch = static_cast<size_t>(outCols * f32);
    copy.widthInBytes = static_cast<size_t>(cols * f32);
    copy.height = static_cast<size_t>(rows);
    if (absl::Status s = driver->check(f.cuMemcpy2DAsync(&copy, stream),
                                       "cuMemcpy2DAsync (all_gather columns)");
        !s.ok())
      return s;
  }
  return absl::OkStatus();
}

absl::Status CudaExecutor::finishStream(const char *what) {
  if (nccl)
    return nccl->waitForStream(stream);
  return driver->check(driver->api().cuStreamSynchronize(stream), what);
}

absl::Status CudaExecutor::run(const StepProgram &program, int sequence,
                               int64_t tokens) {
  LaunchProfile *profile = LaunchProfile::get();
  const bool decode = &program == &plan.decode;
  singleDecodeSteps += decode ? 1 : 0;
  if (decode && graphsOff.empty() && !profile) {
    absl::StatusOr<bool> graphed = runAsGraph(program, sequence, tokens);
    if (!graphed.ok())
      return graphed.status();
    if (*graphed) {
      timings.launches = static_cast<int64_t>(program.launches.size());
      return absl::OkStatus();
    }
  }
  if (profile) {
    profile->setNote(profileNote());
    profile->step(decode);
  }
  if (absl::Status s =
          runLaunches(program, 0, program.launches.size(),
                      RowSlice{sequence, tokens, cached[sequence], 0});
      !s.ok())
    return s;
  timings.launches = static_cast<int64_t>(program.launches.size());
  return absl::OkStatus();
}

absl::Status CudaExecutor::runLaunches(const StepProgram &program, size_t first,
                                       size_t last, const RowSlice &rows) {
  const std::vector<Kernel> &kernels = kernelsOf(program);
  LaunchProfile *profile = LaunchProfile::get();
  const bool decode = &program == &plan.decode || &program == &plan.decodeBatch;
  LaunchArguments<CUdeviceptr> arguments;
  for (size_t l = first; l < last; ++l) {
    const Launch &launch = program.launches[l];
    if (launch.isCollective()) {
      auto collectiveStart = LaunchProfile::start(profile);
      absl::Status status = runCollective(launch, rows);
      if (status.ok() && (syncEachLaunch || profile))
        status = finishStream("cuStreamSynchronize");
      if (!status.ok())
        return status;
      if (profile)
        profile->addSince(decode, launch, collectiveStart);
      continue;
    }
    void **args = arguments.bind(launch, rows.tokens, rows.past,
                                 [&](const KernelArg &arg) {
                                   return address(arg, rows);
                                 });
    std::array<unsigned, 3> grid;
    absl::StatusOr<bool> nonEmpty = gridAt(launch, rows.tokens, rows.past, grid);
    if (!nonEmpty.ok())
      return nonEmpty.status();
    if (!*nonEmpty)
      continue;
    double seconds = 0;
    CUresult r =
        launchKernel(kernels[l], grid, args, profile ? &seconds : nullptr);
    if (profile && r == CUDA_SUCCESS)
      profile->add(decode, launch, seconds);
    if (r != CUDA_SUCCESS)
      return absl::InternalError(absl::StrCat(
          "launch of ", launch.kernel, " (", launch.origin, ") failed: ",
          driver->check(r, "cuLaunchKernel").message()));
  }
  return absl::OkStatus();
}

const std::vector<CudaExecutor::Kernel> &
CudaExecutor::kernelsOf(const StepProgram &program) const {
  if (&program == &plan.decode)
    return decodeKernels;
  if (&program == &plan.decodeBatch)
    return decodeBatchKernels;
  if (&program == &plan.prefillLastRow)
    return prefillLastRowKernels;
  return prefillKernels;
}

const BatchLayout &CudaExecutor::batchLayout(const StepProgram &program) const {
  for (const BatchLayout &layout : batchLayouts)
    if (layout.program == &program)
      return layout;
  assert(false && "no batch layout for the program");
  return batchLayouts.front();
}

absl::StatusOr<bool> CudaExecutor::recordNode(
    const StepProgram &program, size_t l, const RowSlice &rows,
    LaunchArguments<CUdeviceptr> &arguments, KernelNode &node) {
  const Launch &launch = program.launches[l];
  absl::StatusOr<bool> nonEmpty = gridAt(launch, rows.tokens, rows.past, node.grid);
  if (!nonEmpty.ok() || !*nonEmpty)
    return nonEmpty;
  void **args = arguments.bind(launch, rows.tokens, rows.past,
                               [&](const KernelArg &arg) {
                                 return address(arg, rows);
                               });
  node.setArguments(args, arguments.sizes().data(), arguments.sizes().size());
  const Kernel &kernel = kernelsOf(program)[l];
  node.function = kernel.function;
  node.threads = kernel.threads;
  node.sharedBytes = kernel.sharedBytes;
  return true;
}

absl::StatusOr<bool>
CudaExecutor::runBatchAsGraph(const StepProgram &program,
                              absl::Span<const RowSlice> slices,
                              const RowSlice &all) {
  // The step's launches in order (batch-wide once, per-sequence ones per
  // sequence), recorded instead of launched.
  LaunchArguments<CUdeviceptr> arguments;
  size_t count = 0;
  bool complete = true;
  absl::Status recorded = runBatchSegments(
      batchLayout(program), slices, all,
      [&](size_t first, size_t last, const RowSlice &rows) -> absl::Status {
        for (size_t l = first; l < last && complete; ++l) {
          if (count == batchNodes.size())
            batchNodes.emplace_back();
          absl::StatusOr<bool> node =
              recordNode(program, l, rows, arguments, batchNodes[count]);
          if (!node.ok())
            return node.status();
          complete = *node; // An empty grid: this step cannot be a graph.
          count += complete ? 1 : 0;
        }
        return absl::OkStatus();
      },
      [](size_t) { return absl::OkStatus(); });
  if (!recorded.ok())
    return recorded;
  if (!complete)
    return false;
  batchNodes.resize(count);
  // One graph per batch size: the same kernels in the same order.
  std::unique_ptr<KernelGraph> &graph = batchGraphs[slices.size()];
  if (graph && !graph->runsTheSameKernels(batchNodes))
    graph.reset();
  if (!graph) {
    auto made = KernelGraph::create(*driver, batchNodes);
    if (!made.ok()) {
      graphsOff = std::string(made.status().message());
      batchGraphs.clear();
      return false;
    }
    graph = std::move(*made);
  } else {
    for (size_t n = 0; n < batchNodes.size(); ++n)
      if (absl::Status s = graph->set(n, batchNodes[n]); !s.ok())
        return s;
  }
  if (absl::Status s = graph->launch(stream); !s.ok())
    return s;
  ++batchGraphSteps;
  return true;
}

absl::StatusOr<bool> CudaExecutor::runAsGraph(const StepProgram &program,
                                              int sequence, int64_t tokens) {
  const int64_t past = cached[sequence];
  const RowSlice slice{sequence, tokens, past, 0};
  decodeNodes.resize(program.launches.size());
  LaunchArguments<CUdeviceptr> arguments;
  for (size_t l = 0; l < program.launches.size(); ++l) {
    if (program.launches[l].isCollective())
      continue;
    absl::StatusOr<bool> recorded =
        recordNode(program, l, slice, arguments, decodeNodes[l]);
    if (!recorded.ok())
      return recorded.status();
    if (!*recorded)
      return false; // A graph node cannot launch nothing; this step cannot be one.
  }

  const std::vector<std::pair<size_t, size_t>> &runs = decodeKernelRuns;
  if (decodeGraphs.empty()) {
    for (auto [begin, end] : runs) {
      auto made = KernelGraph::create(
          *driver, std::vector<KernelNode>(decodeNodes.begin() + begin,
                                           decodeNodes.begin() + end));
      if (!made.ok()) {
        // Still correct on the stream; say why in decodeLaunchDescription().
        graphsOff = std::string(made.status().message());
        decodeGraphs.clear();
        return false;
      }
      decodeGraphs.push_back(std::move(*made));
    }
  } else {
    for (size_t g = 0; g < runs.size(); ++g)
      for (size_t l = runs[g].first; l < runs[g].second; ++l)
        if (absl::Status s = decodeGraphs[g]->set(l - runs[g].first, decodeNodes[l]);
            !s.ok())
          return s;
  }

  size_t next = 0;
  for (size_t l = 0; l < program.launches.size(); ++l) {
    const Launch &launch = program.launches[l];
    if (launch.isCollective()) {
      if (absl::Status s = runCollective(launch, slice); !s.ok())
        return s;
    } else if (next < runs.size() && runs[next].first == l) {
      if (absl::Status s = decodeGraphs[next++]->launch(stream); !s.ok())
        return s;
    }
  }
  ++graphStepCount;
  return true;
}

int64_t CudaExecutor::graphUpdates() const {
  int64_t updates = 0;
  for (const auto &graph : decodeGraphs)
    updates += graph->updates();
  return updates;
}

std::string CudaExecutor::decodeLaunchDescription() const {
  std::string single = singleDecodeDescription();
  if (batchedDecodeSteps == 0)
    return single;
  std::string batch = absl::StrCat(batchedDecodeSteps,
                                   " steps of a whole batch (decodeBatch)");
  if (batchGraphSteps == batchedDecodeSteps)
    absl::StrAppend(&batch, " as CUDA graphs, one per batch size (",
                    batchGraphs.size(), ")");
  else if (batchGraphSteps > 0)
    absl::StrAppend(&batch, ", ", batchGraphSteps, " of them as CUDA graphs");
  else
    absl::StrAppend(&batch, " as stream launches",
                    graphsOff.empty() ? "" : absl::StrCat(" (", graphsOff, ")"));
  return singleDecodeSteps == 0 ? batch : absl::StrCat(single, "; ", batch);
}

std::string CudaExecutor::singleDecodeDescription() const {
  if (!decodeGraphs.empty()) {
    size_t kernels = 0;
    for (const auto &graph : decodeGraphs)
      kernels += graph->size();
    std::string graphs =
        decodeGraphs.size() == 1
            ? absl::StrCat("one CUDA graph of ", kernels, " kernels")
            : absl::StrCat(decodeGraphs.size(), " CUDA graphs of ", kernels,
                           " kernels between NCCL collectives");
    return absl::StrCat(graphs, " (", graphUpdates(), " kernel updates in ",
                        graphStepCount, " steps)");
  }
  if (!graphsOff.empty())
    return absl::StrCat("stream launches (", graphsOff, ")");
  return "stream launches";
}

} // namespace dsv2::runtime
