//===- EngineReader.cpp - Loads and verifies an engine --------------------===//

#include "runtime/engine/EngineReader.h"

#include "runtime/engine/Checksum.h"
#include "runtime/engine/engine_generated.h"
#include "runtime/io/ParallelWork.h"
#include "runtime/io/PrintableText.h"

#include "absl/strings/str_cat.h"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <numeric>
#include <vector>

namespace dsv2::runtime {
namespace fb = ::dsv2::engine::fb;

namespace {

/// Errors say which file is wrong and how; the caller adds nothing. Names
/// read from a damaged file may hold any bytes, so the details go through
/// printableText: the message stays one line.
class Problems {
public:
  explicit Problems(std::string source) : source(std::move(source)) {}
  template <typename... Args> absl::Status corrupt(const Args &...args) const {
    return absl::DataLossError(
        absl::StrCat(source, ": corrupt engine: ",
                     printableText(absl::StrCat(args...), 1000)));
  }
  std::string source;
};

StepExpr fromFb(const fb::StepExpr *e) {
  if (!e)
    return {};
  return {e->constant(), e->per_token(), e->per_past(), e->divisor()};
}

std::string str(const flatbuffers::String *s) { return s ? s->str() : ""; }

/// The largest magnitude a plan's step expressions may reach: far above any
/// real size, and low enough that evaluating one for any step (tokens and
/// past positions up to the context) and scaling it to bytes cannot overflow.
constexpr int64_t kMaxStepValue = int64_t{1} << 48;

uint64_t magnitude(int64_t value) {
  return value < 0 ? 0 - static_cast<uint64_t>(value)
                   : static_cast<uint64_t>(value);
}

/// Whether StepExpr::evaluate stays within +-kMaxStepValue for every
/// 0 <= tokens, past <= maxContext (maxContext in [1, kMaxStepValue]).
bool withinStepLimits(const StepExpr &e, int64_t maxContext) {
  if (e.divisor <= 0 || e.divisor > kMaxStepValue)
    return false;
  const uint64_t limit = kMaxStepValue, context = maxContext;
  uint64_t total = magnitude(e.constant); // < 2^64, and each term below < 2^48
  for (int64_t coefficient : {e.perToken, e.perPast}) {
    if (magnitude(coefficient) > limit / context)
      return false;
    total += magnitude(coefficient) * context;
  }
  return total <= limit - static_cast<uint64_t>(e.divisor);
}

/// Whether a vector's 8-byte elements are aligned. The flatbuffers verifier
/// only aligns a vector's length field (4 bytes), so a damaged engine can put
/// [long] or [StepExpr] elements where reading them is a misaligned load.
/// (An empty vector's data may sit anywhere: nothing is read.)
template <typename Vector> bool aligned8(const Vector &vector) {
  return vector.size() == 0 ||
         reinterpret_cast<uintptr_t>(vector.data()) % 8 == 0;
}

template <typename T> bool inEnum(T value, T last) {
  return static_cast<unsigned>(value) <= static_cast<unsigned>(last);
}

/// How errors name a launch: its kernel, or its collective and dsv2 op.
std::string launchName(const Launch &launch) {
  if (!launch.isCollective())
    return launch.kernel;
  return absl::StrCat(collectiveName(launch.collective), " (", launch.origin,
                      ")");
}

/// A collective's arguments follow LaunchPlan.h's contract: f32 source and
/// destination buffers, then Int32 rows and columns; it names no kernel.
absl::Status checkCollective(const Launch &l,
                             const std::vector<BufferSpec> &buffers,
                             const Problems &problems) {
  const std::string name = launchName(l);
  if (!l.kernel.empty())
    return problems.corrupt(name, " names kernel ", l.kernel);
  if (l.args.size() != 4 || l.args[0].kind != KernelArg::Kind::Buffer ||
      l.args[1].kind != KernelArg::Kind::Buffer ||
      l.args[2].kind != KernelArg::Kind::Int32 ||
      l.args[3].kind != KernelArg::Kind::Int32)
    return problems.corrupt(name, " has ", l.args.size(),
                            " arguments, not (source buffer, destination "
                            "buffer, rows, columns)");
  for (int a = 0; a < 2; ++a)
    if (buffers[l.args[a].buffer].type != ElementType::F32)
      return problems.corrupt(name, " on buffer ",
                              buffers[l.args[a].buffer].name,
                              ", which is not f32");
  return absl::OkStatus();
}

absl::Status readProgram(const fb::StepProgram *in, StepProgram &out,
                         const std::vector<BufferSpec> &buffers,
                         int64_t maxContext, const Problems &problems) {
  if (!in || !in->launches())
    return absl::OkStatus();
  const size_t bufferCount = buffers.size();
  for (const fb::Launch *launch : *in->launches()) {
    Launch l;
    l.kernel = launch->kernel()->str();
    l.origin = str(launch->origin());
    if (!inEnum(launch->collective(), fb::CollectiveKind::MAX) ||
        !inEnum(launch->group(), fb::CollectiveGroup::MAX))
      return problems.corrupt("launch of ", l.kernel,
                              " has an unknown collective or group");
    l.collective = static_cast<CollectiveKind>(launch->collective());
    l.group = static_cast<CollectiveGroup>(launch->group());
    const std::string name = launchName(l);
    if (!l.isCollective() && l.kernel.empty())
      return problems.corrupt("a launch (", l.origin, ") names no kernel");
    if (launch->grid()->size() != 3)
      return problems.corrupt("launch of ", name, " has ",
                              launch->grid()->size(), " grid sizes, not 3");
    if (!aligned8(*launch->grid()))
      return problems.corrupt("launch of ", name, " has a misaligned grid");
    for (int d = 0; d < 3; ++d) {
      l.grid[d] = fromFb(launch->grid()->Get(d));
      if (!withinStepLimits(l.grid[d], maxContext))
        return problems.corrupt("launch of ", name,
                                " has a grid size out of range");
    }
    if (launch->args())
      for (const fb::KernelArg *arg : *launch->args()) {
        KernelArg a;
        if (!inEnum(arg->kind(), fb::ArgKind::MAX))
          return problems.corrupt("launch of ", name,
                                  " has an argument of unknown kind");
        a.kind = static_cast<KernelArg::Kind>(arg->kind());
        a.buffer = arg->buffer();
        a.offset = fromFb(arg->offset());
        a.intValue = fromFb(arg->int_value());
        a.floatValue = arg->float_value();
        a.rowElements = arg->row_elements();
        if (!withinStepLimits(a.offset, maxContext) ||
            !withinStepLimits(a.intValue, maxContext) ||
            // A batched step's first row is below maxContext.
            a.rowElements < 0 || a.rowElements > kMaxStepValue / maxContext ||
            (a.kind != KernelArg::Kind::Buffer && a.rowElements != 0))
          return problems.corrupt("launch of ", name,
                                  " has an argument out of range");
        if (a.kind == KernelArg::Kind::Buffer &&
            (a.buffer < 0 || static_cast<size_t>(a.buffer) >= bufferCount))
          return problems.corrupt("launch of ", name, " uses buffer ",
                                  a.buffer, " of ", bufferCount);
        l.args.push_back(a);
      }
    if (l.isCollective())
      if (absl::Status status = checkCollective(l, buffers, problems);
          !status.ok())
        return status;
    out.launches.push_back(std::move(l));
  }
  return absl::OkStatus();
}

/// Reads and checks one rank's program: its plan (buffers, both step
/// programs) and its weight table.
absl::StatusOr<RankProgramInfo> readRank(const fb::RankProgram *rank,
                                         const EngineDescription &d,
                                         const Problems &problems) {
  RankProgramInfo info;
  LaunchPlan &plan = info.plan;
  const int64_t maxContext = d.kvCache.maxContext;
  for (const fb::Buffer *buffer : *rank->buffers()) {
    BufferSpec spec;
    spec.name = buffer->name()->str();
    if (!inEnum(buffer->role(), fb::BufferRole::MAX) ||
        !inEnum(buffer->type(), fb::ElementType::MAX))
      return problems.corrupt("buffer ", spec.name, " has an unknown role or type");
    spec.role = static_cast<BufferRole>(buffer->role());
    spec.type = static_cast<ElementType>(buffer->type());
    spec.elements = fromFb(buffer->elements());
    if (!withinStepLimits(spec.elements, maxContext))
      return problems.corrupt("buffer ", spec.name, " has a size out of range");
    spec.source = str(buffer->source());
    if (buffer->shape()) {
      if (!aligned8(*buffer->shape()))
        return problems.corrupt("buffer ", spec.name, " has a misaligned shape");
      spec.shape.assign(buffer->shape()->begin(), buffer->shape()->end());
    }
    if (buffer->constant_data())
      spec.constantData.assign(buffer->constant_data()->begin(),
                               buffer->constant_data()->end());
    plan.buffers.push_back(std::move(spec));
  }
  size_t bufferCount = plan.buffers.size();
  if (absl::Status status = readProgram(rank->prefill(), plan.prefill,
                                        plan.buffers, maxContext, problems);
      !status.ok())
    return status;
  if (absl::Status status = readProgram(rank->decode(), plan.decode,
                                        plan.buffers, maxContext, problems);
      !status.ok())
    return status;
  auto hasRole = [&](int32_t index, BufferRole role) {
    return index >= 0 && static_cast<size_t>(index) < bufferCount &&
           plan.buffers[index].role == role;
  };
  plan.tokensBuffer = rank->tokens_buffer();
  plan.logitsBuffer = rank->logits_buffer();
  if (!hasRole(plan.tokensBuffer, BufferRole::Tokens) ||
      !hasRole(plan.logitsBuffer, BufferRole::Logits))
    return problems.corrupt("the token or logit buffer index is wrong");
  if (rank->prefill_last_row()) {
    if (absl::Status status =
            readProgram(rank->prefill_last_row(), plan.prefillLastRow,
                        plan.buffers, maxContext, problems);
        !status.ok())
      return status;
    // A scratch buffer of at least one row of logits, whatever the step.
    plan.lastRowLogitsBuffer = rank->last_row_logits_buffer();
    if (!hasRole(plan.lastRowLogitsBuffer, BufferRole::Scratch) ||
        plan.buffers[plan.lastRowLogitsBuffer].type != ElementType::F32 ||
        plan.buffers[plan.lastRowLogitsBuffer].elements.evaluate(1, 0) <
            d.model.vocabSize)
      return problems.corrupt("the last-row logit buffer index is wrong");
  }
  if (rank->decode_batch())
    if (absl::Status status = readProgram(rank->decode_batch(), plan.decodeBatch,
                                          plan.buffers, maxContext, problems);
        !status.ok())
      return status;
  plan.vocabSize = d.model.vocabSize;
  plan.maxContext = d.kvCache.maxContext;
  plan.rank = rank->rank();
  plan.tensorParallel = d.parallel.tensorParallel;
  plan.expertParallel = d.parallel.expertParallel;

  info.weightFile = rank->weight_file()->str();
  // The name becomes a path in LoadedEngine::open's messages: one plain
  // file beside the engine, printable.
  if (info.weightFile.empty() || info.weightFile.find('/') != std::string::npos ||
      printableText(info.weightFile) != info.weightFile)
    return problems.corrupt("weight file name '", info.weightFile, "'");
  info.weightFileBytes = rank->weight_file_bytes();
  // Every weight buffer without inline constants has exactly one entry, of
  // exactly its size, inside the file and aligned.
  std::vector<int> entriesPerBuffer(bufferCount, 0);
  if (rank->weights())
    for (const fb::WeightEntry *entry : *rank->weights()) {
      PackedWeight w{entry->buffer(), entry->name()->str(), entry->offset(),
                     entry->bytes(), entry->checksum()};
      if (!hasRole(w.buffer, BufferRole::Weight))
        return problems.corrupt("weight ", w.name, " names buffer ", w.buffer);
      const BufferSpec &spec = plan.buffers[w.buffer];
      uint64_t expected = static_cast<uint64_t>(spec.elements.evaluate(0, 0)) *
                          elementBytes(spec.type);
      if (w.bytes != expected || w.offset % kWeightAlignment != 0 ||
          w.offset < kWeightsHeaderBytes || w.offset > info.weightFileBytes ||
          w.bytes > info.weightFileBytes - w.offset)
        return problems.corrupt("weight ", w.name, " at [", w.offset, ", +",
                                w.bytes, ") does not fit its buffer (",
                                expected, " bytes) or the weight file (",
                                info.weightFileBytes, " bytes)");
      ++entriesPerBuffer[w.buffer];
      info.weights.push_back(std::move(w));
    }
  for (size_t i = 0; i < bufferCount; ++i) {
    const BufferSpec &spec = plan.buffers[i];
    bool packed = spec.role == BufferRole::Weight && spec.constantData.empty();
    if (entriesPerBuffer[i] != (packed ? 1 : 0))
      return problems.corrupt("buffer ", spec.name, " has ", entriesPerBuffer[i],
                              " packed weights");
    if (spec.role == BufferRole::Weight && !packed &&
        static_cast<int64_t>(spec.constantData.size()) !=
            spec.elements.evaluate(0, 0))
      return problems.corrupt("constant ", spec.name, " has the wrong size");
  }
  return info;
}

/// The parallel plan: world = tp * ep ranks, one program each, in rank
/// order.
absl::Status readParallelPlan(const fb::Engine *engine, EngineParallelInfo &out,
                              const Problems &problems) {
  if (const fb::ParallelPlan *parallel = engine->parallel())
    out = {parallel->world_size(), parallel->tensor_parallel(),
           parallel->expert_parallel()};
  const EngineParallelInfo &p = out;
  // Both factors are positive and bounded first, so the product fits.
  constexpr int32_t kMaxRanks = 1 << 15;
  if (p.tensorParallel < 1 || p.expertParallel < 1 ||
      p.tensorParallel > kMaxRanks || p.expertParallel > kMaxRanks ||
      p.worldSize != int64_t{p.tensorParallel} * p.expertParallel)
    return problems.corrupt("world size ", p.worldSize, " is not tp ",
                            p.tensorParallel, " x ep ", p.expertParallel);
  if (engine->ranks()->size() != static_cast<uint32_t>(p.worldSize))
    return problems.corrupt(engine->ranks()->size(),
                            " rank programs for a world of ", p.worldSize,
                            " ranks");
  for (uint32_t r = 0; r < engine->ranks()->size(); ++r)
    if (engine->ranks()->Get(r)->rank() != static_cast<int32_t>(r))
      return problems.corrupt("rank program ", r, " says it is rank ",
                              engine->ranks()->Get(r)->rank());
  return absl::OkStatus();
}

} // namespace

absl::StatusOr<ParsedEngine> parseEngine(absl::Span<const uint8_t> file,
                                         const std::string &source, int rank) {
  Problems problems(source);
  if (file.size() < kEngineHeaderBytes ||
      std::memcmp(file.data(), kEngineMagic, sizeof kEngineMagic) != 0)
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": not a dsv2 engine (no DSV2ENG header)"));
  EngineHeader header;
  std::memcpy(&header, file.data(), sizeof header);
  if (header.schemaVersion != kEngineSchemaVersion)
    return absl::FailedPreconditionError(absl::StrCat(
        source, ": engine schema version ", header.schemaVersion,
        ", this runtime reads version ", kEngineSchemaVersion,
        "; recompile the engine with a matching dsv2c"));
  if (header.headerBytes != kEngineHeaderBytes)
    return problems.corrupt("header size ", header.headerBytes);
  uint64_t available = file.size() - kEngineHeaderBytes;
  if (header.flatbufferBytes != available)
    return header.flatbufferBytes > available
               ? problems.corrupt("truncated: ", file.size(), " bytes, the header says ",
                                  kEngineHeaderBytes + header.flatbufferBytes)
               : problems.corrupt(available - header.flatbufferBytes,
                                  " unexpected bytes after the engine");
  const uint8_t *data = file.data() + kEngineHeaderBytes;
  if (checksum64(data, header.flatbufferBytes, kFlatbufferChecksumSeed) !=
      header.flatbufferChecksum)
    return problems.corrupt("checksum mismatch (the file was modified or "
                            "damaged after dsv2c wrote it)");
  // The root offset and the identifier come first; reading them from fewer
  // bytes would run past the file.
  if (header.flatbufferBytes <
      sizeof(flatbuffers::uoffset_t) + flatbuffers::kFileIdentifierLength)
    return problems.corrupt("the flatbuffer has only ", header.flatbufferBytes,
                            " bytes");
  if (!fb::EngineBufferHasIdentifier(data))
    return problems.corrupt("no DSV2 flatbuffer identifier");
  flatbuffers::Verifier verifier(data, header.flatbufferBytes,
                                 /*max_depth=*/64, /*max_tables=*/10000000);
  if (!fb::VerifyEngineBuffer(verifier))
    return problems.corrupt("the flatbuffer does not verify");
  const fb::Engine *engine = fb::GetEngine(data);
  if (engine->schema_version() != kEngineSchemaVersion)
    return problems.corrupt("header and flatbuffer disagree on the schema version");

  ParsedEngine parsed;
  EngineDescription &d = parsed.description;
  d.target = engine->target()->str();
  d.producer = str(engine->producer());
  d.tokenizerJson = str(engine->tokenizer_json());
  if (engine->build_id()->size() != kBuildIdBytes)
    return problems.corrupt("build id of ", engine->build_id()->size(), " bytes");
  std::memcpy(parsed.buildId.data(), engine->build_id()->data(), kBuildIdBytes);

  const fb::ModelInfo *model = engine->model();
  d.model = {str(model->description()), str(model->config_json()),
             model->vocab_size(), model->hidden_size(), model->num_layers(),
             model->max_position_embeddings(), model->bos_token_id(),
             model->eos_token_id(), str(model->weight_dtype())};
  if (const fb::KvCacheSpec *kv = engine->kv_cache())
    d.kvCache = {str(kv->kind()), kv->values_per_token_per_layer(), kv->layers(),
                 static_cast<ElementType>(kv->element_type()), kv->max_context(),
                 kv->bytes_per_token(), kv->max_batch()};
  // Every step expression below is bounded over contexts up to this one.
  const int64_t maxContext = d.kvCache.maxContext;
  if (maxContext <= 0 || maxContext > kMaxStepValue)
    return problems.corrupt("a context of ", maxContext, " positions");

  if (engine->kernels()->size() != 1)
    return problems.corrupt(engine->kernels()->size(),
                            " kernel modules; this runtime expects one");
  const fb::KernelModule *module = engine->kernels()->Get(0);
  d.kernels.target = module->target()->str();
  d.kernels.format = module->format()->str();
  d.kernels.cpu = str(module->cpu());
  if (module->cpu_features())
    for (const flatbuffers::String *feature : *module->cpu_features())
      d.kernels.cpuFeatures.push_back(feature->str());
  if (module->kernels())
    for (const flatbuffers::String *name : *module->kernels())
      d.kernels.kernels.push_back(name->str());
  if (module->gpu_kernels()) {
    if (module->gpu_kernels()->size() != d.kernels.kernels.size())
      return problems.corrupt("launch shapes for ", module->gpu_kernels()->size(),
                              " of ", d.kernels.kernels.size(), " kernels");
    for (const fb::GpuKernel *kernel : *module->gpu_kernels()) {
      GpuKernelInfo info{kernel->name()->str(), kernel->threads(),
                         kernel->shared_bytes()};
      // A block has at most 1024 threads and 227 KiB of shared memory on
      // any target we generate for.
      if (info.threads <= 0 || info.threads > 1024 || info.sharedBytes < 0 ||
          info.sharedBytes > 232448)
        return problems.corrupt("kernel ", info.name, " launches ",
                                info.threads, " threads with ",
                                info.sharedBytes, " bytes of shared memory");
      d.kernels.gpuKernels.push_back(std::move(info));
    }
  }
  parsed.kernelImage = {module->image()->data(), module->image()->size()};
  if (const flatbuffers::Vector<uint8_t> *cubin = module->cubin()) {
    static constexpr uint8_t kElfMagic[4] = {0x7f, 'E', 'L', 'F'};
    if (d.kernels.format != "ptx")
      return problems.corrupt("a cubin beside a ", d.kernels.format,
                              " kernel image (only PTX engines carry one)");
    if (cubin->size() < 4 || !std::equal(kElfMagic, kElfMagic + 4, cubin->data()))
      return problems.corrupt("the cubin is not an ELF image");
    d.kernels.cubin.assign(cubin->data(), cubin->data() + cubin->size());
  }

  if (absl::Status status = readParallelPlan(engine, d.parallel, problems);
      !status.ok())
    return status;
  if (d.model.vocabSize <= 0 || d.kvCache.maxBatch <= 0)
    return problems.corrupt("vocabulary ", d.model.vocabSize, ", context ",
                            maxContext, ", batch ", d.kvCache.maxBatch);
  for (uint32_t r = 0; r < engine->ranks()->size(); ++r) {
    // Errors name the rank when there is more than one.
    Problems rankProblems(d.parallel.worldSize == 1
                              ? source
                              : absl::StrCat(source, ": rank ", r));
    auto rank = readRank(engine->ranks()->Get(r), d, rankProblems);
    if (!rank.ok())
      return rank.status();
    parsed.ranks.push_back(std::move(*rank));
  }
  if (rank < 0 || rank >= d.parallel.worldSize)
    return absl::InvalidArgumentError(absl::StrCat(
        source, ": rank ", rank, " of an engine of ", d.parallel.worldSize,
        d.parallel.worldSize == 1 ? " rank" : " ranks"));
  const RankProgramInfo &selected = parsed.ranks[rank];
  d.plan = selected.plan;
  parsed.weightFile = selected.weightFile;
  parsed.weightFileBytes = selected.weightFileBytes;
  parsed.weights = selected.weights;
  return parsed;
}

