//===- MoeKernelsTest.cpp - MoE kernels against the reference --------------===//
//
// moe_route (greedy, group-limited, and DeepSeek-V2's 160 experts top-6 in 8
// groups keeping 3, scaled by 16) against reference::moeGate; moe_plan for
// exact equality with reference::planMoeDispatch; grouped_gate_up,
// grouped_down and moe_combine against the pieces of reference::moeFused,
// chained from the routing, and the chain's output against moeFused.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"

#include "dialect/dsv2/reference/Linear.h"
#include "dialect/dsv2/reference/MoeDispatch.h"
#include "dialect/dsv2/reference/MoeGate.h"
#include "dialect/dsv2/reference/Mlp.h"

#include <cmath>

namespace dsv2::test {
namespace {

namespace ref = ::dsv2::reference;

constexpr int64_t kBlock = 16; // kMoeBlockRows of kernel formation
constexpr int64_t kE = 10, kK = 3, kH = 40, kI = 24;

struct RouteCase {
  const char *label;
  ref::MoeGateParams params;
};

const RouteCase kRouteCases[] = {
    {"route_greedy",
     {kE, kK, 1, 1, ref::TopkMethod::Greedy, 1.0, /*norm=*/true}},
    {"route_grouped",
     {12, 3, 4, 2, ref::TopkMethod::GroupLimitedGreedy, 2.5, false}},
    {"route_v2",
     {160, 6, 8, 3, ref::TopkMethod::GroupLimitedGreedy, 16.0, false}},
};

/// Experts [40, 80) of V2's 160 held by this rank (expert parallelism).
constexpr int64_t kEpFirst = 40, kEpLocal = 40;

mlir::dsv2::KernelParams routeParams(const ref::MoeGateParams &p) {
  return {{"E", std::to_string(p.experts)},
          {"EB", std::to_string(nextPowerOfTwo(p.experts))},
          {"K", std::to_string(p.topK)},
          {"NG", std::to_string(p.nGroup)},
          {"TG", std::to_string(p.topkGroup)},
          {"GREEDY", p.method == ref::TopkMethod::Greedy ? "1" : "0"},
          {"NORM", p.normTopkProb ? "1" : "0"},
          {"SCALE", floatText(p.routedScalingFactor)},
          {"FIRST", "0"},
          {"LOCAL", std::to_string(p.experts)}};
}

mlir::dsv2::KernelParams planParams(int64_t e, int64_t k) {
  return {{"E", std::to_string(e)},
          {"K", std::to_string(k)},
          {"BLOCK", std::to_string(kBlock)}};
}

class MoeKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    for (const RouteCase &c : kRouteCases)
      suite->add(c.label, "moe_route", routeParams(c.params));
    mlir::dsv2::KernelParams routeEp = routeParams(kRouteCases[2].params);
    for (auto &[name, value] : routeEp) {
      if (name == "FIRST")
        value = std::to_string(kEpFirst);
      if (name == "LOCAL")
        value = std::to_string(kEpLocal);
    }
    suite->add("route_v2_ep", "moe_route", routeEp);
    suite->add("plan_v2_ep", "moe_plan", planParams(kEpLocal, 6));
    suite->add("plan", "moe_plan", planParams(kE, kK));
    suite->add("plan_v2", "moe_plan", planParams(160, 6));
    suite->add("gate_up", "grouped_gate_up",
               {{"W", "bf16"},
                {"E", std::to_string(kE)},
                {"H", std::to_string(kH)},
                {"I", std::to_string(kI)},
                {"BM", std::to_string(kBlock)},
                {"BN", std::to_string(std::min<int64_t>(32, nextPowerOfTwo(kI)))},
                {"BK", std::to_string(std::min<int64_t>(16, nextPowerOfTwo(kH)))}});
    suite->add("down", "grouped_down",
               {{"W", "bf16"},
                {"E", std::to_string(kE)},
                {"H", std::to_string(kH)},
                {"I", std::to_string(kI)},
                {"BM", std::to_string(kBlock)},
                {"BN", std::to_string(std::min<int64_t>(32, nextPowerOfTwo(kH)))},
                {"BK", std::to_string(std::min<int64_t>(16, nextPowerOfTwo(kI)))}});
#if !DSV2_KERNEL_TESTS_EMULATED
    // The CPU's panel forms over the experts' weight panels: 4-row programs
    // inside the 16-row blocks (AVX-512's) and 2-row ones (AVX2's), in
    // groups of 3 row blocks (the last partial).
    auto addPanelForm = [](const std::string &label, const char *kind,
                           const char *rows) {
      suite->add(label, kind,
                 {{"W", "bf16"},
                  {"E", std::to_string(kE)},
                  {"H", std::to_string(kH)},
                  {"I", std::to_string(kI)},
                  {"BM", rows},
                  {"BN", std::to_string(runtime::kWeightPanelColumns)},
                  {"GROUP", "3"}});
    };
    for (const char *kind : {"grouped_gate_up_panel", "grouped_down_panel"})
      for (const char *rows : {"4", "2"})
        addPanelForm(std::string(kind) + "/" + rows, kind, rows);
#endif
    for (int shared : {0, 1})
      suite->add("combine" + std::to_string(shared), "moe_combine",
                 {{"H", std::to_string(kH)},
                  {"K", std::to_string(kK)},
                  {"BLOCK", std::to_string(nextPowerOfTwo(kH))},
                  {"HAS_SHARED", std::to_string(shared)}});
    suite->compile("moe_kernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_EQ(suite->error, ""); }
  static KernelSuite *suite;

  /// Runs moe_route `label` on `logits` [T, E].
  static void route(const std::string &label, const std::vector<float> &logits,
                    int32_t tokens, int64_t topK, std::vector<float> &weights,
                    std::vector<int32_t> &indices) {
    Buffer<float> l(logits.size()), w(tokens * topK, -1.0f);
    Buffer<int32_t> idx(tokens * topK, -7);
    std::copy(logits.begin(), logits.end(), l.data());
    KernelArgs args;
    args.buf(l).buf(w).buf(idx);
    suite->run(label, args, tokens);
    weights = w.vector();
    indices = idx.vector();
  }

  struct Plan {
    std::vector<int32_t> offsets, rowToken, tokenRow;
    std::vector<float> rowWeight;
  };
  /// Runs moe_plan `label` and checks it equals planMoeDispatch exactly.
  static Plan plan(const std::string &label, const std::vector<float> &weights,
                   const std::vector<int32_t> &indices, int32_t tokens,
                   int64_t experts, int64_t topK) {
    const int64_t rowsMax = tokens * topK + experts * (kBlock - 1);
    Buffer<int32_t> idx(indices.size()), offsets(experts + 1, -7),
        rowToken(rowsMax, -7), tokenRow(tokens * topK, -7);
    Buffer<float> w(weights.size()), rowWeight(rowsMax, -7.0f);
    std::copy(indices.begin(), indices.end(), idx.data());
    std::copy(weights.begin(), weights.end(), w.data());
    KernelArgs args;
    args.buf(idx).buf(w).i32(tokens).buf(offsets).buf(rowToken).buf(rowWeight)
        .buf(tokenRow);
    suite->run(label, args, 1);

    ref::MoeDispatchPlan expected = ref::planMoeDispatch(
        weights.data(), indices.data(), tokens, topK, experts, kBlock);
    for (int64_t e = 0; e <= experts; ++e)
      EXPECT_EQ(offsets[e], expected.expertOffsets[e]) << "offsets[" << e << "]";
    for (int64_t r = 0; r < rowsMax; ++r) {
      bool real = r < expected.paddedRows;
      EXPECT_EQ(rowToken[r], real ? expected.rowToken[r] : -1) << "row " << r;
      EXPECT_EQ(rowWeight[r], real ? expected.rowWeight[r] : 0.0f)
          << "row " << r;
    }
    std::vector<int64_t> next(expected.expertOffsets.begin(),
                              expected.expertOffsets.end() - 1);
    for (int64_t i = 0; i < tokens * topK; ++i)
      EXPECT_EQ(tokenRow[i], next[indices[i]]++) << "token_row[" << i << "]";
    return {offsets.vector(), rowToken.vector(), tokenRow.vector(),
            rowWeight.vector()};
  }
};
KernelSuite *MoeKernels::suite = nullptr;

/// Identity gate: moeGate(logits, I) routes on the logits themselves.
std::vector<float> identity(int64_t n) {
  std::vector<float> eye(n * n, 0.0f);
  for (int64_t i = 0; i < n; ++i)
    eye[i * n + i] = 1.0f;
  return eye;
}

TEST_F(MoeKernels, RouteMatchesMoeGate) {
  const int32_t tokens = 9;
  uint32_t seed = 31;
  for (const RouteCase &c : kRouteCases) {
    SCOPED_TRACE(c.label);
    const ref::MoeGateParams &p = c.params;
    std::mt19937 rng(seed++);
    std::vector<float> logits = randomFloats(rng, tokens * p.experts, 4.0f);
    std::vector<float> eye = identity(p.experts);
    // Precondition: no near-tie decides a choice.
    ASSERT_GT(ref::routingMargin(logits.data(), eye.data(), tokens, p.experts,
                                 p),
              1e-6);
    std::vector<float> weights, expectedWeights(tokens * p.topK);
    std::vector<int32_t> indices, expectedIndices(tokens * p.topK);
    route(c.label, logits, tokens, p.topK, weights, indices);
    ref::moeGate(logits.data(), eye.data(), tokens, p.experts, p,
                 expectedWeights.data(), expectedIndices.data());
    for (size_t i = 0; i < indices.size(); ++i)
      ASSERT_EQ(indices[i], expectedIndices[i])
          << "token " << i / p.topK << " choice " << i % p.topK;
    expectClose(weights, expectedWeights, std::string("moe_route ") + c.label);
  }
}

TEST_F(MoeKernels, PlanEqualsPlanMoeDispatch) {
  // V2 routing: 160 experts, top-6, 19 tokens (most experts empty).
  std::mt19937 rng(41);
  const int32_t tokens = 19;
  const ref::MoeGateParams &p = kRouteCases[2].params;
  std::vector<float> logits = randomFloats(rng, tokens * p.experts, 4.0f);
  std::vector<float> eye = identity(p.experts);
  std::vector<float> weights(tokens * p.topK);
  std::vector<int32_t> indices(tokens * p.topK);
  ref::moeGate(logits.data(), eye.data(), tokens, p.experts, p, weights.data(),
               indices.data());
  plan("plan_v2", weights, indices, tokens, p.experts, p.topK);

  // Crowded experts: 10 experts, top-3, 23 tokens (several full blocks).
  std::vector<int32_t> crowded(23 * kK);
  std::vector<float> crowdedWeights = randomFloats(rng, crowded.size(), 1.0f);
  for (int32_t t = 0; t < 23; ++t)
    for (int64_t k = 0; k < kK; ++k)
      crowded[t * kK + k] = static_cast<int32_t>((t % 2 == 0 ? k : 3 * k + t) % kE);
  for (int32_t t = 0; t < 23; ++t) // distinct experts per token
    if (crowded[t * kK + 1] == crowded[t * kK + 0] ||
        crowded[t * kK + 2] == crowded[t * kK + 0] ||
        crowded[t * kK + 2] == crowded[t * kK + 1])
      for (int64_t k = 0; k < kK; ++k)
        crowded[t * kK + k] = static_cast<int32_t>(k + 5);
  plan("plan", crowdedWeights, crowded, 23, kE, kK);
}

TEST_F(MoeKernels, ExpertParallelRouteAndPlanKeepOnlyThisRanksExperts) {
  // V2 routing on a rank holding experts [40, 80): indices relative to 40,
  // pairs routed elsewhere -1 with weight 0 and no dispatch row.
  std::mt19937 rng(43);
  const int32_t tokens = 17;
  const ref::MoeGateParams &p = kRouteCases[2].params;
  std::vector<float> logits = randomFloats(rng, tokens * p.experts, 4.0f);
  std::vector<float> eye = identity(p.experts);
  ASSERT_GT(ref::routingMargin(logits.data(), eye.data(), tokens, p.experts, p),
            1e-6);
  std::vector<float> weights, globalWeights(tokens * p.topK);
  std::vector<int32_t> indices, globalIndices(tokens * p.topK);
  route("route_v2_ep", logits, tokens, p.topK, weights, indices);
  ref::moeGate(logits.data(), eye.data(), tokens, p.experts, p,
               globalWeights.data(), globalIndices.data());
  int64_t here = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    bool local = globalIndices[i] >= kEpFirst &&
                 globalIndices[i] < kEpFirst + kEpLocal;
    here += local;
    EXPECT_EQ(indices[i], local ? globalIndices[i] - kEpFirst : -1) << i;
    EXPECT_NEAR(weights[i], local ? globalWeights[i] : 0.0f, 1e-6f) << i;
  }
  ASSERT_GT(here, 0);
  ASSERT_LT(here, static_cast<int64_t>(indices.size()));

