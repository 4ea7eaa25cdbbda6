//===- Planner.cpp - Buffers, launches and the op walk --------------------===//

#include "passes/kernel_formation/Planner.h"

#include "passes/kernel_formation/TileHeuristics.h"

#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <cstdio>

namespace mlir::dsv2::formation {

std::string floatText(double value) {
  char text[64];
  std::snprintf(text, sizeof(text), "%.9e", value);
  return text;
}

rt::ElementType elementTypeOf(Type type) {
  if (type.isBF16())
    return rt::ElementType::BF16;
  if (type.isInteger(8))
    return rt::ElementType::I8;
  if (type.isF16())
    return rt::ElementType::F16;
  if (type.isInteger(32))
    return rt::ElementType::I32;
  return rt::ElementType::F32;
}

std::string typeText(Type type) {
  return rt::elementTypeName(elementTypeOf(type));
}

ArrayRef<int64_t> shapeOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getShape();
}

Type elementOf(Value value) {
  return cast<RankedTensorType>(value.getType()).getElementType();
}

void setInt4Params(KernelParams &params, int64_t group, int64_t bk) {
  params.erase("W");
  params.erase("CHUNK");
  params["G"] = std::to_string(group);
  if (bk > 0)
    params["BK"] = std::to_string(std::min(bk, group / 2));
}

int32_t Planner::addBuffer(std::string name, rt::BufferRole role,
                           rt::ElementType type, StepExpr elements,
                           std::string source) {
  rt::BufferSpec spec;
  spec.name = std::move(name);
  spec.role = role;
  spec.type = type;
  spec.elements = elements;
  spec.source = std::move(source);
  plan.buffers.push_back(std::move(spec));
  return static_cast<int32_t>(plan.buffers.size() - 1);
}

Activation Planner::scratch(const std::string &name, int64_t width,
                            StepExpr rows, rt::ElementType type) {
  StepExpr elements{rows.constant * width, rows.perToken * width,
                    rows.perPast * width, 1};
  Activation act;
  act.buffer = addBuffer(name + "#" + std::to_string(plan.buffers.size()),
                         rt::BufferRole::Scratch, type, elements);
  act.width = width;
  act.stride = width;
  const bool tokenRows = rows.constant == 0 && rows.perToken == 1 &&
                         rows.perPast == 0 && rows.divisor == 1;
  act.rowElements = tokenRows ? width : 0;
  return act;
}

LogicalResult Planner::launch(rt::StepProgram &program, StringRef kind,
                              const KernelParams &params, StepExpr gx,
                              StepExpr gy, StepExpr gz,
                              std::vector<KernelArg> args, Operation *origin) {
  std::string kernelError;
  FailureOr<func::FuncOp> kernel =
      instantiateKernel(kernels, kind, params, kernelError);
  if (failed(kernel)) {
    error = kernelError;
    return failure();
  }
  rt::Launch l;
  l.kernel = kernel->getSymName().str();
  l.grid[0] = gx;
  l.grid[1] = gy;
  l.grid[2] = gz;
  l.args = std::move(args);
  l.origin = origin ? origin->getName().getStringRef().str() : "";
  program.launches.push_back(std::move(l));
  return success();
}

LogicalResult Planner::collective(rt::StepProgram &program,
                                  rt::CollectiveKind kind,
                                  CollectiveGroup group, Activation src,
                                  Activation dst, Operation *origin,
                                  StepExpr rows) {
  if (src.stride != src.width || dst.stride != dst.width) {
    error = "a collective needs contiguous rows";
    return failure();
  }
  rt::Launch l;
  l.collective = kind;
  l.group = group == CollectiveGroup::world ? rt::CollectiveGroup::World
                                            : rt::CollectiveGroup::Tensor;
  l.args = {src.arg(), dst.arg(), KernelArg::ofInt(rows),
            KernelArg::ofInt(StepExpr::of(src.width))};
  l.origin = origin->getName().getStringRef().str();
  program.launches.push_back(std::move(l));
  return success();
}

