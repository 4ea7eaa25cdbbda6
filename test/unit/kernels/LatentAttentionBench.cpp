//===- LatentAttentionBench.cpp - One head vs head groups per program -----===//
//
// dsv2-latent-attention-bench: a decode step's latent attention on the CPU
// at DeepSeek-V2(-Lite) widths (C = 512, R = 64), one token after `context`
// - 1 cached rows, through the kernel formation's two forms side by side:
// `latent_attention` (one program per head, each re-reading the cache) and
// `latent_attention_grouped` with HG heads per program. Compiled by the
// kernel tests' harness (the same lowering as engines), run on one thread;
// the forms alternate for --repeat rounds and the best of each is printed
// with its ratio to the one-head form, after checking that every form's
// output agrees with the one-head one. A benchmark, not a test.
//
//   dsv2-latent-attention-bench [--heads N] [--contexts N,N,...]
//                               [--cache f32|bf16] [--repeat N]
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/BenchFlags.h"
#include "test/unit/kernels/KernelHarness.h"
#include "test/unit/kernels/LatentAttentionParams.h"

#include "runtime/io/Bf16.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <memory>

namespace dsv2::test {
namespace {

constexpr int64_t kLatent = 512, kRope = 64;
// DeepSeek-V2's softmax scale (q/k head width 192, YaRN mscale included).
constexpr double kScale = 0.1147213868;

struct Options {
  int64_t heads = 16;
  std::vector<int64_t> contexts = {512, 2048, 4096};
  std::string cache = "f32";
  int repeat = 5;
};

Options parse(BenchFlags &flags) {
  Options options;
  for (std::string flag, value; flags.next(flag, value);) {
    if (flag == "--heads") {
      options.heads = flags.count(flag, value);
    } else if (flag == "--contexts") {
      options.contexts = flags.counts(flag, value);
    } else if (flag == "--cache") {
      if (value != "f32" && value != "bf16")
        flags.fail("--cache: not f32 or bf16");
      options.cache = value;
    } else if (flag == "--repeat") {
      options.repeat = static_cast<int>(flags.count(flag, value));
    } else {
      flags.fail("unknown option " + flag);
    }
  }
  return options;
}

int run(int argc, char **argv) {
  BenchFlags flags("dsv2-latent-attention-bench",
                   "[--heads N] [--contexts N,N,...] [--cache f32|bf16] "
                   "[--repeat N]",
                   "latent attention, one head vs head groups per program",
                   argc, argv);
  Options options = parse(flags);
  flags.echo();

  // The forms: one head per program, then every power-of-two group up to
  // 16 that divides the heads.
  std::vector<int64_t> groups = {1};
  for (int64_t g = 2; g <= 16; g *= 2)
    if (options.heads % g == 0)
      groups.push_back(g);
  KernelSuite suite;
  for (int64_t g : groups)
    suite.add("hg" + std::to_string(g),
              g == 1 ? "latent_attention" : "latent_attention_grouped",
              latentParams(options.cache, options.heads, kLatent, kRope,
                           kScale, /*splits=*/1, g));
  suite.compile("latent_attention_bench");
  if (!suite.error.empty()) {
    std::fprintf(stderr, "dsv2-latent-attention-bench: %s\n",
                 suite.error.c_str());
    return 1;
  }
  std::printf("heads %lld, C %lld + R %lld, %s cache, one thread, best of "
              "%d rounds; %zu forms compiled in %.1f s\n",
              static_cast<long long>(options.heads),
              static_cast<long long>(kLatent), static_cast<long long>(kRope),
              options.cache.c_str(), options.repeat, groups.size(),
              suite.compileSeconds);
  std::printf("%8s %-28s %10s %14s %8s %10s\n", "context", "form",
              "ms/step", "ns/head-row", "speedup", "max diff");

  const int64_t row = kLatent + kRope;
  std::mt19937 rng(2026);
  for (int64_t context : options.contexts) {
    std::vector<float> qValues = randomFloats(rng, options.heads * row, 1.0f);
    std::vector<float> cacheValues = randomFloats(rng, context * row, 1.0f);
    Buffer<float> q(qValues.size()), cacheF32(cacheValues.size());
    Buffer<uint16_t> cacheBf16(cacheValues.size());
    fill(q, qValues);
    for (size_t i = 0; i < cacheValues.size(); ++i) {
      cacheF32[i] = cacheValues[i];
      cacheBf16[i] = runtime::float32ToBf16(cacheValues[i]);
    }
    void *cache = options.cache == "f32" ? static_cast<void *>(cacheF32.data())
                                         : static_cast<void *>(cacheBf16.data());
    std::vector<std::unique_ptr<Buffer<float>>> outs;
    std::vector<KernelArgs> args(groups.size());
    for (size_t f = 0; f < groups.size(); ++f) {
      outs.push_back(std::make_unique<Buffer<float>>(options.heads * kLatent));
      args[f].buf(q).ptr(cache).buf(*outs[f]).i32(
          static_cast<int32_t>(context - 1));
    }
    auto launch = [&](size_t f) {
      suite.run("hg" + std::to_string(groups[f]), args[f], 1,
                static_cast<int32_t>(options.heads / groups[f]), 1);
    };
    // Calls per timing so that one lasts ~10 ms or more.
    const int calls = static_cast<int>(std::max<int64_t>(1, 32768 / context));
    std::vector<double> best(groups.size(), 1e30);
    for (int round = 0; round < options.repeat; ++round) {
      for (size_t f = 0; f < groups.size(); ++f) {
        launch(f);
        auto start = std::chrono::steady_clock::now();
        for (int i = 0; i < calls; ++i)
          launch(f);
        double seconds = std::chrono::duration<double>(
                             std::chrono::steady_clock::now() - start)
                             .count() /
                         calls;
        best[f] = std::min(best[f], seconds);
      }
    }
    float scale = 0.0f;
    const Buffer<float> &reference = *outs[0];
    for (size_t i = 0; i < reference.size(); ++i)
      scale = std::max(scale, std::fabs(reference[i]));
    for (size_t f = 0; f < groups.size(); ++f) {
      float diff = 0.0f;
      for (size_t i = 0; i < reference.size(); ++i)
        diff = std::max(diff, std::fabs((*outs[f])[i] - reference[i]));
      std::string form =
          groups[f] == 1 ? "latent_attention (1 head)"
                         : "grouped, HG " + std::to_string(groups[f]);
      std::printf("%8lld %-28s %10.3f %14.1f %7.2fx %10.2e\n",
                  static_cast<long long>(context), form.c_str(),
                  best[f] * 1e3,
                  best[f] * 1e9 / double(options.heads * context),
                  best[0] / best[f], scale > 0 ? diff / scale : diff);
      if (scale > 0 && diff > 1e-4f * scale) {
        std::fprintf(stderr,
                     "dsv2-latent-attention-bench: %s disagrees with the "
                     "one-head form (%.2e of max |out|)\n",
                     form.c_str(), diff / scale);
        return 1;
      }
    }
  }
  return 0;
}

} // namespace
} // namespace dsv2::test

int main(int argc, char **argv) { return dsv2::test::run(argc, argv); }