absl::StatusOr<EngineIdentity> readEngineIdentity(const std::string &path) {
  auto engine = MappedFile::open(path);
  if (!engine.ok())
    return engine.status();
  auto parsed = parseEngine((*engine)->bytes(), path);
  if (!parsed.ok())
    return parsed.status();
  return EngineIdentity{parsed->buildId, parsed->description.parallel};
}

/// The index of the first weight (in file order) whose bytes do not match
/// its checksum, or -1. Several threads take the weights largest first:
/// one thread spent ~0.65 s of a 0.77 s load on a 4.2 GiB weight file.
static int64_t firstChecksumMismatch(const uint8_t *base,
                                     const std::vector<PackedWeight> &weights) {
  std::vector<size_t> order(weights.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return weights[a].bytes > weights[b].bytes;
  });
  std::vector<char> bad(weights.size(), 0);
  std::atomic<size_t> next{0};
  runOnThreads(loadingThreads(weights.size()), [&](size_t) {
    for (size_t i; (i = next++) < order.size();) {
      const PackedWeight &w = weights[order[i]];
      bad[order[i]] = checksum64(base + w.offset, w.bytes,
                                 kWeightChecksumSeed) != w.checksum;
    }
  });
  for (size_t i = 0; i < bad.size(); ++i)
    if (bad[i])
      return static_cast<int64_t>(i);
  return -1;
}

