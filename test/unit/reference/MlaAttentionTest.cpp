//===- MlaAttentionTest.cpp - Tests of the reference MLA forms ------------===//
//
// Part of dsv2c. Checks the naive MLA against an independent double-precision
// transcription of the reference (de-interleaved RoPE layout included), and
// the latent-cache and weight-absorbed forms, prefill and decode, against the
// naive one.
//
//===----------------------------------------------------------------------===//

#include "dialect/dsv2/reference/MlaAttention.h"

#include "test/unit/reference/RandomBuffers.h"

#include <cstddef>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <ostream>
#include <string>
#include <vector>

namespace dsv2::reference {
namespace {

using test::randomBuffer;

/// One test configuration of the layer.
struct MlaCase {
  std::string name;
  int64_t qLoraRank; ///< 0 = plain q_proj (V2-Lite style).
  double mscale;     ///< rope_scaling.mscale (mscale_all_dim is 0.707).
};

/// Names the case in gtest output instead of dumping its bytes.
void PrintTo(const MlaCase &testCase, std::ostream *os) {
  *os << testCase.name;
}

/// A small random MLA layer that owns its weights.
class MlaLayerFixture {
public:
  explicit MlaLayerFixture(const MlaCase &testCase) {
    RopeParams rope;
    rope.dim = 6;
    rope.yarn = true;
    rope.factor = 40;
    rope.originalMaxPosition = 4096;
    rope.mscale = testCase.mscale;
    rope.mscaleAllDim = 0.707;
    dims = {/*hidden=*/32,
            /*heads=*/3,
            testCase.qLoraRank,
            /*kvLoraRank=*/24,
            /*nope=*/8,
            /*rope=*/6,
            /*vHead=*/10,
            0.0,
            1e-6,
            rope};
    dims.softmaxScale = mlaSoftmaxScale(dims.nope + dims.rope, rope);
    const int64_t n = dims.heads, h = dims.hidden, c = dims.kvLoraRank;
    const int64_t qWidth = n * (dims.nope + dims.rope);
    // Uniform [-a, a] with a = sqrt(3 / fanIn): unit-variance outputs, so the
    // softmax sees scores of order one.
    auto weight = [](int64_t out, int64_t in, uint32_t seed) {
      return randomBuffer(out * in, seed,
                          std::sqrt(3.0 / static_cast<double>(in)));
    };
    auto normWeight = [](int64_t dim, uint32_t seed) {
      std::vector<float> w = randomBuffer(dim, seed, 0.2);
      for (float &v : w)
        v += 1.0f;
      return w;
    };
    if (dims.qLoraRank > 0) {
      qA = weight(dims.qLoraRank, h, 1);
      qANorm = normWeight(dims.qLoraRank, 2);
      qB = weight(qWidth, dims.qLoraRank, 3);
    } else {
      q = weight(qWidth, h, 4);
    }
    kvA = weight(c + dims.rope, h, 5);
    kvANorm = normWeight(c, 6);
    kvB = weight(n * (dims.nope + dims.vHead), c, 7);
    o = weight(h, n * dims.vHead, 8);
  }

  MlaWeights weights() const {
    auto ptr = [](const std::vector<float> &v) {
      return v.empty() ? nullptr : v.data();
    };
    return {ptr(qA),  ptr(qANorm),  ptr(qB),  ptr(q),
            ptr(kvA), ptr(kvANorm), ptr(kvB), ptr(o)};
  }

