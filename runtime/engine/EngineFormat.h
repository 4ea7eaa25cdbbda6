//===- EngineFormat.h - The engine file and its weight files ----*- C++ -*-===//
//
// An engine is one file ENGINE plus, beside it, one packed weight file per
// rank (ENGINE.rank<R>.weights):
//
//   ENGINE:   EngineHeader (64 bytes) | Engine flatbuffer (engine.fbs)
//   weights:  WeightsHeader (4096 bytes) | tensors, each 64-byte aligned
//
// The header's checksum covers the flatbuffer, so a flipped byte anywhere in
// the plan or the kernel image is caught before anything is parsed; each
// weight has its own checksum in the engine. The structures below are what
// the compiler writes (EngineWriter) and the runtime reads (EngineReader).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_ENGINEFORMAT_H
#define RUNTIME_ENGINE_ENGINEFORMAT_H

#include "runtime/engine/LaunchPlan.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace dsv2::runtime {

/// Bump with every change to engine.fbs or to the headers below; readers
/// refuse other versions (no silent reinterpretation of old engines).
inline constexpr uint32_t kEngineSchemaVersion = 4;

inline constexpr char kEngineMagic[8] = {'D', 'S', 'V', '2', 'E', 'N', 'G', '\n'};
inline constexpr char kWeightsMagic[8] = {'D', 'S', 'V', '2', 'W', 'T', 'S', '\n'};
inline constexpr size_t kEngineHeaderBytes = 64;
/// A page, so the tensors after it are page-aligned in the mapping.
inline constexpr size_t kWeightsHeaderBytes = 4096;
/// Every packed tensor starts at a multiple of this (a cache line, and the
/// widest vector load).
inline constexpr size_t kWeightAlignment = 64;
inline constexpr size_t kBuildIdBytes = 16;

/// Seeds of checksum64 for the two kinds of bytes.
inline constexpr uint64_t kFlatbufferChecksumSeed = 0x64737632656e67ULL;
inline constexpr uint64_t kWeightChecksumSeed = 0x6473763277747331ULL;

struct EngineHeader {
  char magic[8];
  uint32_t schemaVersion;
  uint32_t headerBytes;
  uint64_t flatbufferBytes;
  uint64_t flatbufferChecksum;
  uint8_t reserved[32];
};
static_assert(sizeof(EngineHeader) == kEngineHeaderBytes);

struct WeightsHeader {
  char magic[8];
  uint32_t schemaVersion;
  uint32_t rank;
  uint8_t buildId[kBuildIdBytes];
  uint64_t fileBytes;
  uint8_t reserved[kWeightsHeaderBytes - 40];
};
static_assert(sizeof(WeightsHeader) == kWeightsHeaderBytes);

using BuildId = std::array<uint8_t, kBuildIdBytes>;

/// The model an engine was compiled from.
struct EngineModelInfo {
  std::string description;
  std::string configJson;
  int64_t vocabSize = 0;
  int64_t hiddenSize = 0;
  int64_t numLayers = 0;
  int64_t maxPositionEmbeddings = 0;
  int64_t bosTokenId = -1;
  int64_t eosTokenId = -1;
  std::string weightDtype;
};

struct EngineKvCacheInfo {
  std::string kind;
  int64_t valuesPerTokenPerLayer = 0;
  int64_t layers = 0;
  ElementType elementType = ElementType::F32;
  int64_t maxContext = 0;
  int64_t bytesPerToken = 0;
  int64_t maxBatch = 1;
};

/// Launch shape of a GPU kernel: `threads` per block (one block per program
/// of the grid) and bytes of dynamic shared memory.
struct GpuKernelInfo {
  std::string name;
  int32_t threads = 0;
  int32_t sharedBytes = 0;
};

/// Compiled kernels for one target.
struct KernelModuleInfo {
  std::string target;
  std::string format;
  std::string cpu;
  std::vector<std::string> cpuFeatures;
  std::vector<std::string> kernels;
  /// GPU and emulated-GPU targets: one per kernel, in the same order.
  std::vector<GpuKernelInfo> gpuKernels;
  /// GPU targets: the PTX assembled by ptxas for `target` (ELF), or empty.
  std::vector<uint8_t> cubin;
};

/// How many ranks an engine spans (docs/parallelism.md): world = tp * ep,
/// rank r is tensor rank r % tp of expert group r / tp.
struct EngineParallelInfo {
  int32_t worldSize = 1;
  int32_t tensorParallel = 1;
  int32_t expertParallel = 1;
};

/// Everything in the engine file except the kernel image bytes and the
/// packed weights.
struct EngineDescription {
  std::string target;
  std::string producer;
  EngineModelInfo model;
  EngineKvCacheInfo kvCache;
  KernelModuleInfo kernels;
  /// Written from the rank plans; read back from the engine.
  EngineParallelInfo parallel;
  /// One rank's plan: the loaded rank's when read (with rank, tp and ep
  /// filled in); the only rank's for EngineWriter's single-rank commit.
  LaunchPlan plan;
  /// The tokenizer.json text, or empty.
  std::string tokenizerJson;
};

/// Where a weight buffer's packed bytes are in the rank's weight file.
struct PackedWeight {
  int32_t buffer = -1;
  std::string name;
  uint64_t offset = 0;
  uint64_t bytes = 0;
  uint64_t checksum = 0;
};

/// One rank's part of an engine file: its plan and where its weights are.
struct RankProgramInfo {
  LaunchPlan plan;
  /// The weight file's name, relative to the engine's directory.
  std::string weightFile;
  uint64_t weightFileBytes = 0;
  std::vector<PackedWeight> weights;
};

/// ENGINE.rank<R>.weights: the weight file of rank R.
std::string weightFilePath(const std::string &enginePath, int rank);

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_ENGINEFORMAT_H
