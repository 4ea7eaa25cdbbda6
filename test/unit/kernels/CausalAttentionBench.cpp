//===- CausalAttentionBench.cpp - The CPU's prefill attention, timed ------===//
//
// dsv2-causal-attention-bench: a prefill's decompressed MLA attention on the
// CPU (`causal_attention_keyrows`) at DeepSeek-V2(-Lite) widths (nope P 128,
// rope R 64, value V 128, latent C 512), T prompt tokens after `past`
// cached rows, with the tiles kernel formation gives this machine's engines
// and any others named by --tiles, side by side. Compiled by the kernel
// tests' harness with the lowering dsv2c picks for this machine (vector
// width, pair-dot), run on --threads threads that take chunks of the grid
// as the runtime's pool does; the forms alternate for --repeat rounds and the best of each is printed with its GFLOP/s (2 x heads x
// visible keys x (P + R + V) per query) and its ratio to the first form.
// Every form must agree with the first (1e-4 of max |out|), and the first
// with reference::attendCausal on the first --check query rows (causal:
// they see only the rows before them). A benchmark, not a test.
//
//   dsv2-causal-attention-bench [--tokens N,N,...] [--past N] [--heads N]
//                               [--tiles BMxBL,...] [--threads N]
//                               [--repeat N] [--check N]
//
//===----------------------------------------------------------------------===//

#include "test/unit/kernels/BenchFlags.h"
#include "test/unit/kernels/KernelHarness.h"

#include "codegen/cpu/ObjectEmitter.h"
#include "codegen/cpu/Pipeline.h"
#include "dialect/dsv2/reference/CausalAttention.h"
#include "passes/kernel_formation/TileHeuristics.h"

#include "llvm/Support/Error.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <memory>
#include <sstream>
#include <thread>