/// Whether the weight file at `path` may be copied into huge pages; if not,
/// `why` says what stops it. The copy must leave a quarter of the available
/// memory free: a mapping degrades under pressure (pages are re-read), an
/// anonymous copy without swap would be killed.
static bool hugePageCopyFits(const std::string &path, std::string &why) {
  if (!transparentHugePagesAvailable()) {
    why = "transparent huge pages are off";
    return false;
  }
  std::error_code error;
  const uint64_t bytes = std::filesystem::file_size(path, error);
  const uint64_t available = memoryAvailableBytes();
  if (!error && available != 0 && bytes > available / 4 * 3) {
    why = absl::StrCat("too large to copy: ", available >> 20,
                       " MiB of memory available");
    return false;
  }
  return true;
}

absl::StatusOr<std::unique_ptr<LoadedEngine>>
LoadedEngine::open(const std::string &path, const EngineLoadOptions &options) {
  std::unique_ptr<LoadedEngine> loaded(new LoadedEngine());
  loaded->enginePath = path;
  auto engine = MappedFile::open(path);
  if (!engine.ok())
    return engine.status();
  loaded->engine = std::move(*engine);
  auto parsed = parseEngine(loaded->engine->bytes(), path, options.rank);
  if (!parsed.ok())
    return parsed.status();
  loaded->info = std::move(parsed->description);
  loaded->id = parsed->buildId;
  loaded->image = parsed->kernelImage;

  size_t slash = path.rfind('/');
  loaded->weightsPath =
      (slash == std::string::npos ? "" : path.substr(0, slash + 1)) +
      parsed->weightFile;
  const std::string &weightsPath = loaded->weightsPath;
  bool copy = false;
  if (options.hugePageWeights) {
    if (loaded->info.target == "cpu")
      copy = hugePageCopyFits(weightsPath, loaded->weightsNote);
    else
      loaded->weightsNote = absl::StrCat("huge pages are for cpu engines, not ",
                                         printableText(loaded->info.target));
  }
  auto weights = MappedFile::open(
      weightsPath, copy ? FileMemory::HugePageCopy : FileMemory::Mapped);
  if (!weights.ok())
    return absl::NotFoundError(absl::StrCat(
        path,
        copy ? ": its weight file could not be copied into huge pages "
               "(without them it is mapped): "
             : ": its weight file is missing or unreadable: ",
        weights.status().message()));
  loaded->weights = std::move(*weights);
  const MappedFile &file = *loaded->weights;
  WeightsHeader header;
  if (file.size() < sizeof header ||
      std::memcmp(file.data(), kWeightsMagic, sizeof kWeightsMagic) != 0)
    return absl::DataLossError(
        absl::StrCat(weightsPath, ": not a dsv2 weight file (no DSV2WTS header)"));
  std::memcpy(&header, file.data(), sizeof header);
  if (std::memcmp(header.buildId, parsed->buildId.data(), kBuildIdBytes) != 0)
    return absl::FailedPreconditionError(absl::StrCat(
        weightsPath, ": belongs to another compile than ", path,
        " (build ids differ); recompile or copy the matching pair"));
  if (header.rank != static_cast<uint32_t>(options.rank))
    return absl::FailedPreconditionError(absl::StrCat(
        weightsPath, ": is the weight file of rank ", header.rank, ", not of rank ",
        options.rank, "; recompile or copy the matching files"));
  if (file.size() != parsed->weightFileBytes || header.fileBytes != file.size())
    return absl::DataLossError(absl::StrCat(
        weightsPath, ": truncated or extended: ", file.size(),
        " bytes, the engine expects ", parsed->weightFileBytes));

  if (options.verifyWeights) {
    const int64_t bad = firstChecksumMismatch(file.data(), parsed->weights);
    if (bad >= 0) {
      const PackedWeight &w = parsed->weights[bad];
      return absl::DataLossError(absl::StrCat(
          weightsPath, ": checksum mismatch in weight ", w.name, " (bytes ",
          w.offset, "..", w.offset + w.bytes, ")"));
    }
  }
  loaded->addresses.assign(loaded->info.plan.buffers.size(), nullptr);
  for (const PackedWeight &w : parsed->weights)
    loaded->addresses[w.buffer] = file.data() + w.offset;
  return loaded;
}

} // namespace dsv2::runtime
