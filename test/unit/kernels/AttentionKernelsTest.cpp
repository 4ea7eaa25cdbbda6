//===- AttentionKernelsTest.cpp - MLA attention kernels vs the reference ---===//
//
// latent_attention (absorbed MLA over the [c | k_pe] cache) and
// causal_attention (decompressed MLA) against reference::attendCausal, with
// T = 5 queries after past = 7 cached rows (L = 12: not a multiple of the
// key block BL = 16), plus one DeepSeek-V2-width decode step of
// latent_attention (128 heads, C = 512, R = 64); latent_attention_grouped
// (HG heads per program) the same ways, against the same reference.
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/KernelHarness.h"
#include "test/unit/kernels/LatentAttentionParams.h"

#include "passes/kernel_formation/TileHeuristics.h"

#include "dialect/dsv2/reference/CausalAttention.h"
#include "runtime/io/Bf16.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace dsv2::test {
namespace {

namespace ref = ::dsv2::reference;
using runtime::bf16ToFloat32;
using runtime::float32ToBf16;

constexpr int64_t kBlockKeys = kLatentKeyBlock;
// Small MLA: heads, latent C, rope R, nope P, value V.
constexpr int64_t kHeads = 3, kC = 48, kR = 16, kP = 24, kV = 20;
// DeepSeek-V2 widths.
constexpr int64_t kV2Heads = 128, kV2C = 512, kV2R = 64;

double scaleFor(int64_t width) { return 1.0 / std::sqrt(double(width)); }

// Split-context decoding: 4 shares of the visible rows per (token, head).
constexpr int64_t kSplits = 4;
// Head groups: 6 heads in 3 groups of 2 (programs past the first group),
// and DeepSeek-V2's 128 in groups of 8 (kernel formation's group).
constexpr int64_t kGroupHeads = 6, kGroup = 2, kV2Group = 8;
// DeepSeek-V2-Lite's heads.
constexpr int64_t kLiteHeads = 16;

/// causal_attention(_keyrows) at the test's sizes, plus the form's tiles.
mlir::dsv2::KernelParams causalParams(mlir::dsv2::KernelParams tiles) {
  tiles.insert({{"CT", "f32"},
                {"HEADS", std::to_string(kHeads)},
                {"P", std::to_string(kP)},
                {"R", std::to_string(kR)},
                {"V", std::to_string(kV)},
                {"C", std::to_string(kC)},
                {"VB", std::to_string(nextPowerOfTwo(kV))},
                {"SCALE", floatText(scaleFor(kP + kR))}});
  return tiles;
}

class AttentionKernels : public ::testing::Test {
protected:
  static void SetUpTestSuite() {
    suite = new KernelSuite;
    suite->add("latent_f32", "latent_attention",
               latentParams("f32", kHeads, kC, kR, scaleFor(kP + kR)));
    suite->add("latent_bf16", "latent_attention",
               latentParams("bf16", kHeads, kC, kR, scaleFor(kP + kR)));
    suite->add("latent_v2", "latent_attention",
               latentParams("bf16", kV2Heads, kV2C, kV2R, scaleFor(192)));
    suite->add("latent_split", "latent_attention",
               latentParams("f32", kHeads, kC, kR, scaleFor(kP + kR), kSplits));
    suite->add("latent_combine", "latent_attention_combine",
               {{"C", std::to_string(kC)},
                {"CB", std::to_string(nextPowerOfTwo(kC))},
                {"HEADS", std::to_string(kHeads)},
                {"SPLITS", std::to_string(kSplits)}});
    suite->add("grouped_f32", "latent_attention_grouped",
               latentParams("f32", kGroupHeads, kC, kR, scaleFor(kP + kR), 1,
                            kGroup));
    suite->add("grouped_bf16", "latent_attention_grouped",
               latentParams("bf16", kGroupHeads, kC, kR, scaleFor(kP + kR), 1,
                            kGroup));
    suite->add("grouped_v2", "latent_attention_grouped",
               latentParams("bf16", kV2Heads, kV2C, kV2R, scaleFor(192), 1,
                            kV2Group));
    suite->add("grouped_split", "latent_attention_grouped",
               latentParams("f32", kGroupHeads, kC, kR, scaleFor(kP + kR),
                            kSplits, kGroup));
#if DSV2_KERNEL_TESTS_EMULATED
    // Tensor cores (DOT bf16, GPU engines over a bf16 cache): DeepSeek-V2's
    // groups of 8 (the score dots on mma, p @ c with 8 rows on FMAs) and
    // Lite's 16 heads in one group of 16 (every dot on mma).
    suite->add("grouped_v2_mma", "latent_attention_grouped",
               latentParams("bf16", kV2Heads, kV2C, kV2R, scaleFor(192), 1,
                            kV2Group, "bf16"));
    suite->add("grouped_lite_mma", "latent_attention_grouped",
               latentParams("bf16", kLiteHeads, kV2C, kV2R, scaleFor(192), 1,
                            kLiteHeads, "bf16"));
    suite->add("grouped_mma_split", "latent_attention_grouped",
               latentParams("bf16", kLiteHeads, kV2C, kV2R, scaleFor(192),
                            kSplits, kLiteHeads, "bf16"));
    suite->add("lite_combine", "latent_attention_combine",
               {{"C", std::to_string(kV2C)},
                {"CB", std::to_string(kV2C)},
                {"HEADS", std::to_string(kLiteHeads)},
                {"SPLITS", std::to_string(kSplits)}});
#endif
    suite->add("grouped_combine", "latent_attention_combine",
               {{"C", std::to_string(kC)},
                {"CB", std::to_string(nextPowerOfTwo(kC))},
                {"HEADS", std::to_string(kGroupHeads)},
                {"SPLITS", std::to_string(kSplits)}});
    suite->add("causal", "causal_attention",
               causalParams({{"PB", std::to_string(nextPowerOfTwo(kP))},
                             {"RB", std::to_string(nextPowerOfTwo(kR))},
                             {"BM", "8"},
                             {"BL", std::to_string(kBlockKeys)},
                             {"DOT", "f32"}}));
#if DSV2_KERNEL_TESTS_EMULATED
    // Tensor cores (DOT bf16, GPU engines over bf16 weights): 16 queries
    // per program, every dot's m, n and k whole mma blocks.
    suite->add("causal_mma", "causal_attention",
               causalParams({{"PB", std::to_string(nextPowerOfTwo(kP))},
                             {"RB", std::to_string(nextPowerOfTwo(kR))},
                             {"BM", "16"},
                             {"BL", std::to_string(kBlockKeys)},
                             {"DOT", "bf16"}}));
#endif
#if !DSV2_KERNEL_TESTS_EMULATED
    // The CPU form, keys as the rows of the score dot: 4 queries x 4 keys
    // (P = 24, R = 16, V = 20: no dimension a whole number of vectors).
    suite->add("causal_keyrows", "causal_attention_keyrows",
               causalParams({{"BM", "4"}, {"BL", "4"}}));
    // ... and with the tiles kernel formation gives AVX2 and AVX-512 CPUs.
    suite->add("causal_keyrows_cpu", "causal_attention_keyrows",
               causalParams({{"BM", std::to_string(
                                        mlir::dsv2::keyRowAttentionQueries(256))},
                             {"BL", std::to_string(mlir::dsv2::kKeyRowAttentionKeys)}}));
    suite->add("causal_keyrows_wide", "causal_attention_keyrows",
               causalParams({{"BM", std::to_string(
                                        mlir::dsv2::keyRowAttentionQueries(512))},
                             {"BL", std::to_string(mlir::dsv2::kKeyRowAttentionKeys)}}));
#endif
    suite->compile("attention_kernels");
  }
  static void TearDownTestSuite() {
    delete suite;
    suite = nullptr;
  }
  void SetUp() override { ASSERT_EQ(suite->error, ""); }
  static KernelSuite *suite;