  MlaDims dims;
  std::vector<float> qA, qANorm, qB, q, kvA, kvANorm, kvB, o;
};

enum class MlaForm { Naive, Latent, Absorbed };

/// Runs `form` over `x` [sum(chunks), H] in consecutive calls of chunks[i]
/// tokens each (e.g. {5, 1, 1, 1}: prefill then three decode steps) and
/// returns the concatenated outputs.
std::vector<float> runInChunks(const MlaLayerFixture &layer, MlaForm form,
                               const std::vector<float> &x,
                               const std::vector<int64_t> &chunks) {
  const int64_t h = layer.dims.hidden;
  std::vector<float> out(x.size());
  NaiveKvCacheLayer naiveCache;
  LatentKvCacheLayer latentCache;
  int64_t position = 0;
  for (int64_t tokens : chunks) {
    const float *xChunk = x.data() + position * h;
    float *outChunk = out.data() + position * h;
    bool ok = form == MlaForm::Naive
                  ? mlaAttentionNaive(layer.dims, layer.weights(), xChunk,
                                      tokens, position, naiveCache, outChunk)
                  : mlaAttentionLatent(layer.dims, layer.weights(), xChunk,
                                       tokens, position, latentCache, outChunk,
                                       form == MlaForm::Absorbed);
    EXPECT_TRUE(ok);
    position += tokens;
  }
  return out;
}

double rmsScale(const double *x, int64_t n, double eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i)
    sum += x[i] * x[i];
  return 1 / std::sqrt(sum / static_cast<double>(n) + eps);
}

std::vector<double> matVec(const std::vector<float> &w, const double *x,
                           int64_t out, int64_t in) {
  std::vector<double> y(out, 0.0);
  for (int64_t o = 0; o < out; ++o)
    for (int64_t i = 0; i < in; ++i)
      y[o] += static_cast<double>(w[o * in + i]) * x[i];
  return y;
}

/// RoPE as the reference applies it: rotate pairs (2j, 2j+1), then store
/// de-interleaved (all first elements, then all second elements).
std::vector<double> ropeDeinterleaved(const double *x, int64_t position,
                                      const RopeParams &params) {
  std::vector<double> invFreq = ropeInverseFrequencies(params);
  double scale = ropeCosSinScale(params);
  int64_t half = params.dim / 2;
  std::vector<double> out(params.dim);
  for (int64_t j = 0; j < half; ++j) {
    double angle = static_cast<double>(position) * invFreq[j];
    double cosine = std::cos(angle) * scale, sine = std::sin(angle) * scale;
    double a = x[2 * j], b = x[2 * j + 1];
    out[j] = a * cosine - b * sine;
    out[j + half] = b * cosine + a * sine;
  }
  return out;
}

/// An independent, all-double transcription of the reference's MLA forward
/// (prefill of all tokens from position 0), written from deepseek-v2.md.
std::vector<double> independentMla(const MlaLayerFixture &layer,
                                   const std::vector<float> &x,
                                   int64_t tokens) {
  const MlaDims &d = layer.dims;
  const int64_t n = d.heads, p = d.nope, r = d.rope, v = d.vHead;
  const int64_t c = d.kvLoraRank, h = d.hidden;
  std::vector<std::vector<double>> qNope(tokens * n), qPe(tokens * n);
  std::vector<std::vector<double>> kNope(tokens * n), values(tokens * n);
  std::vector<std::vector<double>> kPe(tokens);
  for (int64_t t = 0; t < tokens; ++t) {
    std::vector<double> xt(x.begin() + t * h, x.begin() + (t + 1) * h);
    std::vector<double> q;
    if (d.qLoraRank > 0) {
      std::vector<double> a = matVec(layer.qA, xt.data(), d.qLoraRank, h);
      double s = rmsScale(a.data(), d.qLoraRank, d.rmsEps);
      for (int64_t i = 0; i < d.qLoraRank; ++i)
        a[i] *= s * layer.qANorm[i];
      q = matVec(layer.qB, a.data(), n * (p + r), d.qLoraRank);
    } else {
      q = matVec(layer.q, xt.data(), n * (p + r), h);
    }
    std::vector<double> ckv = matVec(layer.kvA, xt.data(), c + r, h);
    double s = rmsScale(ckv.data(), c, d.rmsEps);
    for (int64_t i = 0; i < c; ++i)
      ckv[i] *= s * layer.kvANorm[i];
    std::vector<double> kv = matVec(layer.kvB, ckv.data(), n * (p + v), c);
    kPe[t] = ropeDeinterleaved(ckv.data() + c, t, d.ropeParams);
    for (int64_t head = 0; head < n; ++head) {
      const double *qHead = q.data() + head * (p + r);
      const double *kvHead = kv.data() + head * (p + v);
      qNope[t * n + head].assign(qHead, qHead + p);
      qPe[t * n + head] = ropeDeinterleaved(qHead + p, t, d.ropeParams);
      kNope[t * n + head].assign(kvHead, kvHead + p);
      values[t * n + head].assign(kvHead + p, kvHead + p + v);
    }
  }

  std::vector<double> out(tokens * h, 0.0);
  for (int64_t t = 0; t < tokens; ++t) {
    std::vector<double> concatenated(n * v, 0.0);
    for (int64_t head = 0; head < n; ++head) {
      std::vector<double> scores(t + 1);
      for (int64_t j = 0; j <= t; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < p; ++i)
          dot += qNope[t * n + head][i] * kNope[j * n + head][i];
        for (int64_t i = 0; i < r; ++i)
          dot += qPe[t * n + head][i] * kPe[j][i];
        scores[j] = dot * d.softmaxScale;
      }
      double maxScore = *std::max_element(scores.begin(), scores.end());
      double sum = 0;
      for (double &score : scores)
        sum += (score = std::exp(score - maxScore));
      for (int64_t j = 0; j <= t; ++j)
        for (int64_t i = 0; i < v; ++i)
          concatenated[head * v + i] +=
              scores[j] / sum * values[j * n + head][i];
    }
    std::vector<double> projected =
        matVec(layer.o, concatenated.data(), h, n * v);
    std::copy(projected.begin(), projected.end(), out.begin() + t * h);
  }
  return out;
}

/// Largest |a - b| over the largest |b|.
template <typename A, typename B>
double relativeError(const std::vector<A> &a, const std::vector<B> &b) {
  double maxDiff = 0, maxRef = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    maxDiff = std::max(maxDiff, std::abs(static_cast<double>(a[i]) - b[i]));
    maxRef = std::max(maxRef, std::abs(static_cast<double>(b[i])));
  }
  return maxDiff / maxRef;
}

