//===- dsv2-run.cpp - Runs a compiled engine ------------------------------===//
//
// dsv2-run ENGINE (--tokens ... | --tokens-file FILE) [options]: loads and
// verifies an engine written by `dsv2c compile`, generates, streams ids and
// prints a summary. Links no LLVM/MLIR: it must run on a machine with only
// a C++ runtime (and, for GPU engines, a driver; for multi-rank engines,
// MPI, loaded as a plugin). Errors: one line "dsv2-run: error: ..." on
// stderr (with "rank R: " in a multi-rank run), exit 1; usage mistakes
// exit 2.
//
//===----------------------------------------------------------------------===//

#include "tools/dsv2-run/Generation.h"
#include "tools/dsv2-run/RankJob.h"
#include "tools/dsv2-run/RunOptions.h"
#include "tools/dsv2-run/TextPrompt.h"

#include "runtime/collectives/RunAgreement.h"
#include "runtime/cpu/CpuExecutor.h"
#include "runtime/cpu/CpuFeatures.h"
#include "runtime/cuda/CudaExecutor.h"
#include "runtime/engine/EngineReader.h"
#include "runtime/io/Npy.h"
#include "runtime/io/PrintableText.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <sys/resource.h>

namespace {

namespace rt = ::dsv2::runtime;
using dsv2::run::RankJob;
using dsv2::run::RunOptions;

std::string mebibytes(double bytes) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f MiB", bytes / (1024.0 * 1024.0));
  return text;
}

void printInfo(const rt::LoadedEngine &engine) {
  const rt::EngineDescription &d = engine.description();
  const rt::LaunchPlan &plan = d.plan;
  std::printf("engine:        %s\n", engine.path().c_str());
  std::printf("producer:      %s\n", d.producer.c_str());
  std::printf("model:         %s (%lld layers, hidden %lld, vocab %lld)\n",
              d.model.description.c_str(), (long long)d.model.numLayers,
              (long long)d.model.hiddenSize, (long long)d.model.vocabSize);
  if (d.kernels.format == "ptx" && !d.kernels.cubin.empty())
    std::printf("target:        %s, ptx + cubin (%s)\n", d.target.c_str(),
                mebibytes(d.kernels.cubin.size()).c_str());
  else if (d.kernels.format == "ptx")
    std::printf("target:        %s, ptx\n", d.target.c_str());
  else
    std::printf("target:        %s, %s for CPU '%s' [%s]\n", d.target.c_str(),
                d.kernels.format.c_str(), d.kernels.cpu.c_str(),
                absl::StrJoin(d.kernels.cpuFeatures, ",").c_str());
  std::printf("kernels:       %zu (%s image)\n", d.kernels.kernels.size(),
              mebibytes(engine.kernelImage().size()).c_str());
  // GPU engines: how each kernel is launched (one block per grid program).
  for (const rt::GpuKernelInfo &kernel : d.kernels.gpuKernels)
    std::printf("  %-40s %4d threads/block, %6d bytes shared\n",
                kernel.name.c_str(), kernel.threads, kernel.sharedBytes);
  std::printf("weights:       %s, %s in %s\n", d.model.weightDtype.c_str(),
              mebibytes(engine.weightFileBytes()).c_str(),
              engine.weightPath().c_str());
  // By element type (what --quantize made int8, and the scales it added).
  std::map<std::string, std::pair<int64_t, int64_t>> byType;
  for (const rt::BufferSpec &spec : plan.buffers)
    if (spec.role == rt::BufferRole::Weight) {
      auto &[count, bytes] = byType[rt::elementTypeName(spec.type)];
      ++count;
      bytes += spec.elements.evaluate(0, 0) * rt::elementBytes(spec.type);
    }
  std::string types;
  for (const auto &[type, figures] : byType)
    absl::StrAppend(&types, types.empty() ? "" : "; ", type, " ",
                    mebibytes(figures.second), " in ", figures.first);
  std::printf("  by type:     %s (weight buffers)\n", types.c_str());
  std::printf("kv cache:      %s, %lld values/token/layer (%s), %lld bytes/token, "
              "%lld positions x %lld sequences\n",
              d.kvCache.kind.c_str(), (long long)d.kvCache.valuesPerTokenPerLayer,
              rt::elementTypeName(d.kvCache.elementType), (long long)d.kvCache.bytesPerToken,
              (long long)d.kvCache.maxContext, (long long)d.kvCache.maxBatch);
  std::printf("steps:         prefill %zu launches, decode %zu launches, %zu buffers\n",
              plan.prefill.launches.size(), plan.decode.launches.size(),
              plan.buffers.size());
  std::printf("batched:       prefill of several prompts and decode of several "
              "sequences in one step: %s\n",
              (d.target == "cpu" || absl::EndsWith(d.target, "-emu")) &&
                      d.parallel.worldSize == 1
                  ? (plan.decodeBatch.launches.empty() ? "prefill only" : "yes")
                  : "no (one sequence per step)");
  std::printf("tokens:        bos %lld, eos %lld\n", (long long)d.model.bosTokenId,
              (long long)d.model.eosTokenId);
  if (d.parallel.worldSize == 1)
    std::printf("parallel:      single rank\n");
  else
    std::printf("parallel:      %s (rank r: tensor rank r %% %d of expert group "
                "r / %d); run with mpirun -np %d; above: rank %d's program\n",
                dsv2::run::describeLayout(d.parallel).c_str(),
                d.parallel.tensorParallel, d.parallel.tensorParallel,
                d.parallel.worldSize, engine.rank());
}

