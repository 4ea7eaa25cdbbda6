//===- EngineWriter.cpp - Writes an engine and its weights atomically -----===//

#include "runtime/engine/EngineWriter.h"

#include "runtime/engine/Checksum.h"
#include "runtime/engine/engine_generated.h"

#include "absl/strings/str_cat.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <unistd.h>

namespace dsv2::runtime {
namespace fb = ::dsv2::engine::fb;

namespace {

absl::Status ioError(const std::string &what, const std::string &path) {
  return absl::InternalError(
      absl::StrCat("cannot ", what, " ", path, ": ", std::strerror(errno)));
}

std::string baseName(const std::string &path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

/// A name in the final file's directory that no other writer uses.
std::string temporaryName(const std::string &path) {
  std::random_device device;
  return absl::StrCat(path, ".tmp-", getpid(), "-", device() % 1000000);
}

BuildId freshBuildId() {
  std::random_device device;
  BuildId id;
  for (uint8_t &byte : id)
    byte = static_cast<uint8_t>(device());
  return id;
}

fb::StepExpr toFb(const StepExpr &e) {
  return fb::StepExpr(e.constant, e.perToken, e.perPast, e.divisor);
}

flatbuffers::Offset<fb::StepProgram>
buildProgram(flatbuffers::FlatBufferBuilder &b, const StepProgram &program) {
  std::vector<flatbuffers::Offset<fb::Launch>> launches;
  for (const Launch &launch : program.launches) {
    std::vector<flatbuffers::Offset<fb::KernelArg>> args;
    for (const KernelArg &arg : launch.args) {
      fb::StepExpr offset = toFb(arg.offset), intValue = toFb(arg.intValue);
      args.push_back(fb::CreateKernelArg(
          b, static_cast<fb::ArgKind>(arg.kind), arg.buffer, &offset,
          &intValue, arg.floatValue, arg.rowElements));
    }
    std::vector<fb::StepExpr> grid = {toFb(launch.grid[0]), toFb(launch.grid[1]),
                                      toFb(launch.grid[2])};
    launches.push_back(fb::CreateLaunchDirect(
        b, launch.kernel.c_str(), &grid, &args, launch.origin.c_str(),
        static_cast<fb::CollectiveKind>(launch.collective),
        static_cast<fb::CollectiveGroup>(launch.group)));
  }
  return fb::CreateStepProgramDirect(b, &launches);
}

flatbuffers::Offset<fb::RankProgram>
buildRank(flatbuffers::FlatBufferBuilder &b, const RankProgramInfo &rank) {
  const LaunchPlan &plan = rank.plan;
  std::vector<flatbuffers::Offset<fb::Buffer>> buffers;
  for (const BufferSpec &spec : plan.buffers) {
    fb::StepExpr elements = toFb(spec.elements);
    buffers.push_back(fb::CreateBufferDirect(
        b, spec.name.c_str(), static_cast<fb::BufferRole>(spec.role),
        static_cast<fb::ElementType>(spec.type), &elements, spec.source.c_str(),
        &spec.shape, spec.constantData.empty() ? nullptr : &spec.constantData));
  }
  std::vector<flatbuffers::Offset<fb::WeightEntry>> entries;
  for (const PackedWeight &weight : rank.weights)
    entries.push_back(fb::CreateWeightEntryDirect(b, weight.buffer,
                                                  weight.name.c_str(),
                                                  weight.offset, weight.bytes,
                                                  weight.checksum));
  auto prefill = buildProgram(b, plan.prefill);
  auto decode = buildProgram(b, plan.decode);
  // Absent when the plan has none (the reader then uses prefill).
  flatbuffers::Offset<fb::StepProgram> prefillLastRow;
  if (!plan.prefillLastRow.launches.empty())
    prefillLastRow = buildProgram(b, plan.prefillLastRow);
  flatbuffers::Offset<fb::StepProgram> decodeBatch;
  if (!plan.decodeBatch.launches.empty())
    decodeBatch = buildProgram(b, plan.decodeBatch);
  return fb::CreateRankProgramDirect(
      b, plan.rank, &buffers, prefill, decode, plan.tokensBuffer,
      plan.logitsBuffer, rank.weightFile.c_str(), rank.weightFileBytes,
      &entries, prefillLastRow, plan.lastRowLogitsBuffer, decodeBatch);
}

} // namespace

std::string weightFilePath(const std::string &enginePath, int rank) {
  return absl::StrCat(enginePath, ".rank", rank, ".weights");
}

std::vector<uint8_t> serializeEngine(const EngineDescription &description,
                                     absl::Span<const uint8_t> kernelImage,
                                     const BuildId &buildId,
                                     const std::string &weightFileName,
                                     uint64_t weightFileBytes,
                                     const std::vector<PackedWeight> &weights) {
  RankProgramInfo rank{description.plan, weightFileName, weightFileBytes,
                       weights};
  return serializeEngine(description, absl::MakeConstSpan(&rank, 1),
                         kernelImage, buildId);
}

std::vector<uint8_t> serializeEngine(const EngineDescription &description,
                                     absl::Span<const RankProgramInfo> rankInfos,
                                     absl::Span<const uint8_t> kernelImage,
                                     const BuildId &buildId) {
  flatbuffers::FlatBufferBuilder b(1 << 20);
  std::vector<flatbuffers::Offset<fb::RankProgram>> ranks;
  for (const RankProgramInfo &rank : rankInfos)
    ranks.push_back(buildRank(b, rank));

  const KernelModuleInfo &info = description.kernels;
  std::vector<flatbuffers::Offset<flatbuffers::String>> features, kernelNames;
  for (const std::string &feature : info.cpuFeatures)
    features.push_back(b.CreateString(feature));
  for (const std::string &name : info.kernels)
    kernelNames.push_back(b.CreateString(name));
  // The image is dlopen'ed from a copy, so its alignment only matters for
  // reading it; 64 keeps it cache-line aligned.
  b.ForceVectorAlignment(kernelImage.size(), 1, 64);
  auto image = b.CreateVector(kernelImage.data(), kernelImage.size());
  std::vector<flatbuffers::Offset<fb::GpuKernel>> gpuKernels;
  for (const GpuKernelInfo &kernel : info.gpuKernels)
    gpuKernels.push_back(fb::CreateGpuKernel(b, b.CreateString(kernel.name),
                                             kernel.threads,
                                             kernel.sharedBytes));
  flatbuffers::Offset<flatbuffers::Vector<flatbuffers::Offset<fb::GpuKernel>>>
      gpuKernelVector;
  if (!gpuKernels.empty())
    gpuKernelVector = b.CreateVector(gpuKernels);
  flatbuffers::Offset<flatbuffers::Vector<uint8_t>> cubin;
  if (!info.cubin.empty()) {
    b.ForceVectorAlignment(info.cubin.size(), 1, 64);
    cubin = b.CreateVector(info.cubin.data(), info.cubin.size());
  }
  std::vector<flatbuffers::Offset<fb::KernelModule>> modules = {
      fb::CreateKernelModule(b, b.CreateString(info.target),
                             b.CreateString(info.format),
                             b.CreateString(info.cpu),
                             b.CreateVector(features),
                             b.CreateVector(kernelNames), image,
                             gpuKernelVector, cubin)};

  const EngineModelInfo &m = description.model;
  auto model = fb::CreateModelInfoDirect(
      b, m.description.c_str(), m.configJson.c_str(), m.vocabSize, m.hiddenSize,
      m.numLayers, m.maxPositionEmbeddings, m.bosTokenId, m.eosTokenId,
      m.weightDtype.c_str());
  const EngineKvCacheInfo &kv = description.kvCache;
  auto kvCache = fb::CreateKvCacheSpecDirect(
      b, kv.kind.c_str(), kv.valuesPerTokenPerLayer, kv.layers,
      static_cast<fb::ElementType>(kv.elementType), kv.maxContext,
      kv.bytesPerToken, kv.maxBatch);
  const LaunchPlan &first =
      rankInfos.empty() ? description.plan : rankInfos[0].plan;
  auto parallel = fb::CreateParallelPlan(b, first.worldSize(),
                                         first.tensorParallel,
                                         first.expertParallel);
  std::vector<uint8_t> id(buildId.begin(), buildId.end());
  auto engine = fb::CreateEngineDirect(
      b, kEngineSchemaVersion, description.target.c_str(), &id,
      description.producer.c_str(), model, kvCache, parallel, &modules, &ranks,
      description.tokenizerJson.empty() ? nullptr
                                        : description.tokenizerJson.c_str());
  fb::FinishEngineBuffer(b, engine);

  EngineHeader header{};
  std::memcpy(header.magic, kEngineMagic, sizeof header.magic);
  header.schemaVersion = kEngineSchemaVersion;
  header.headerBytes = kEngineHeaderBytes;
  header.flatbufferBytes = b.GetSize();
  header.flatbufferChecksum =
      checksum64(b.GetBufferPointer(), b.GetSize(), kFlatbufferChecksumSeed);
  std::vector<uint8_t> file(kEngineHeaderBytes + b.GetSize());
  std::memcpy(file.data(), &header, sizeof header);
  std::memcpy(file.data() + kEngineHeaderBytes, b.GetBufferPointer(), b.GetSize());
  return file;
}

EngineWriter::EngineWriter(std::string enginePath, BuildId buildId)
    : enginePath(std::move(enginePath)), buildId(buildId) {
  engineTemporary = temporaryName(this->enginePath);
}

absl::StatusOr<std::unique_ptr<EngineWriter>>
EngineWriter::create(const std::string &enginePath, int worldSize) {
  if (worldSize < 1)
    return absl::InvalidArgumentError(
        absl::StrCat("an engine of ", worldSize, " ranks"));
  std::unique_ptr<EngineWriter> writer(
      new EngineWriter(enginePath, freshBuildId()));
  for (int r = 0; r < worldSize; ++r) {
    RankFile file;
    file.path = weightFilePath(enginePath, r);
    file.temporary = temporaryName(file.path);
    file.fd = ::open(file.temporary.c_str(),
                     O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (file.fd < 0)
      // The destructor removes the files opened so far.
      return absl::InternalError(absl::StrCat(
          "cannot write the engine ", enginePath, ": ", std::strerror(errno)));
    writer->ranks.push_back(std::move(file));
  }
  return writer;
}

EngineWriter::~EngineWriter() {
  for (RankFile &file : ranks) {
    if (file.fd >= 0)
      ::close(file.fd);
    if (!committed)
      ::unlink(file.temporary.c_str());
  }
  if (!committed)
    ::unlink(engineTemporary.c_str());
}

std::vector<std::string> EngineWriter::temporaryPaths() const {
  std::vector<std::string> paths;
  for (const RankFile &file : ranks)
    paths.push_back(file.temporary);
  paths.push_back(engineTemporary);
  return paths;
}

uint64_t EngineWriter::weightFileBytes(int rank) const {
  return rank >= 0 && static_cast<size_t>(rank) < ranks.size()
             ? ranks[rank].offset
             : 0;
}

absl::Status EngineWriter::writeAt(RankFile &file, uint64_t position,
                                   const void *data, size_t size) {
  const auto *bytes = static_cast<const uint8_t *>(data);
  while (size > 0) {
    ssize_t written =
        ::pwrite(file.fd, bytes, size, static_cast<off_t>(position));
    if (written < 0) {
      if (errno == EINTR)
        continue;
      return ioError("write", file.temporary);
    }
    bytes += written;
    position += written;
    size -= written;
  }
  return absl::OkStatus();
}

absl::Status EngineWriter::addWeight(int rank, int32_t buffer,
                                     const std::string &name,
                                     absl::Span<const uint8_t> bytes) {
  if (committed)
    return absl::FailedPreconditionError("the engine is already committed");
  if (rank < 0 || static_cast<size_t>(rank) >= ranks.size())
    return absl::InvalidArgumentError(absl::StrCat(
        "weight ", name, " for rank ", rank, " of an engine of ", ranks.size(),
        " ranks"));
  RankFile &file = ranks[rank];
  file.offset =
      (file.offset + kWeightAlignment - 1) / kWeightAlignment * kWeightAlignment;
  if (absl::Status status = writeAt(file, file.offset, bytes.data(), bytes.size());
      !status.ok())
    return status;
  file.weights.push_back(
      {buffer, name, file.offset, bytes.size(),
       checksum64(bytes.data(), bytes.size(), kWeightChecksumSeed)});
  file.offset += bytes.size();
  return absl::OkStatus();
}

absl::Status EngineWriter::finishWeightFile(int rank) {
  RankFile &file = ranks[rank];
  WeightsHeader header{};
  std::memcpy(header.magic, kWeightsMagic, sizeof header.magic);
  header.schemaVersion = kEngineSchemaVersion;
  header.rank = static_cast<uint32_t>(rank);
  std::memcpy(header.buildId, buildId.data(), buildId.size());
  header.fileBytes = file.offset;
  if (absl::Status status = writeAt(file, 0, &header, sizeof header);
      !status.ok())
    return status;
  if (::ftruncate(file.fd, static_cast<off_t>(file.offset)) != 0 ||
      ::fsync(file.fd) != 0)
    return ioError("finish", file.temporary);
  ::close(file.fd);
  file.fd = -1;
  return absl::OkStatus();
}

absl::Status EngineWriter::commit(const EngineDescription &description,
                                  absl::Span<const uint8_t> kernelImage) {
  return commit(description, absl::MakeConstSpan(&description.plan, 1),
                kernelImage);
}

absl::Status EngineWriter::commit(const EngineDescription &description,
                                  absl::Span<const LaunchPlan> rankPlans,
                                  absl::Span<const uint8_t> kernelImage) {
  if (committed)
    return absl::FailedPreconditionError("the engine is already committed");
  // The writer's own mistakes; the reader checks the rest of the plans.
  if (rankPlans.size() != ranks.size())
    return absl::InvalidArgumentError(
        absl::StrCat(rankPlans.size(), " rank plans for an engine created with ",
                     ranks.size(), " ranks"));
  for (size_t r = 0; r < rankPlans.size(); ++r) {
    const LaunchPlan &plan = rankPlans[r];
    if (plan.rank != static_cast<int32_t>(r) ||
        plan.tensorParallel != rankPlans[0].tensorParallel ||
        plan.expertParallel != rankPlans[0].expertParallel ||
        plan.tensorParallel < 1 || plan.expertParallel < 1 ||
        static_cast<size_t>(plan.worldSize()) != ranks.size())
      return absl::InvalidArgumentError(absl::StrCat(
          "rank plan ", r, " says rank ", plan.rank, " of tp ",
          plan.tensorParallel, " x ep ", plan.expertParallel,
          "; expected rank ", r, " of ", ranks.size(), " ranks"));
  }
  std::vector<RankProgramInfo> infos;
  for (size_t r = 0; r < ranks.size(); ++r) {
    if (absl::Status status = finishWeightFile(static_cast<int>(r));
        !status.ok())
      return status;
    infos.push_back({rankPlans[r], baseName(ranks[r].path), ranks[r].offset,
                     ranks[r].weights});
  }

  std::vector<uint8_t> engine =
      serializeEngine(description, infos, kernelImage, buildId);
  int engineFd = ::open(engineTemporary.c_str(),
                        O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (engineFd < 0)
    return ioError("create", engineTemporary);
  size_t done = 0;
  while (done < engine.size()) {
    ssize_t written = ::write(engineFd, engine.data() + done, engine.size() - done);
    if (written < 0 && errno == EINTR)
      continue;
    if (written < 0) {
      ::close(engineFd);
      return ioError("write", engineTemporary);
    }
    done += written;
  }
  if (::fsync(engineFd) != 0) {
    ::close(engineFd);
    return ioError("write", engineTemporary);
  }
  ::close(engineFd);
  // Weights first: until the engine is renamed, nothing under its name
  // refers to the new weight files.
  for (const RankFile &file : ranks)
    if (::rename(file.temporary.c_str(), file.path.c_str()) != 0)
      return ioError("rename into place", file.path);
  if (::rename(engineTemporary.c_str(), enginePath.c_str()) != 0)
    return ioError("rename into place", enginePath);
  committed = true;
  return absl::OkStatus();
}

} // namespace dsv2::runtime
