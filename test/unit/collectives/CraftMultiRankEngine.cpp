//===- CraftMultiRankEngine.cpp - A multi-rank CPU engine of collectives ---===//
//
//   dsv2-test-craft-multirank-engine OUT [TP [EP]]      (default tp 2, ep 1)
//
// Writes OUT and OUT.rank<R>.weights for tp x ep ranks, so that dsv2-run's
// multi-rank path runs under mpirun before dsv2c compiles real sharded
// models. Vocabulary 16: rank r holds the logits columns of tensor rank
// t = r % tp as a packed weight (column g = t * 16/tp + c has the value
// g / 16, except 3.0 at column 11); a step all-gathers them within the
// Tensor group into the logits, then sums the logits over the world (so they
// are world-size times those values). Greedy generation is 11 at every
// step.
//
//===----------------------------------------------------------------------===//

#include "runtime/engine/EngineWriter.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

namespace rt = ::dsv2::runtime;

int main(int argc, char **argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s OUT [TP [EP]]\n", argv[0]);
    return 2;
  }
  const int tp = argc > 2 ? std::atoi(argv[2]) : 2;
  const int ep = argc > 3 ? std::atoi(argv[3]) : 1;
  const int vocab = 16, context = 8;
  if (tp < 1 || ep < 1 || vocab % tp != 0) {
    std::fprintf(stderr, "error: tp must divide 16, ep >= 1\n");
    return 2;
  }
  const int cols = vocab / tp;

  std::ifstream in(DSV2_NO_KERNELS_LIBRARY, std::ios::binary);
  std::vector<uint8_t> image((std::istreambuf_iterator<char>(in)),
                             std::istreambuf_iterator<char>());
  if (image.empty()) {
    std::fprintf(stderr, "error: cannot read %s\n", DSV2_NO_KERNELS_LIBRARY);
    return 1;
  }

  rt::EngineDescription d;
  d.target = "cpu";
  d.producer = "dsv2-test-craft-multirank-engine";
  d.model = {"collectives only", "{}", vocab, 4, 1, 64, 0, -1, "f32"};
  d.kvCache = {"latent", 3, 1, rt::ElementType::F32, context, 12, 2};
  d.kernels = {"cpu", "elf-shared-object", "x86-64", {}, {}};

  auto writer = rt::EngineWriter::create(argv[1], tp * ep);
  if (!writer.ok()) {
    std::fprintf(stderr, "error: %s\n", writer.status().ToString().c_str());
    return 1;
  }
  std::vector<rt::LaunchPlan> plans;
  for (int rank = 0; rank < tp * ep; ++rank) {
    rt::LaunchPlan plan;
    plan.rank = rank;
    plan.tensorParallel = tp;
    plan.expertParallel = ep;
    plan.vocabSize = vocab;
    plan.maxContext = context;
    int32_t slice = plan.addBuffer("logits_slice", rt::BufferRole::Weight,
                                   rt::ElementType::F32,
                                   rt::StepExpr::of(context * cols));
    plan.buffers[slice].shape = {context, cols};
    plan.tokensBuffer = plan.addBuffer("tokens", rt::BufferRole::Tokens,
                                       rt::ElementType::I32, rt::StepExpr::tokens());
    plan.logitsBuffer = plan.addBuffer("logits", rt::BufferRole::Logits,
                                       rt::ElementType::F32,
                                       rt::StepExpr::tokens(vocab));
    rt::Launch gather;
    gather.origin = "dsv2.all_gather";
    gather.collective = rt::CollectiveKind::AllGatherColumns;
    gather.group = rt::CollectiveGroup::Tensor;
    gather.args = {rt::KernelArg::ofBuffer(slice),
                   rt::KernelArg::ofBuffer(plan.logitsBuffer),
                   rt::KernelArg::ofInt(rt::StepExpr::tokens()),
                   rt::KernelArg::ofInt(rt::StepExpr::of(cols))};
    rt::Launch reduce;
    reduce.origin = "dsv2.all_reduce";
    reduce.collective = rt::CollectiveKind::AllReduceSum;
    reduce.group = rt::CollectiveGroup::World;
    reduce.args = {rt::KernelArg::ofBuffer(plan.logitsBuffer),
                   rt::KernelArg::ofBuffer(plan.logitsBuffer),
                   rt::KernelArg::ofInt(rt::StepExpr::tokens()),
                   rt::KernelArg::ofInt(rt::StepExpr::of(vocab))};
    plan.prefill.launches = {gather, reduce};

    std::vector<float> values(context * cols);
    for (int row = 0; row < context; ++row)
      for (int c = 0; c < cols; ++c) {
        int column = rank % tp * cols + c;
        values[row * cols + c] = column == 11 ? 3.0f : column / 16.0f;
      }
    const auto *bytes = reinterpret_cast<const uint8_t *>(values.data());
    if (absl::Status status = (*writer)->addWeight(
            rank, slice, "logits_slice",
            absl::MakeConstSpan(bytes, values.size() * sizeof(float)));
        !status.ok()) {
      std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
      return 1;
    }
    plans.push_back(std::move(plan));
  }
  if (absl::Status status = (*writer)->commit(d, plans, image); !status.ok()) {
    std::fprintf(stderr, "error: %s\n", status.ToString().c_str());
    return 1;
  }
  return 0;
}