  const int64_t rowsMax = tokens * p.topK + kEpLocal * (kBlock - 1);
  Buffer<int32_t> idx(indices.size()), offsets(kEpLocal + 1, -7),
      rowToken(rowsMax, -7), tokenRow(tokens * p.topK, -7);
  Buffer<float> w(weights.size()), rowWeight(rowsMax, -7.0f);
  std::copy(indices.begin(), indices.end(), idx.data());
  std::copy(weights.begin(), weights.end(), w.data());
  KernelArgs args;
  args.buf(idx).buf(w).i32(tokens).buf(offsets).buf(rowToken).buf(rowWeight)
      .buf(tokenRow);
  suite->run("plan_v2_ep", args, 1);
  int64_t rows = 0;
  for (size_t i = 0; i < indices.size(); ++i) {
    if (indices[i] < 0) {
      EXPECT_EQ(tokenRow[i], -1) << "pair " << i << " has a row";
      continue;
    }
    int32_t row = tokenRow[i];
    EXPECT_GE(row, offsets[indices[i]]) << i;
    EXPECT_LT(row, offsets[indices[i] + 1]) << i;
    EXPECT_EQ(rowToken[row], static_cast<int32_t>(i / p.topK)) << i;
    EXPECT_EQ(rowWeight[row], weights[i]) << i;
    ++rows;
  }
  EXPECT_EQ(rows, here);
  EXPECT_LE(offsets[kEpLocal], here + kEpLocal * (kBlock - 1));
}

TEST_F(MoeKernels, GroupedExpertsAndCombineMatchMoeFused) {
  std::mt19937 rng(51);
  const int32_t tokens = 23;
  const ref::MoeGateParams &p = kRouteCases[0].params;
  const int64_t rowsMax = tokens * kK + kE * (kBlock - 1);
  std::vector<float> x = randomFloats(rng, tokens * kH, 1.0f);
  std::vector<float> gateWeight = randomFloats(rng, kE * kH, 1.0f);
  std::vector<float> gateF, upF, downF;
  std::vector<uint16_t> gateB = randomBf16(rng, kE * kI * kH, 0.3f, gateF);
  std::vector<uint16_t> upB = randomBf16(rng, kE * kI * kH, 0.3f, upF);
  std::vector<uint16_t> downB = randomBf16(rng, kE * kH * kI, 0.3f, downF);
  std::vector<float> sharedGate = randomFloats(rng, kI * kH, 0.3f);
  std::vector<float> sharedUp = randomFloats(rng, kI * kH, 0.3f);
  std::vector<float> sharedDown = randomFloats(rng, kH * kI, 0.3f);

  // Route on the router logits (linear is tested on its own).
  std::vector<float> logits(tokens * kE);
  ref::linear(x.data(), gateWeight.data(), tokens, kH, kE, logits.data());
  ASSERT_GT(ref::routingMargin(x.data(), gateWeight.data(), tokens, kH, p),
            1e-6);
  std::vector<float> weights, expectedWeights(tokens * kK);
  std::vector<int32_t> indices, expectedIndices(tokens * kK);
  route("route_greedy", logits, tokens, kK, weights, indices);
  ref::moeGate(x.data(), gateWeight.data(), tokens, kH, p,
               expectedWeights.data(), expectedIndices.data());
  ASSERT_EQ(indices, expectedIndices);
  Plan planned = plan("plan", weights, indices, tokens, kE, kK);
  if (HasFailure())
    return;

  // grouped_gate_up: the gated product of reference::mlp per real row.
  Buffer<float> xBuf(x.size()), hidden(rowsMax * kI);
  Buffer<int32_t> rowToken(rowsMax), offsets(kE + 1), tokenRow(tokens * kK);
  Buffer<uint16_t> gate(gateB.size()), up(upB.size()), down(downB.size());
  Buffer<float> rowWeight(rowsMax);
  std::copy(x.begin(), x.end(), xBuf.data());
  std::copy(planned.rowToken.begin(), planned.rowToken.end(), rowToken.data());
  std::copy(planned.offsets.begin(), planned.offsets.end(), offsets.data());
  std::copy(planned.tokenRow.begin(), planned.tokenRow.end(), tokenRow.data());
  std::copy(planned.rowWeight.begin(), planned.rowWeight.end(),
            rowWeight.data());
  std::copy(gateB.begin(), gateB.end(), gate.data());
  std::copy(upB.begin(), upB.end(), up.data());
  std::copy(downB.begin(), downB.end(), down.data());
  const int32_t used = planned.offsets[kE];
  auto expertOf = [&](int32_t row) {
    int64_t e = 0;
    while (planned.offsets[e + 1] <= row)
      ++e;
    return e;
  };
  // The tile.dot forms (16-row programs, 32 columns) and, on the CPU, the
  // panel forms (4 or 2 rows; gate/up: one 16-column panel of each
  // expert's weights; down: two panels, the second of the last program
  // clamped as H = 40 has 3; grouped_down_panel also reads row_token).
  struct GroupedForm {
    std::string gateUp, down;
    int32_t gateUpRows, downRows, gateUpColumns, downColumns;
    bool downTakesRowToken, panels;
  };
  std::vector<GroupedForm> forms{{"gate_up", "down", int32_t(kBlock),
                                  int32_t(kBlock), 32, 32, false, false}};
#if !DSV2_KERNEL_TESTS_EMULATED
  const int32_t panel = int32_t(runtime::kWeightPanelColumns);
  for (int32_t rows : {4, 2}) {
    const std::string suffix = "/" + std::to_string(rows);
    forms.push_back({"grouped_gate_up_panel" + suffix,
                     "grouped_down_panel" + suffix, rows, rows, panel,
                     2 * panel, true, true});
  }
#endif
  Buffer<uint16_t> gatePanels(kE * runtime::panelElements(kI, kH)),
      upPanels(kE * runtime::panelElements(kI, kH)),
      downPanels(kE * runtime::panelElements(kH, kI));
  fill(gatePanels, stackedPanels(gateB, kE, kI, kH));
  fill(upPanels, stackedPanels(upB, kE, kI, kH));
  fill(downPanels, stackedPanels(downB, kE, kH, kI));
  Buffer<float> expertOut(rowsMax * kH);
  for (const GroupedForm &form : forms) {
    SCOPED_TRACE(form.gateUp);
    std::fill(hidden.data(), hidden.data() + rowsMax * kI, -12345.0f);
    std::fill(expertOut.data(), expertOut.data() + rowsMax * kH, -12345.0f);
    auto programRows = [&](int32_t rowsPerProgram) {
      return static_cast<int32_t>((rowsMax + rowsPerProgram - 1) /
                                  rowsPerProgram);
    };
    KernelArgs gateUpArgs;
    gateUpArgs.buf(xBuf).buf(rowToken).buf(offsets)
        .buf(form.panels ? gatePanels : gate)
        .buf(form.panels ? upPanels : up)
        .buf(hidden).i32(static_cast<int32_t>(rowsMax));
    suite->run(form.gateUp, gateUpArgs, programRows(form.gateUpRows),
               static_cast<int32_t>((kI + form.gateUpColumns - 1) /
                                    form.gateUpColumns));

    std::vector<float> gotHidden, expectedHidden;
    for (int32_t r = 0; r < used; ++r) {
      int32_t t = planned.rowToken[r];
      if (t < 0) {
        for (int64_t i = 0; i < kI; ++i)
          ASSERT_EQ(hidden[r * kI + i], 0.0f) << "padding row " << r;
        continue;
      }
      int64_t e = expertOf(r);
      std::vector<float> g(kI), u(kI);
      ref::linear(x.data() + t * kH, gateF.data() + e * kI * kH, 1, kH, kI,
                  g.data());
      ref::linear(x.data() + t * kH, upF.data() + e * kI * kH, 1, kH, kI,
                  u.data());
      for (int64_t i = 0; i < kI; ++i) {
        double z = g[i];
        expectedHidden.push_back(
            static_cast<float>(z / (1.0 + std::exp(-z)) * u[i]));
        gotHidden.push_back(hidden[r * kI + i]);
      }
    }
    expectClose(gotHidden, expectedHidden, "grouped_gate_up");

    // grouped_down on the kernel's hidden rows.
    KernelArgs downArgs;
    downArgs.buf(hidden);
    if (form.downTakesRowToken)
      downArgs.buf(rowToken);
    downArgs.buf(offsets).buf(form.panels ? downPanels : down).buf(expertOut)
        .i32(static_cast<int32_t>(rowsMax));
    suite->run(form.down, downArgs, programRows(form.downRows),
               static_cast<int32_t>((kH + form.downColumns - 1) /
                                    form.downColumns));
    std::vector<float> gotOut, expectedOut;
    for (int32_t r = 0; r < used; ++r) {
      if (planned.rowToken[r] < 0) {
        for (int64_t h = 0; h < kH; ++h)
          ASSERT_EQ(expertOut[r * kH + h], 0.0f) << "padding row " << r;
        continue;
      }
      std::vector<float> o(kH);
      ref::linear(hidden.data() + r * kI, downF.data() + expertOf(r) * kH * kI, 1,
                  kI, kH, o.data());
      for (int64_t h = 0; h < kH; ++h) {
        expectedOut.push_back(o[h]);
        gotOut.push_back(expertOut[r * kH + h]);
      }
    }
    expectClose(gotOut, expectedOut, "grouped_down");
  }

  // moe_combine, with and without the shared expert.
  std::vector<float> sharedOut(tokens * kH);
  ref::mlp(x.data(), sharedGate.data(), sharedUp.data(), sharedDown.data(),
           tokens, kH, kI, sharedOut.data());
  Buffer<float> shared(sharedOut.size());
  std::copy(sharedOut.begin(), sharedOut.end(), shared.data());
  for (int hasShared : {0, 1}) {
    Buffer<float> out(tokens * kH, -12345.0f);
    KernelArgs combineArgs;
    combineArgs.buf(expertOut).buf(tokenRow).buf(rowWeight).buf(shared)
        .buf(out);
    suite->run("combine" + std::to_string(hasShared), combineArgs, tokens,
               static_cast<int32_t>((kH + nextPowerOfTwo(kH) - 1) /
                                    nextPowerOfTwo(kH)));
    // Step 4 of reference::moeFused (double accumulation).
    std::vector<float> expected(tokens * kH);
    for (int32_t t = 0; t < tokens; ++t)
      for (int64_t h = 0; h < kH; ++h) {
        double sum = hasShared ? sharedOut[t * kH + h] : 0.0;
        for (int64_t k = 0; k < kK; ++k) {
          int32_t r = planned.tokenRow[t * kK + k];
          sum += double(planned.rowWeight[r]) * expertOut[r * kH + h];
        }
        expected[t * kH + h] = static_cast<float>(sum);
      }
    expectClose(out.vector(), expected,
                "moe_combine HAS_SHARED=" + std::to_string(hasShared));

    if (hasShared) {
      // The whole chain against reference::moeFused.
      ref::ExpertWeights sharedWeights{sharedGate.data(), sharedUp.data(),
                                       sharedDown.data()};
      std::vector<float> fused(tokens * kH);
      ref::moeFused(x.data(), tokens, kH, kI, gateWeight.data(), p,
                    gateF.data(), upF.data(), downF.data(), &sharedWeights, kI,
                    kBlock, fused.data());
      expectClose(out.vector(), fused, "moe chain vs moeFused");
    }
  }
}

} // namespace
} // namespace dsv2::test