namespace dsv2::test {
namespace {

constexpr int64_t kNope = 128, kRope = 64, kValue = 128, kLatent = 512;
// DeepSeek-V2's softmax scale (q/k head width 192, YaRN mscale included).
constexpr double kScale = 0.1147213868;

struct Tiles {
  int64_t queries, keys;
  std::string text() const {
    return std::to_string(queries) + "x" + std::to_string(keys);
  }
};

struct Options {
  std::vector<int64_t> tokens = {512, 2032};
  int64_t past = 0;
  int64_t heads = 16;
  std::vector<Tiles> extraTiles;
  int64_t threads = 1;
  int repeat = 3;
  int64_t check = 32;
};

/// "BMxBL": queries per program, keys per block.
Tiles parseTiles(const BenchFlags &flags, const std::string &text) {
  std::vector<int64_t> parts = flags.counts("--tiles", text, 'x');
  if (parts.size() != 2)
    flags.fail("--tiles: '" + text + "' is not BMxBL");
  return {parts[0], parts[1]};
}

Options parse(BenchFlags &flags) {
  Options options;
  for (std::string flag, value; flags.next(flag, value);) {
    if (flag == "--tokens") {
      options.tokens = flags.counts(flag, value);
    } else if (flag == "--past") {
      options.past = flags.count(flag, value, 0);
    } else if (flag == "--heads") {
      options.heads = flags.count(flag, value);
    } else if (flag == "--tiles") {
      std::stringstream list(value);
      for (std::string item; std::getline(list, item, ',');)
        options.extraTiles.push_back(parseTiles(flags, item));
    } else if (flag == "--threads") {
      options.threads = flags.count(flag, value);
    } else if (flag == "--repeat") {
      options.repeat = static_cast<int>(flags.count(flag, value));
    } else if (flag == "--check") {
      options.check = flags.count(flag, value, 0);
    } else {
      flags.fail("unknown option " + flag);
    }
  }
  return options;
}

mlir::dsv2::KernelParams params(int64_t heads, const Tiles &tiles) {
  return {{"CT", "f32"},
          {"HEADS", std::to_string(heads)},
          {"P", std::to_string(kNope)},
          {"R", std::to_string(kRope)},
          {"V", std::to_string(kValue)},
          {"C", std::to_string(kLatent)},
          {"VB", std::to_string(nextPowerOfTwo(kValue))},
          {"BM", std::to_string(tiles.queries)},
          {"BL", std::to_string(tiles.keys)},
          {"SCALE", floatText(kScale)}};
}

/// The inputs of one prefill: q [T, heads, P + R], k_nope [L, heads, P],
/// the latent cache [L, C + R] (k_pe its last R columns), v [L, heads, V].
struct Prefill {
  Prefill(std::mt19937 &rng, int64_t tokens, int64_t context, int64_t heads)
      : q(randomFloats(rng, tokens * heads * (kNope + kRope), 1.0f)),
        kNopeRows(randomFloats(rng, context * heads * kNope, 1.0f)),
        cache(randomFloats(rng, context * (kLatent + kRope), 1.0f)),
        v(randomFloats(rng, context * heads * kValue, 1.0f)) {}
  std::vector<float> q, kNopeRows, cache, v;
};

/// reference::attendCausal on the first `rows` queries (they see the first
/// past + rows keys only), per-head keys [k_nope | the shared k_pe].
std::vector<float> referenceRows(const Prefill &in, int64_t rows,
                                 int64_t past, int64_t heads) {
  const int64_t context = past + rows, width = kNope + kRope;
  std::vector<float> keys(context * heads * width), values(context * heads *
                                                          kValue);
  for (int64_t l = 0; l < context; ++l)
    for (int64_t h = 0; h < heads; ++h) {
      const int64_t lh = l * heads + h;
      std::copy_n(in.kNopeRows.begin() + lh * kNope, kNope,
                  keys.begin() + lh * width);
      std::copy_n(in.cache.begin() + l * (kLatent + kRope) + kLatent, kRope,
                  keys.begin() + lh * width + kNope);
      std::copy_n(in.v.begin() + lh * kValue, kValue,
                  values.begin() + lh * kValue);
    }
  reference::CausalAttentionShape shape{rows,  context, heads,  heads,
                                        width, kValue,  past,   kScale};
  std::vector<float> out(rows * heads * kValue);
  reference::attendCausal(in.q.data(), keys.data(), values.data(), shape,
                          out.data());
  return out;
}

int run(int argc, char **argv) {
  BenchFlags flags("dsv2-causal-attention-bench",
                   "[--tokens N,N,...] [--past N] [--heads N] "
                   "[--tiles BMxBL,...] [--threads N] [--repeat N] "
                   "[--check N]",
                   "the CPU's prefill attention, timed per tile shape", argc,
                   argv);
  Options options = parse(flags);
  flags.echo();

  auto host = mlir::dsv2::cpu::describeCpuTarget(
      {}, mlir::dsv2::cpu::cpuLoweringFeatures());
  if (!host) {
    std::fprintf(stderr, "dsv2-causal-attention-bench: %s\n",
                 llvm::toString(host.takeError()).c_str());
    return 1;
  }
  const int64_t vectorBits =
      mlir::dsv2::cpu::cpuLoweringFor(host->features).vectorBits;
  // The first form is kernel formation's for this machine.
  std::vector<Tiles> forms = {{mlir::dsv2::keyRowAttentionQueries(vectorBits),
                               mlir::dsv2::kKeyRowAttentionKeys}};
  forms.insert(forms.end(), options.extraTiles.begin(),
               options.extraTiles.end());
  KernelSuite suite;
  suite.hostLowering = true;
  for (size_t f = 0; f < forms.size(); ++f)
    suite.add("form" + std::to_string(f), "causal_attention_keyrows",
              params(options.heads, forms[f]));
  suite.compile("causal_attention_bench");
  if (!suite.error.empty()) {
    std::fprintf(stderr, "dsv2-causal-attention-bench: %s\n",
                 suite.error.c_str());
    return 1;
  }
  std::printf("heads %lld, P %lld + R %lld, V %lld, f32 cache, past %lld, "
              "cpu %s (%lld-bit vectors), %lld thread(s), best of %d rounds; %zu "
              "forms compiled in %.1f s\n",
              static_cast<long long>(options.heads),
              static_cast<long long>(kNope), static_cast<long long>(kRope),
              static_cast<long long>(kValue),
              static_cast<long long>(options.past), host->cpu.c_str(),
              static_cast<long long>(vectorBits),
              static_cast<long long>(options.threads), options.repeat,
              forms.size(), suite.compileSeconds);
  std::printf("%7s %-22s %10s %9s %8s %10s\n", "tokens", "form BMxBL",
              "ms", "GFLOP/s", "speedup", "max diff");

  std::mt19937 rng(2026);
  for (int64_t tokens : options.tokens) {
    const int64_t past = options.past, context = past + tokens;
    Prefill in(rng, tokens, context, options.heads);
    Buffer<float> q(in.q.size()), kNopeBuffer(in.kNopeRows.size()),
        cache(in.cache.size()), v(in.v.size());
    fill(q, in.q);
    fill(kNopeBuffer, in.kNopeRows);
    fill(cache, in.cache);
    fill(v, in.v);
    std::vector<std::unique_ptr<Buffer<float>>> outs;
    std::vector<KernelArgs> args(forms.size());
    for (size_t f = 0; f < forms.size(); ++f) {
      outs.push_back(std::make_unique<Buffer<float>>(
          tokens * options.heads * kValue, -12345.0f));
      args[f]
          .buf(q)
          .buf(kNopeBuffer)
          .ptr(cache.data() + kLatent)
          .buf(v)
          .buf(*outs[f])
          .i32(static_cast<int32_t>(past))
          .i32(static_cast<int32_t>(tokens));
    }
    // The grid in chunks of a quarter of a thread's share, taken in order
    // by the threads (runtime/cpu/ThreadPool.cpp).
    auto launch = [&](size_t f) {
      const int32_t gx = static_cast<int32_t>(
          (tokens + forms[f].queries - 1) / forms[f].queries);
      const int32_t gy = static_cast<int32_t>(options.heads);
      const int64_t programs = int64_t(gx) * gy;
      const int64_t chunk =
          std::max<int64_t>(1, programs / (4 * options.threads));
      std::atomic<int64_t> next{0};
      auto work = [&] {
        for (int64_t first; (first = next.fetch_add(chunk)) < programs;)
          suite.runRange("form" + std::to_string(f), args[f], gx, gy, 1,
                         first, std::min(programs, first + chunk));
      };
      std::vector<std::thread> helpers;
      for (int64_t t = 1; t < options.threads; ++t)
        helpers.emplace_back(work);
      work();
      for (std::thread &helper : helpers)
        helper.join();
    };
    std::vector<double> best(forms.size(), 1e30);
    for (int round = 0; round < options.repeat; ++round)
      for (size_t f = 0; f < forms.size(); ++f) {
        auto start = std::chrono::steady_clock::now();
        launch(f);
        best[f] = std::min(best[f], std::chrono::duration<double>(
                                        std::chrono::steady_clock::now() -
                                        start)
                                        .count());
      }

    // Query t sees past + t + 1 keys; each costs P + R multiply-adds for
    // its score and V for its share of the output.
    const double visible = double(tokens) * double(past) +
                           double(tokens) * double(tokens + 1) / 2;
    const double flops =
        2.0 * double(options.heads) * visible * double(kNope + kRope + kValue);
    const Buffer<float> &first = *outs[0];
    float scale = 0.0f;
    for (size_t i = 0; i < first.size(); ++i)
      scale = std::max(scale, std::fabs(first[i]));
    for (size_t f = 0; f < forms.size(); ++f) {
      float diff = 0.0f;
      for (size_t i = 0; i < first.size(); ++i)
        diff = std::max(diff, std::fabs((*outs[f])[i] - first[i]));
      std::string form = forms[f].text() + (f == 0 ? " (engines)" : "");
      std::printf("%7lld %-22s %10.3f %9.1f %7.2fx %10.2e\n",
                  static_cast<long long>(tokens), form.c_str(),
                  best[f] * 1e3, flops / best[f] * 1e-9, best[0] / best[f],
                  scale > 0 ? diff / scale : diff);
      if (!(diff <= 1e-4f * scale)) {
        std::fprintf(stderr,
                     "dsv2-causal-attention-bench: %s disagrees with the "
                     "first form (%.2e of max |out|)\n",
                     form.c_str(), scale > 0 ? diff / scale : diff);
        return 1;
      }
    }
    const int64_t rows = std::min(options.check, tokens);
    if (rows > 0) {
      std::vector<float> expected =
          referenceRows(in, rows, past, options.heads);
      double worst = 0, largest = 0;
      for (size_t i = 0; i < expected.size(); ++i) {
        worst = std::max(worst, double(std::fabs(first[i] - expected[i])));
        largest = std::max(largest, double(std::fabs(expected[i])));
      }
      const double relative = largest > 0 ? worst / largest : worst;
      std::printf("%7s first %lld rows against reference::attendCausal: "
                  "max diff %.2e of max |ref|\n",
                  "", static_cast<long long>(rows), relative);
      if (!(relative <= 1e-5)) {
        std::fprintf(stderr, "dsv2-causal-attention-bench: the kernel "
                             "disagrees with the reference\n");
        return 1;
      }
    }
  }
  return 0;
}

} // namespace
} // namespace dsv2::test

int main(int argc, char **argv) { return dsv2::test::run(argc, argv); }