/// Checks the batch against the engine before any step runs, so errors name
/// the sequence and position the user wrote.
absl::Status checkPrompts(const RunOptions &options, const rt::EngineDescription &d) {
  if (static_cast<int64_t>(options.prompts.size()) > d.kvCache.maxBatch)
    return absl::OutOfRangeError(absl::StrCat(
        "a batch of ", options.prompts.size(),
        " sequences exceeds the engine's maximum of ", d.kvCache.maxBatch,
        " (dsv2c compile --max-batch)"));
  for (size_t s = 0; s < options.prompts.size(); ++s) {
    const std::vector<int32_t> &prompt = options.prompts[s];
    std::string which =
        options.prompts.size() > 1 ? absl::StrCat("sequence ", s, ": ") : "";
    if (prompt.empty())
      return absl::InvalidArgumentError(absl::StrCat(which, "the prompt is empty"));
    for (size_t p = 0; p < prompt.size(); ++p)
      if (prompt[p] >= d.model.vocabSize)
        return absl::OutOfRangeError(absl::StrCat(
            which, "token id ", prompt[p], " at position ", p,
            " is outside the vocabulary [0, ", d.model.vocabSize, ")"));
    // The last generated id is never fed back.
    int64_t needed = static_cast<int64_t>(prompt.size()) +
                     std::max<int64_t>(options.maxNewTokens - 1, 0);
    if (needed > d.kvCache.maxContext)
      return absl::OutOfRangeError(absl::StrCat(
          which, prompt.size(), " prompt tokens + ", options.maxNewTokens,
          " new tokens need ", needed, " positions; the engine holds ",
          d.kvCache.maxContext, " (dsv2c compile --max-context)"));
  }
  return absl::OkStatus();
}

/// FILE for one sequence; FILE with ".<i>" before ".npy" in a batch.
std::string logitsPath(const std::string &path, size_t sequence, size_t batch) {
  if (batch == 1)
    return path;
  std::string stem = path, extension;
  if (path.size() > 4 && path.compare(path.size() - 4, 4, ".npy") == 0) {
    stem = path.substr(0, path.size() - 4);
    extension = ".npy";
  }
  return absl::StrCat(stem, ".", sequence, extension);
}

