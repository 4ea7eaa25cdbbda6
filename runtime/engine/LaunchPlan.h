//===- LaunchPlan.h - What a compiled step runs, in launch order -*- C++ -*-===//
//
// The contract between kernel formation (compiler) and the executors
// (runtime): the buffers a step needs and the kernel launches of a prefill
// step and of a decode step, with grids and scalar arguments given as
// functions of the step's sizes. Plain C++ (the runtime never links MLIR);
// the engine format serializes it.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_LAUNCHPLAN_H
#define RUNTIME_ENGINE_LAUNCHPLAN_H

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace dsv2::runtime {

/// A value known when a step starts: (constant + perToken*T + perPast*P),
/// ceil-divided by `divisor`; T = tokens in the step, P = tokens cached
/// before it (the step's first position). The context after the step is
/// L = P + T (perToken = perPast = 1).
struct StepExpr {
  int64_t constant = 0;
  int64_t perToken = 0;
  int64_t perPast = 0;
  int64_t divisor = 1;

  static StepExpr of(int64_t value) { return {value, 0, 0, 1}; }
  static StepExpr tokens(int64_t scale = 1) { return {0, scale, 0, 1}; }
  static StepExpr past() { return {0, 0, 1, 1}; }
  static StepExpr context() { return {0, 1, 1, 1}; }
  /// ceil(this / d); only on an undivided expression.
  StepExpr ceilDiv(int64_t d) const { return {constant, perToken, perPast, d}; }

  int64_t evaluate(int64_t tokens, int64_t past) const {
    int64_t value = constant + perToken * tokens + perPast * past;
    return divisor == 1 ? value : (value + divisor - 1) / divisor;
  }
};

enum class ElementType : uint8_t { F32, BF16, F16, I32, I8 };

/// Bytes per element.
int64_t elementBytes(ElementType type);
/// "f32", "bf16", "f16", "i32", "i8".
const char *elementTypeName(ElementType type);

enum class BufferRole : uint8_t {
  /// Packed weight, constant across steps; `source` names it.
  Weight,
  /// Step-local activation; sized per step by `elements`.
  Scratch,
  /// Persistent across steps (the KV cache); `elements` is its capacity.
  Cache,
  /// The step's token ids (I32, T elements).
  Tokens,
  /// The step's logits (F32, T x vocab elements).
  Logits,
};

struct BufferSpec {
  std::string name;
  BufferRole role = BufferRole::Scratch;
  ElementType type = ElementType::F32;
  StepExpr elements;
  /// Weights: the recipe of its values (tools/dsv2c/WeightPacking.h): a
  /// checkpoint tensor, stacked experts, a tensor derived from kv_b_proj,
  /// or one of these in column panels.
  std::string source;
  /// Weights: the logical shape (e.g. [experts, out, in]; [N, K] for
  /// panels, whose `elements` round N up to whole panels).
  std::vector<int64_t> shape;
  /// Small compiler-computed constants (e.g. RoPE inverse frequencies),
  /// stored in the plan itself; F32 only.
  std::vector<float> constantData;
};

/// One kernel argument: a buffer (its base address plus `offset` elements)
/// or an i32/f32 scalar.
struct KernelArg {
  enum class Kind : uint8_t { Buffer, Int32, Float32 };
  Kind kind = Kind::Buffer;
  int32_t buffer = -1;
  StepExpr offset;   ///< Buffer: element offset (e.g. the cache row of P).
  StepExpr intValue; ///< Int32.
  float floatValue = 0.0f;
  /// Buffer whose rows are the step's tokens: elements per row. A batched
  /// step (several sequences' tokens in one step, SequenceSegments.h) runs a
  /// per-sequence launch with this argument moved to the sequence's first
  /// row. 0: not indexed by the step's rows (weights, caches, buffers of
  /// cached positions, dispatch rows).
  int64_t rowElements = 0;

  static KernelArg ofBuffer(int32_t buffer, StepExpr offset = {},
                            int64_t rowElements = 0) {
    KernelArg arg;
    arg.buffer = buffer;
    arg.offset = offset;
    arg.rowElements = rowElements;
    return arg;
  }
  static KernelArg ofInt(StepExpr value) {
    KernelArg arg;
    arg.kind = Kind::Int32;
    arg.intValue = value;
    return arg;
  }
  static KernelArg ofFloat(float value) {
    KernelArg arg;
    arg.kind = Kind::Float32;
    arg.floatValue = value;
    return arg;
  }
};

/// A launch that is not a kernel but a collective across the ranks of a
/// multi-rank engine (issue "Run across devices", docs/parallelism.md).
/// Its `args` are, in order: [0] source buffer, [1] destination buffer
/// (f32, may be the same buffer), [2] Int32 rows, [3] Int32 columns of the
/// rank's local part; `kernel` is empty and `grid` unused.
enum class CollectiveKind : uint8_t {
  None,
  /// dst[rows, cols] = sum over the group's ranks of src[rows, cols].
  AllReduceSum,
  /// src [rows, cols] on each rank; dst [rows, cols * group size] with
  /// dst[r, g * cols + c] = src of the group's g-th rank [r, c].
  AllGatherColumns,
};

/// Which ranks a collective spans. Rank r is tensor rank r % tp of expert
/// group r / tp (ParallelLayout in models/deepseek_v2/Sharding.h).
enum class CollectiveGroup : uint8_t {
  /// The tp ranks of r's expert group (ranks with the same r / tp), ordered
  /// by tensor rank.
  Tensor,
  /// All ranks, ordered by rank.
  World,
};

/// "all_reduce" / "all_gather" (profiles, errors); "kernel" for None.
const char *collectiveName(CollectiveKind kind);
/// "tensor" / "world".
const char *collectiveGroupName(CollectiveGroup group);

struct Launch {
  /// Kernel symbol; the library exports `<kernel>_grid` (see KernelAbi.h).
  /// Empty for a collective.
  std::string kernel;
  StepExpr grid[3] = {StepExpr::of(1), StepExpr::of(1), StepExpr::of(1)};
  std::vector<KernelArg> args;
  /// The dsv2 op it implements, for profiles and errors.
  std::string origin;
  CollectiveKind collective = CollectiveKind::None;
  CollectiveGroup group = CollectiveGroup::Tensor;

  bool isCollective() const { return collective != CollectiveKind::None; }
};

struct StepProgram {
  std::vector<Launch> launches;
};

struct LaunchPlan {
  std::vector<BufferSpec> buffers;
  /// Any number of tokens.
  StepProgram prefill;
  /// Steps of exactly one token; empty means "use prefill".
  StepProgram decode;
  /// Prefill for generation: only the last row's logits (the next token's),
  /// into `lastRowLogitsBuffer` ([vocab] f32); the lm_head of every other
  /// row is skipped. Empty means "use prefill" (older plans).
  StepProgram prefillLastRow;
  /// Decode steps of several sequences at once, one token each (a batched
  /// step, SequenceSegments.h): linears are GEMMs over the sequences' rows,
  /// the latent attention and cache writes run per sequence. Empty: each
  /// sequence decodes in its own step.
  StepProgram decodeBatch;
  int32_t tokensBuffer = -1;
  int32_t logitsBuffer = -1;
  int32_t lastRowLogitsBuffer = -1;
  int64_t vocabSize = 0;
  /// Positions the cache buffers hold.
  int64_t maxContext = 0;
  /// This plan's rank and the engine's layout (world = tp * ep); a
  /// single-rank plan has no collective launches.
  int32_t rank = 0;
  int32_t tensorParallel = 1;
  int32_t expertParallel = 1;
  int32_t worldSize() const { return tensorParallel * expertParallel; }

  /// Appends a buffer and returns its index.
  int32_t addBuffer(std::string name, BufferRole role, ElementType type,
                    StepExpr elements) {
    BufferSpec spec;
    spec.name = std::move(name);
    spec.role = role;
    spec.type = type;
    spec.elements = elements;
    buffers.push_back(std::move(spec));
    return static_cast<int32_t>(buffers.size() - 1);
  }
};

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_LAUNCHPLAN_H