  /// Runs latent_attention `label` and compares with attendCausal over the
  /// cache as shared keys [c | k_pe] and values c.
  static void checkLatent(const std::string &label, bool bf16Cache,
                          int64_t heads, int64_t c, int64_t r, int32_t tokens,
                          int32_t past, double scale, uint32_t seed,
                          int64_t splits = 1, int64_t group = 1,
                          const std::string &combineLabel = "latent_combine",
                          bool bf16Dots = false) {
    std::mt19937 rng(seed);
    const int64_t row = c + r, context = past + tokens;
    std::vector<float> qV = randomFloats(rng, tokens * heads * row, 1.0f);
    // bf16 dots (DOT bf16) round q before they multiply: so does the
    // reference; p's rounding for p @ c is what the tolerance allows.
    std::vector<float> qRef = qV;
    if (bf16Dots)
      for (float &value : qRef)
        value = bf16ToFloat32(float32ToBf16(value));
    std::vector<float> cacheF = randomFloats(rng, context * row, 1.0f);
    Buffer<float> q(qV.size()), out(tokens * heads * c, -12345.0f);
    std::copy(qV.begin(), qV.end(), q.data());
    Buffer<float> cacheFBuf(cacheF.size());
    Buffer<uint16_t> cacheBBuf(cacheF.size());
    for (size_t i = 0; i < cacheF.size(); ++i) {
      cacheBBuf[i] = float32ToBf16(cacheF[i]);
      if (bf16Cache)
        cacheF[i] = bf16ToFloat32(cacheBBuf[i]);
      cacheFBuf[i] = cacheF[i];
    }

    // Split: the shares' records [m, l, acc] (NaN where no share writes),
    // then latent_attention_combine into out.
    Buffer<float> records(std::max<int64_t>(1, tokens * heads * splits * (c + 2)),
                          std::nanf(""));
    KernelArgs args;
    args.buf(q)
        .ptr(bf16Cache ? static_cast<void *>(cacheBBuf.data())
                       : static_cast<void *>(cacheFBuf.data()))
        .ptr(splits > 1 ? records.data() : out.data())
        .i32(past);
    suite->run(label, args, tokens, static_cast<int32_t>(heads / group),
               static_cast<int32_t>(splits));
    if (splits > 1) {
      KernelArgs combine;
      combine.buf(records).buf(out);
      suite->run(combineLabel, combine, tokens, static_cast<int32_t>(heads));
    }

    std::vector<float> values(context * c);
    for (int64_t l = 0; l < context; ++l)
      std::copy(cacheF.begin() + l * row, cacheF.begin() + l * row + c,
                values.begin() + l * c);
    ref::CausalAttentionShape shape{tokens, context, heads, 1,
                                    row,    c,       past,  scale};
    std::vector<float> expected(tokens * heads * c);
    ref::attendCausal(qRef.data(), cacheF.data(), values.data(), shape,
                      expected.data());
    expectClose(out.vector(), expected, label, bf16Dots ? kBf16DotBound : 1e-5);
  }