enum class ExecutorKind { Cpu, Cuda };

/// Host code (cpu, and GPU kernels built for the SIMT emulator, *-emu) runs
/// on the CpuExecutor; PTX for sm_80/sm_90a on the CudaExecutor. The engine's
/// label and its kernel module must agree.
absl::StatusOr<ExecutorKind> executorKind(const rt::EngineDescription &d,
                                          const std::string &path) {
  const rt::KernelModuleInfo &k = d.kernels;
  auto endsWith = [](const std::string &s, const std::string &suffix) {
    return s.size() >= suffix.size() &&
           s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (d.target == k.target && k.format == "elf-shared-object" &&
      (d.target == "cpu" || endsWith(d.target, "-emu")))
    return ExecutorKind::Cpu;
  if (d.target == k.target && k.format == "ptx" &&
      (d.target == "sm_80" || d.target == "sm_90a"))
    return ExecutorKind::Cuda;
  return absl::FailedPreconditionError(absl::StrCat(
      path, ": an engine for target '", rt::printableText(d.target),
      "' with '", rt::printableText(k.format), "' kernels for '",
      rt::printableText(k.target),
      "'; this dsv2-run runs cpu and *-emu engines (elf-shared-object) and "
      "sm_80/sm_90a engines (ptx)"));
}

absl::StatusOr<std::unique_ptr<rt::StepExecutor>>
createExecutor(ExecutorKind kind, const rt::LoadedEngine &engine,
               std::unique_ptr<rt::KernelLibrary> library,
               const RunOptions &options, rt::Collectives *collectives) {
  const rt::EngineDescription &d = engine.description();
  int sequences = static_cast<int>(options.prompts.size());
  if (kind == ExecutorKind::Cuda) {
    rt::CudaExecutorOptions cudaOptions;
    cudaOptions.sequences = sequences;
    // A multi-rank engine: MPI bootstraps NCCL, which runs the collective
    // launches on the GPUs (MPI still agrees on the run and broadcasts ids).
    cudaOptions.collectives = collectives;
    cudaOptions.cubin = d.kernels.cubin;
    cudaOptions.collectiveTimeoutSeconds = options.collectiveTimeout.value_or(
        rt::collectiveTimeoutFromEnvironment());
    auto executor = rt::CudaExecutor::create(
        d.plan, d.target, engine.kernelImage(), d.kernels.gpuKernels,
        engine.weightAddresses(), cudaOptions);
    if (!executor.ok())
      return executor.status();
    return std::unique_ptr<rt::StepExecutor>(std::move(*executor));
  }
  rt::CpuExecutorOptions executorOptions;
  executorOptions.threads = options.threads;
  executorOptions.sequences = sequences;
  executorOptions.collectives = collectives;
  auto executor = rt::CpuExecutor::create(d.plan, std::move(library),
                                          engine.weightAddresses(), executorOptions);
  if (!executor.ok())
    return executor.status();
  return std::unique_ptr<rt::StepExecutor>(std::move(*executor));
}

/// Everything a rank checks and loads before the ranks agree to run: the
/// rank's program, the host, the tokenizer, the prompts, the kernels.
struct PreparedRank {
  std::unique_ptr<rt::LoadedEngine> engine;
  ExecutorKind kind = ExecutorKind::Cpu;
  std::optional<dsv2::tokenizer::Tokenizer> tokenizer;
  std::unique_ptr<rt::KernelLibrary> library;
};

absl::Status prepareRank(RunOptions &options, const RankJob &job,
                         PreparedRank &prepared) {
  rt::EngineLoadOptions loadOptions;
  loadOptions.verifyWeights = options.verifyWeights;
  loadOptions.hugePageWeights = options.hugePageWeights;
  loadOptions.rank = job.rank;
  auto engine = rt::LoadedEngine::open(options.engine, loadOptions);
  if (!engine.ok())
    return engine.status();
  prepared.engine = std::move(*engine);
  const rt::EngineDescription &d = prepared.engine->description();
  auto kind = executorKind(d, options.engine);
  if (!kind.ok())
    return kind.status();
  prepared.kind = *kind;
  if (*kind == ExecutorKind::Cpu)
    if (absl::Status status = rt::checkHostRuns(
            d.kernels.cpuFeatures, rt::printableText(d.kernels.cpu), options.engine);
        !status.ok())
      return status;
  // A text prompt: encoded with the engine's tokenizer, output as text.
  if (options.promptText) {
    if (d.tokenizerJson.empty())
      return absl::FailedPreconditionError(absl::StrCat(
          options.engine, " carries no tokenizer (compile it with dsv2c "
          "compile --tokenizer FILE), so --prompt cannot be encoded; give "
          "--tokens ID,... instead"));
    auto parsed = dsv2::tokenizer::Tokenizer::fromJson(
        d.tokenizerJson, options.engine + " (its tokenizer)");
    if (!parsed.ok())
      return parsed.status();
    prepared.tokenizer.emplace(std::move(*parsed));
    std::string text = options.chat
                           ? dsv2::run::chatPrompt(*options.promptText, options.system)
                           : *options.promptText;
    options.prompts = {dsv2::run::encodePrompt(*prepared.tokenizer, text)};
  }
  // Identical on every rank, and before any collective: a bad request
  // stops all ranks at the agreement, none mid-step.
  if (absl::Status status = checkPrompts(options, d); !status.ok())
    return status;
  if (*kind == ExecutorKind::Cpu) {
    auto library =
        rt::KernelLibrary::openImage(prepared.engine->kernelImage(), options.engine);
    if (!library.ok())
      return library.status();
    prepared.library = std::move(*library);
  }
  return absl::OkStatus();
}

absl::Status run(RunOptions options, const std::string &commandLine,
                 RankJob &job) {
  auto loadStart = std::chrono::steady_clock::now();
  auto identity = rt::readEngineIdentity(options.engine);
  if (!identity.ok())
    return identity.status();
  if (options.info) {
    rt::EngineLoadOptions loadOptions;
    loadOptions.verifyWeights = options.verifyWeights;
    auto engine = rt::LoadedEngine::open(options.engine, loadOptions);
    if (!engine.ok())
      return engine.status();
    printInfo(**engine);
    return absl::OkStatus();
  }
  auto joined = dsv2::run::joinRankJob(options.engine, *identity, options,
                                       commandLine);
  if (!joined.ok())
    return joined.status();
  job = std::move(*joined);
  if (options.threads == 0)
    options.threads = dsv2::run::defaultThreadsPerRank(job);

  PreparedRank prepared;
  absl::Status ready = prepareRank(options, job, prepared);
  if (job.multiRank()) {
    const rt::EngineParallelInfo &layout = identity->parallel;
    rt::RunIdentity mine{identity->buildId, layout.worldSize,
                         layout.tensorParallel, layout.expertParallel,
                         ready.ok()};
    absl::Status agreed = rt::agreeToRun(*job.collectives, mine);
    // A problem of the whole run (other engines, another job size) is said
    // the same way by every rank; else a rank that failed says why.
    if (!agreed.ok() && !absl::IsAborted(agreed))
      return agreed;
    if (!ready.ok())
      return ready;
    job.running = true;
  } else if (!ready.ok()) {
    return ready;
  }
  const rt::LoadedEngine &loaded = *prepared.engine;
  const rt::EngineDescription &d = loaded.description();
  std::optional<dsv2::tokenizer::Tokenizer> &tokenizer = prepared.tokenizer;

  auto executor = createExecutor(prepared.kind, loaded, std::move(prepared.library),
                                 options, job.collectives.get());
  if (!executor.ok())
    return executor.status();
  double loadSeconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - loadStart)
          .count();

  size_t batch = options.prompts.size();
  // Streaming: one sequence prints its ids on one line as they come; a
  // batch prints one line per decode round with every sequence's new id.
  std::vector<std::string> round(batch, "-");
  bool anyPrinted = false;
  std::optional<dsv2::tokenizer::StreamingDecoder> decoder;
  if (tokenizer)
    decoder.emplace(*tokenizer);
  const bool printing = job.printsOutput();
  auto onToken = [&](int sequence, int32_t id) {
    if (options.quiet || !printing)
      return;
    if (decoder) {
      std::string text = decoder->add(id);
      std::fwrite(text.data(), 1, text.size(), stdout);
      std::fflush(stdout);
    } else if (batch == 1) {
      std::printf("%s%d", anyPrinted ? "," : "", id);
      std::fflush(stdout);
      anyPrinted = true;
    } else {
      round[sequence] = std::to_string(id);
    }
  };
  int rounds = 0;
  auto onRound = [&]() {
    if (options.quiet || batch == 1 || !printing)
      return;
    std::printf("round %d: %s\n", rounds++, absl::StrJoin(round, " ").c_str());
    std::fflush(stdout);
    round.assign(batch, "-");
  };
  // Every rank feeds rank 0's ids, sampled or greedy.
  dsv2::run::TokenSharing shareToken;
  if (job.multiRank())
    shareToken = [&](int32_t id) -> absl::StatusOr<int32_t> {
      if (absl::Status status = job.collectives->broadcast(&id, 1); !status.ok())
        return status;
      return id;
    };
  dsv2::run::GenerationStats stats;
  auto results = dsv2::run::generate(**executor, options, d.model.eosTokenId,
                                      stats, onToken, onRound, shareToken);
  if (!printing)
    return results.status();
  if (decoder && !options.quiet) {
    std::string rest = decoder->flush();
    std::fwrite(rest.data(), 1, rest.size(), stdout);
    std::printf("\n");
  } else if (batch == 1 && anyPrinted && !options.quiet) {
    std::printf("\n");
  }
  if (!results.ok())
    return results.status();

  if (options.dumpLogits)
    for (size_t s = 0; s < batch; ++s) {
      int64_t positions = static_cast<int64_t>(options.prompts[s].size());
      absl::Status status = rt::writeNpyF32(
          logitsPath(*options.dumpLogits, s, batch), {positions, d.model.vocabSize},
          absl::MakeConstSpan((*results)[s].promptLogits));
      if (!status.ok())
        return status;
    }

  for (size_t s = 0; s < batch; ++s) {
    const dsv2::run::SequenceResult &result = (*results)[s];
    std::string ids = absl::StrJoin(result.generated, ",");
    if (options.quiet)
      std::printf("%s\n", ids.c_str());
    else if (batch > 1)
      std::printf("sequence %zu: %s%s\n", s, ids.c_str(),
                  result.stoppedAtEos ? " (eos)" : "");
  }
  std::fflush(stdout);
  if (options.quiet)
    return absl::OkStatus();

  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const ExecutorKind *kind = &prepared.kind;
  std::string where =
      *kind == ExecutorKind::Cuda
          ? absl::StrCat(d.target, " on ",
                         static_cast<rt::CudaExecutor &>(**executor).device().name)
          : absl::StrCat("cpu '", d.kernels.cpu, "'");
  std::fprintf(stderr, "dsv2-run: %s (%s, %s weights, %s), %zu sequence(s)\n",
               options.engine.c_str(), d.model.description.c_str(),
               d.model.weightDtype.c_str(), where.c_str(), batch);
  if (options.promptText)
    std::fprintf(stderr, "  prompt:   %zu tokens%s\n", options.prompts[0].size(),
                 options.chat ? " (DeepSeek-V2-Chat format)" : "");
  if (job.multiRank()) {
    // GPU ranks exchange through NCCL, which the MPI backend bootstrapped.
    std::string over =
        *kind == ExecutorKind::Cuda
            ? absl::StrCat(static_cast<rt::CudaExecutor &>(**executor)
                               .collectivesDescription(),
                           ", bootstrapped by ", job.collectives->describe(),
                           ", one GPU each")
            : absl::StrCat(job.collectives->describe(), ", ", options.threads,
                           " threads each");
    std::fprintf(stderr, "  ranks:    %s over %s; rank 0's figures\n",
                 dsv2::run::describeLayout(d.parallel).c_str(), over.c_str());
  }
  std::string held = loaded.weightMemory() == rt::FileMemory::HugePageCopy
                         ? "read into 2 MiB pages"
                         : "mapped";
  if (!loaded.weightMemoryNote().empty())
    held += " (" + loaded.weightMemoryNote() + ")";
  std::fprintf(stderr, "  load:     %.3f s (%s weights %s%s)\n", loadSeconds,
               mebibytes(loaded.weightFileBytes()).c_str(), held.c_str(),
               options.verifyWeights ? ", checksums verified" : "");
  std::fprintf(stderr, "  prefill:  %lld tokens in %.4f s = %.1f tokens/s\n",
               (long long)stats.prefillTokens, stats.prefillSeconds,
               stats.prefillSeconds > 0 ? stats.prefillTokens / stats.prefillSeconds : 0.0);
  if (stats.decodeTokens > 0)
    std::fprintf(stderr, "  decode:   %lld tokens in %.4f s = %.1f tokens/s\n",
                 (long long)stats.decodeTokens, stats.decodeSeconds,
                 stats.decodeTokens / stats.decodeSeconds);
  else
    std::fprintf(stderr, "  decode:   none\n");
  if (*kind == ExecutorKind::Cuda && stats.decodeTokens > 0)
    std::fprintf(stderr, "  launches: decode steps as %s\n",
                 static_cast<rt::CudaExecutor &>(**executor)
                     .decodeLaunchDescription()
                     .c_str());
  if (*kind == ExecutorKind::Cuda)
    std::fprintf(stderr, "  kernels:  %s\n",
                 static_cast<rt::CudaExecutor &>(**executor)
                     .moduleDescription()
                     .c_str());
  std::fprintf(stderr, "  memory:   peak RSS %s (%s %s)\n",
               mebibytes(usage.ru_maxrss * 1024.0).c_str(),
               *kind == ExecutorKind::Cuda ? "device memory: weights, buffers and KV caches"
                                           : "buffers and KV caches",
               mebibytes((*executor)->allocatedBytes()).c_str());
  if (options.dumpLogits)
    std::fprintf(stderr, "  logits:   %s%s\n", options.dumpLogits->c_str(),
                 batch > 1 ? " (one file per sequence: .<i> before .npy)" : "");
  return absl::OkStatus();
}

} // namespace

int main(int argc, char **argv) {
  auto options = dsv2::run::parseRunOptions(argc, argv);
  if (!options.ok()) {
    std::fprintf(stderr, "dsv2-run: error: %s\n",
                 std::string(options.status().message()).c_str());
    return dsv2::run::isUsageError(options.status()) ? 2 : 1;
  }
  if (options->help) {
    dsv2::run::printHelp();
    return 0;
  }
  std::vector<std::string> arguments(argv + 1, argv + argc);
  std::string commandLine = absl::StrCat("dsv2-run ", absl::StrJoin(arguments, " "));
  RankJob job;
  absl::Status status = run(*options, commandLine, job);
  if (!status.ok()) {
    std::string rank = job.multiRank() ? absl::StrCat("rank ", job.rank, ": ") : "";
    std::fprintf(stderr, "dsv2-run: error: %s%s\n", rank.c_str(),
                 std::string(status.message()).c_str());
    std::fflush(stderr);
    // The other ranks may be waiting in a collective for this one.
    if (job.running)
      job.collectives->abortAll(1);
    return 1;
  }
  return 0;
}