LogicalResult Planner::formOp(rt::StepProgram &program, Operation *op,
                              bool decode) {
  if (fused.contains(op))
    return success();
  const StepExpr tokens = StepExpr::tokens();
  return llvm::TypeSwitch<Operation *, LogicalResult>(op)
      .Case<WeightOp, SplitKvBOp>([](auto) { return success(); })
      .Case<EmbeddingOp>([&](EmbeddingOp op) {
        int64_t hidden = shapeOf(op.getTable())[1];
        int64_t block = chooseRowBlock(std::min<int64_t>(hidden, 1024));
        Activation out = scratch("embedding", hidden);
        values[op.getResult()] = out;
        KernelParams params{{"W", typeText(elementOf(op.getTable()))},
                            {"HIDDEN", std::to_string(hidden)},
                            {"BLOCK", std::to_string(block)}};
        return launch(program, "embedding", params, tokens,
                      StepExpr::of((hidden + block - 1) / block),
                      StepExpr::of(1),
                      {KernelArg::ofBuffer(plan.tokensBuffer),
                       KernelArg::ofBuffer(weight(op.getTable())), out.arg()},
                      op);
      })
      .Case<AddOp>([&](AddOp add) -> LogicalResult {
        // Residual adds feed the next RMSNorm: one add_rms_norm launch.
        RmsNormOp norm;
        for (Operation *user : add->getUsers())
          if (auto candidate = dyn_cast<RmsNormOp>(user))
            norm = candidate;
        if (!norm) {
          error = "kernel formation fuses every dsv2.add into the RMSNorm "
                  "that follows it; this add feeds none";
          return failure();
        }
        fused.insert(norm);
        int64_t dim = shapeOf(norm.getWeight())[0];
        Activation sum = scratch("residual", dim);
        Activation out = scratch("normed", dim);
        values[add.getResult()] = sum;
        values[norm.getResult()] = out;
        KernelParams params{{"W", typeText(elementOf(norm.getWeight()))},
                            {"DIM", std::to_string(dim)},
                            {"BLOCK", std::to_string(chooseRowBlock(dim))},
                            {"EPS", floatText(norm.getEpsilon().convertToDouble())}};
        return launch(program, "add_rms_norm", params, tokens, StepExpr::of(1),
                      StepExpr::of(1),
                      {values.lookup(add.getLhs()).arg(),
                       values.lookup(add.getRhs()).arg(),
                       KernelArg::ofBuffer(weight(norm.getWeight())), sum.arg(),
                       out.arg()},
                      add);
      })
      .Case<RmsNormOp>([&](RmsNormOp norm) {
        Activation x = values.lookup(norm.getInput());
        Activation out = scratch("normed", x.width);
        values[norm.getResult()] = out;
        return rmsNorm(program, x, norm.getWeight(),
                       norm.getEpsilon().convertToDouble(), out, tokens,
                       Float32Type::get(norm.getContext()), norm);
      })
      .Case<MlaAttentionOp>(
          [&](MlaAttentionOp op) { return formMla(program, op, decode); })
      .Case<MoeFusedOp>(
          [&](MoeFusedOp op) { return formMoe(program, op, decode); })
      .Case<MlpOp>([&](MlpOp op) -> LogicalResult {
        auto out = gatedMlp(program, values.lookup(op.getInput()),
                            op.getGateProj(), op.getUpProj(), op.getDownProj(),
                            op);
        if (failed(out))
          return failure();
        values[op.getResult()] = *out;
        return success();
      })
      .Case<LmHeadOp>([&](LmHeadOp op) -> LogicalResult {
        // A tensor-parallel rank's vocabulary slice goes to scratch first
        // (dsv2.all_gather fills the logits).
        int64_t vocab = shapeOf(op.getWeight())[0];
        Activation x = values.lookup(op.getInput());
        StepExpr rows = tokens;
        int32_t logitsBuffer = plan.logitsBuffer;
        if (lastRowLogitsProgram) {
          // Row T-1 only: offset + (T - 1) * stride.
          x.offset.constant -= x.stride;
          x.offset.perToken += x.stride;
          rows = StepExpr::of(1);
          logitsBuffer = plan.lastRowLogitsBuffer;
        }
        std::optional<Activation> logits;
        if (vocab == plan.vocabSize)
          logits = Activation{logitsBuffer, {}, vocab, vocab,
                              lastRowLogitsProgram ? 0 : vocab};
        auto out = linear(program, x, op.getWeight(), rows, op, logits);
        if (failed(out))
          return failure();
        values[op.getLogits()] = *out;
        return success();
      })
      .Case<AllReduceOp>([&](AllReduceOp op) -> LogicalResult {
        Activation x = values.lookup(op.getInput());
        Activation sum = scratch("all_reduce", x.width);
        values[op.getResult()] = sum;
        return collective(program, rt::CollectiveKind::AllReduceSum,
                          op.getGroup(), x, sum, op);
      })
      .Case<AllGatherOp>([&](AllGatherOp op) -> LogicalResult {
        Activation x = values.lookup(op.getInput());
        int64_t width = x.width * static_cast<int64_t>(op.getParts());
        // The logits: of every row, or of the last (lastRowLogitsProgram).
        bool logits = width == plan.vocabSize;
        bool lastRow = logits && lastRowLogitsProgram;
        int32_t logitsBuffer =
            lastRow ? plan.lastRowLogitsBuffer : plan.logitsBuffer;
        Activation gathered =
            logits ? Activation{logitsBuffer, {}, width, width,
                                lastRow ? 0 : width}
                   : scratch("all_gather", width);
        values[op.getResult()] = gathered;
        return collective(program, rt::CollectiveKind::AllGatherColumns,
                          op.getGroup(), x, gathered, op,
                          lastRow ? StepExpr::of(1) : StepExpr::tokens());
      })
      .Case<func::ReturnOp>([](auto) { return success(); })
      .Default([&](Operation *other) {
        error = "kernel formation does not handle " +
                other->getName().getStringRef().str() +
                " (it expects the output of dsv2-optimize)";
        return failure();
      });
}

LogicalResult Planner::formProgram(func::FuncOp step, rt::StepProgram &program,
                                   bool decode, bool lastRowLogits,
                                   bool batched) {
  values.clear();
  lastRowLogitsProgram = lastRowLogits;
  fused.clear();
  decodeProgram = decode;
  batchedDecode = decode && batched;
  for (Operation &op : step.getBody().front())
    if (failed(formOp(program, &op, decode))) {
      if (error.find("at ") == std::string::npos)
        error = llvm::formatv("{0} (at {1})", error,
                              op.getName().getStringRef())
                    .str();
      return failure();
    }
  return success();
}

} // namespace mlir::dsv2::formation