  /// p rounded to bf16 moves each output by at most 2^-8 of the largest
  /// value it averages (measured 1.3e-3 .. 1.6e-3 x max|ref|); a misplaced
  /// fragment moves it by whole values.
  static constexpr double kBf16DotBound = 4e-3;
};
KernelSuite *AttentionKernels::suite = nullptr;

TEST_F(AttentionKernels, LatentAttentionF32CachePrefillAfterPast) {
  checkLatent("latent_f32", false, kHeads, kC, kR, 5, 7, scaleFor(kP + kR), 21);
}

TEST_F(AttentionKernels, LatentAttentionBf16CachePrefillAfterPast) {
  checkLatent("latent_bf16", true, kHeads, kC, kR, 5, 7, scaleFor(kP + kR), 22);
}

TEST_F(AttentionKernels, LatentAttentionDeepSeekV2WidthDecode) {
  // One token at position 37: 38 cache rows (2 full key blocks + 6).
  checkLatent("latent_v2", true, kV2Heads, kV2C, kV2R, 1, 37, scaleFor(192),
              23);
}

// Split-context decoding (SPLITS = 4 shares of whole 16-row blocks, merged
// by latent_attention_combine): 38 rows are shares of 16, 16, 6 and an
// empty one; 201 rows four shares of 64 (the last 9); a prefill after 7
// rows leaves all but the first share empty for every token.
TEST_F(AttentionKernels, LatentAttentionSplitContextMatchesOneProgram) {
  checkLatent("latent_split", false, kHeads, kC, kR, 1, 37, scaleFor(kP + kR),
              25, kSplits);
  checkLatent("latent_split", false, kHeads, kC, kR, 1, 200, scaleFor(kP + kR),
              26, kSplits);
  checkLatent("latent_split", false, kHeads, kC, kR, 5, 7, scaleFor(kP + kR),
              27, kSplits);
}

// Head groups: each program's HG heads share every cache block; the result
// is each head's, as with one program per head.
TEST_F(AttentionKernels, LatentAttentionGroupedF32CachePrefillAfterPast) {
  checkLatent("grouped_f32", false, kGroupHeads, kC, kR, 5, 7,
              scaleFor(kP + kR), 31, 1, kGroup);
}

TEST_F(AttentionKernels, LatentAttentionGroupedBf16CacheDecodeAfterBlocks) {
  // 38 rows: 2 full key blocks + 6.
  checkLatent("grouped_bf16", true, kGroupHeads, kC, kR, 1, 37,
              scaleFor(kP + kR), 32, 1, kGroup);
}

TEST_F(AttentionKernels, LatentAttentionGroupedDeepSeekV2WidthDecode) {
  checkLatent("grouped_v2", true, kV2Heads, kV2C, kV2R, 1, 37, scaleFor(192),
              33, 1, kV2Group);
}

TEST_F(AttentionKernels, LatentAttentionGroupedSplitContextMatchesOneProgram) {
  checkLatent("grouped_split", false, kGroupHeads, kC, kR, 1, 200,
              scaleFor(kP + kR), 34, kSplits, kGroup, "grouped_combine");
  checkLatent("grouped_split", false, kGroupHeads, kC, kR, 5, 7,
              scaleFor(kP + kR), 35, kSplits, kGroup, "grouped_combine");
}

#if DSV2_KERNEL_TESTS_EMULATED
// On tensor cores (DOT bf16): V2's 128 heads in groups of 8 after 37 rows
// and a prefill of 5 after 7 (a partial key block either way); Lite's 16
// heads as one group, whole and over 4 context shares.
TEST_F(AttentionKernels, LatentAttentionGroupedOnTensorCores) {
  checkLatent("grouped_v2_mma", true, kV2Heads, kV2C, kV2R, 1, 37,
              scaleFor(192), 36, 1, kV2Group, "", /*bf16Dots=*/true);
  checkLatent("grouped_v2_mma", true, kV2Heads, kV2C, kV2R, 5, 7,
              scaleFor(192), 37, 1, kV2Group, "", /*bf16Dots=*/true);
  checkLatent("grouped_lite_mma", true, kLiteHeads, kV2C, kV2R, 1, 70,
              scaleFor(192), 38, 1, kLiteHeads, "", /*bf16Dots=*/true);
  checkLatent("grouped_mma_split", true, kLiteHeads, kV2C, kV2R, 1, 200,
              scaleFor(192), 39, kSplits, kLiteHeads, "lite_combine",
              /*bf16Dots=*/true);
}
#endif

/// Runs causal_attention for T = tokens after `past` rows and compares with
/// attendCausal. k_nope, the cache and v get `padRows` extra key rows of NaN
/// after the L = past + T real ones (a masked lane that is read but not used
/// is harmless; one that is used turns the output into NaN).
/// p rounded to bf16 for P V moves each output by at most 2^-8 of the
/// largest value it averages; a misplaced mma fragment by whole values.
constexpr double kBf16AttentionBound = 4e-3;

/// Rounds every value to bf16 (what DOT bf16 feeds the tensor cores).
void roundToBf16(std::vector<float> &values) {
  for (float &value : values)
    value = runtime::bf16ToFloat32(runtime::float32ToBf16(value));
}

void checkCausal(KernelSuite &suite, int32_t tokens, int32_t past,
                 int64_t padRows, const std::string &kernel = "causal",
                 int32_t queriesPerProgram = 8, bool bf16Dots = false) {
  const int64_t row = kC + kR, context = past + tokens,
                rows = context + padRows;
  const float nan = std::nanf("");
  std::mt19937 rng(24 + tokens);
  std::vector<float> qV = randomFloats(rng, tokens * kHeads * (kP + kR), 1.0f);
  std::vector<float> kNopeV = randomFloats(rng, context * kHeads * kP, 1.0f);
  std::vector<float> cacheV = randomFloats(rng, context * row, 1.0f);
  std::vector<float> vV = randomFloats(rng, context * kHeads * kV, 1.0f);
  Buffer<float> q(qV.size()), kNope(rows * kHeads * kP, nan),
      cache(rows * row, nan), v(rows * kHeads * kV, nan),
      out(tokens * kHeads * kV, -12345.0f);
  std::copy(qV.begin(), qV.end(), q.data());
  std::copy(kNopeV.begin(), kNopeV.end(), kNope.data());
  std::copy(cacheV.begin(), cacheV.end(), cache.data());
  std::copy(vV.begin(), vV.end(), v.data());

  KernelArgs args;
  args.buf(q).buf(kNope).ptr(cache.data() + kC).buf(v).buf(out).i32(past)
      .i32(tokens);
  suite.run(kernel, args,
            (tokens + queriesPerProgram - 1) / queriesPerProgram, kHeads);

  // Keys [L, heads, P + R] = [k_nope of the head | the shared k_pe].
  std::vector<float> keys(context * kHeads * (kP + kR));
  for (int64_t l = 0; l < context; ++l)
    for (int64_t h = 0; h < kHeads; ++h) {
      float *key = keys.data() + (l * kHeads + h) * (kP + kR);
      std::copy(kNopeV.begin() + (l * kHeads + h) * kP,
                kNopeV.begin() + (l * kHeads + h + 1) * kP, key);
      std::copy(cacheV.begin() + l * row + kC, cacheV.begin() + (l + 1) * row,
                key + kP);
    }
  ref::CausalAttentionShape shape{tokens, context, kHeads, kHeads,
                                  kP + kR, kV,     past,   scaleFor(kP + kR)};
  // bf16 dots round q, k and v before they multiply: so does the reference.
  if (bf16Dots) {
    roundToBf16(qV);
    roundToBf16(keys);
    roundToBf16(vV);
  }
  std::vector<float> expected(tokens * kHeads * kV);
  ref::attendCausal(qV.data(), keys.data(), vV.data(), shape, expected.data());
  expectClose(out.vector(), expected,
              kernel + " T=" + std::to_string(tokens) +
                  " past=" + std::to_string(past),
              bf16Dots ? kBf16AttentionBound : 1e-5);
}

// NaN rows past L must stay out of the PV product: a masked value-tile load
// that reads them (the LLVM 22 x86 split-load bug codegen/cpu works around)
// turns 0 * NaN into NaN.
TEST_F(AttentionKernels, CausalAttentionPrefillAfterPast) {
  // One key block of NaN rows past L: see CausalAttentionStaysInItsBuffers.
  checkCausal(*suite, 5, 7, kBlockKeys);
  checkCausal(*suite, 19, 7, kBlockKeys);
#if DSV2_KERNEL_TESTS_EMULATED
  // On tensor cores: partial 16-query and 16-key blocks, and a prefill
  // longer than one query block after a past.
  checkCausal(*suite, 5, 7, kBlockKeys, "causal_mma", 16, /*bf16Dots=*/true);
  checkCausal(*suite, 37, 11, kBlockKeys, "causal_mma", 16, /*bf16Dots=*/true);
#else
  checkCausal(*suite, 5, 7, kBlockKeys, "causal_keyrows", 4);
  checkCausal(*suite, 19, 7, kBlockKeys, "causal_keyrows", 4);
  checkCausal(*suite, 1, 0, kBlockKeys, "causal_keyrows", 4);
  const int32_t cpuQueries = mlir::dsv2::keyRowAttentionQueries(256);
  checkCausal(*suite, 5, 7, kBlockKeys, "causal_keyrows_cpu", cpuQueries);
  checkCausal(*suite, 37, 5, kBlockKeys, "causal_keyrows_cpu", cpuQueries);
  checkCausal(*suite, 1, 0, kBlockKeys, "causal_keyrows_cpu", cpuQueries);
  const int32_t wideQueries = mlir::dsv2::keyRowAttentionQueries(512);
  checkCausal(*suite, 37, 5, kBlockKeys, "causal_keyrows_wide", wideQueries);
  checkCausal(*suite, 70, 3, kBlockKeys, "causal_keyrows_wide", wideQueries);
#endif
}

// Kernels read nothing past their buffers: the runtime adds no slack, so an
// unmasked load of a partial value tile would fault here.
TEST_F(AttentionKernels, CausalAttentionStaysInItsBuffers) {
  // Buffers of exactly L rows, ending at a PROT_NONE page: a read past row
  // L - 1 faults (in a child process, so the other tests still run).
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        checkCausal(*suite, 5, 7, 0);
#if !DSV2_KERNEL_TESTS_EMULATED
        checkCausal(*suite, 5, 7, 0, "causal_keyrows", 4);
        checkCausal(*suite, 37, 5, 0, "causal_keyrows_cpu",
                    mlir::dsv2::keyRowAttentionQueries(256));
        checkCausal(*suite, 37, 5, 0, "causal_keyrows_wide",
                    mlir::dsv2::keyRowAttentionQueries(512));
#endif
        std::exit(::testing::Test::HasFailure() ? 1 : 0);
      },
      ::testing::ExitedWithCode(0), "");
}

} // namespace
} // namespace dsv2::test