class MlaAttentionTest : public ::testing::TestWithParam<MlaCase> {
protected:
  static constexpr int64_t kTokens = 8;
  MlaLayerFixture layer{GetParam()};
  std::vector<float> x = randomBuffer(kTokens * 32, 99);
};

TEST_P(MlaAttentionTest, NaiveMatchesIndependentTranscription) {
  std::vector<float> naive = runInChunks(layer, MlaForm::Naive, x, {kTokens});
  std::vector<double> expected = independentMla(layer, x, kTokens);
  EXPECT_LT(relativeError(naive, expected), 1e-5);
}

TEST_P(MlaAttentionTest, IncrementalDecodeMatchesOneShotPrefill) {
  for (MlaForm form : {MlaForm::Naive, MlaForm::Latent, MlaForm::Absorbed}) {
    std::vector<float> oneShot = runInChunks(layer, form, x, {kTokens});
    std::vector<float> incremental = runInChunks(layer, form, x, {5, 1, 1, 1});
    EXPECT_LT(relativeError(incremental, oneShot), 1e-5)
        << "form " << static_cast<int>(form);
  }
}

TEST_P(MlaAttentionTest, LatentAndAbsorbedMatchNaive) {
  for (std::vector<int64_t> chunks :
       {std::vector<int64_t>{kTokens}, std::vector<int64_t>{5, 1, 1, 1}}) {
    std::vector<float> naive = runInChunks(layer, MlaForm::Naive, x, chunks);
    std::vector<float> latent = runInChunks(layer, MlaForm::Latent, x, chunks);
    std::vector<float> absorbed =
        runInChunks(layer, MlaForm::Absorbed, x, chunks);
    EXPECT_LT(relativeError(latent, naive), 1e-5);
    EXPECT_LT(relativeError(absorbed, naive), 1e-5);
  }
}

TEST_P(MlaAttentionTest, EarlierTokensIgnoreLaterOnes) {
  std::vector<float> changed = x;
  std::vector<float> noise = randomBuffer(5 * 32, 1234, 3.0);
  std::copy(noise.begin(), noise.end(), changed.begin() + 3 * 32);
  for (MlaForm form : {MlaForm::Naive, MlaForm::Latent, MlaForm::Absorbed}) {
    std::vector<float> original = runInChunks(layer, form, x, {kTokens});
    std::vector<float> perturbed = runInChunks(layer, form, changed, {kTokens});
    for (int64_t i = 0; i < 3 * 32; ++i)
      ASSERT_EQ(original[i], perturbed[i]) << "element " << i;
    // And the later tokens did change, so the check is not vacuous.
    EXPECT_NE(original[3 * 32], perturbed[3 * 32]);
  }
}

TEST_P(MlaAttentionTest, CachesHoldTheExpectedWidths) {
  const MlaDims &d = layer.dims;
  std::vector<float> out(kTokens * d.hidden);
  NaiveKvCacheLayer naive;
  ASSERT_TRUE(mlaAttentionNaive(d, layer.weights(), x.data(), kTokens, 0, naive,
                                out.data()));
  EXPECT_EQ(naive.length, kTokens);
  EXPECT_EQ(naive.keys.size(),
            static_cast<size_t>(kTokens * d.heads * (d.nope + d.rope)));
  EXPECT_EQ(naive.values.size(),
            static_cast<size_t>(kTokens * d.heads * d.vHead));
  LatentKvCacheLayer latent;
  ASSERT_TRUE(mlaAttentionLatent(d, layer.weights(), x.data(), kTokens, 0,
                                 latent, out.data(), /*absorbed=*/true));
  EXPECT_EQ(latent.length, kTokens);
  EXPECT_EQ(latent.latent.size(), static_cast<size_t>(kTokens * d.kvLoraRank));
  EXPECT_EQ(latent.ropeKey.size(), static_cast<size_t>(kTokens * d.rope));
}

TEST_P(MlaAttentionTest, RejectsACacheOfTheWrongLength) {
  std::vector<float> out(32);
  NaiveKvCacheLayer naive;
  EXPECT_FALSE(mlaAttentionNaive(layer.dims, layer.weights(), x.data(), 1,
                                 /*startPos=*/2, naive, out.data()));
  EXPECT_EQ(naive.length, 0);
  LatentKvCacheLayer latent;
  EXPECT_FALSE(mlaAttentionLatent(layer.dims, layer.weights(), x.data(), 1,
                                  /*startPos=*/1, latent, out.data(), false));
  EXPECT_EQ(latent.length, 0);
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, MlaAttentionTest,
    ::testing::Values(MlaCase{"QLora_MscaleRatioOne", 16, 0.707},
                      MlaCase{"PlainQ_MscaleRatioNotOne", 0, 1.0}),
    [](const ::testing::TestParamInfo<MlaCase> &caseInfo) {
      return caseInfo.param.name;
    });

} // namespace
} // namespace dsv2::reference
