// bf16_widen: the inner step of the CPU's bf16 panel GEMMs (linear_panel
// and the grouped expert GEMMs on AVX-512: 8 rows of x broadcast against
// two 16-column weight panels, 16 zmm accumulators), written three ways and
// timed side by side on data that stays in L2, against the machine's FMA
// peak. It asks what a different bf16 panel layout would buy before any
// kernel or packing changes:
//
//   panels      today's layout (runtime/io/WeightPanels.h): each panel row
//               is 16 bf16 widened by vpmovzxwd + vpslld (a shuffle-port
//               uop and a shift per 16 weights);
//   interleaved the two panels' rows interleaved per 32-bit lane (column j
//               of the first panel in the low half, of the second in the
//               high half): one 64-byte load, then vpslld gives the first
//               panel's f32 and vpandd the second's (no shuffle);
//   fma-peak    12 independent FMA chains, no loads (the ceiling).
//
// Results are bitwise equal across the two layouts (same products, same
// order); the program checks that. Not built by CMake (AVX-512 only):
//
//   cc -O3 -march=native tools/bench/bf16_widen.c -o /tmp/bf16_widen
//   /tmp/bf16_widen [K] [REPEAT]
//
// Run it once per core at the same time to see both cores loaded:
//   (/tmp/bf16_widen & /tmp/bf16_widen & wait)
#include <immintrin.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { kRows = 8, kPanel = 16 };

static double seconds(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return now.tv_sec + 1e-9 * now.tv_nsec;
}

static __m512 widenBf16(const uint16_t *row) {
  __m512i wide = _mm512_cvtepu16_epi32(_mm256_loadu_si256((const void *)row));
  return _mm512_castsi512_ps(_mm512_slli_epi32(wide, 16));
}

// One K step of both layouts: x[r][step] of the 8 rows broadcast against
// the step's two widened panel rows, into acc[r] and acc[8 + r].
__attribute__((always_inline)) static inline void
fmaStep(__m512 *acc, const float *x, int k, int step, __m512 w0, __m512 w1) {
  for (int r = 0; r < kRows; ++r) {
    __m512 xs = _mm512_set1_ps(x[r * k + step]);
    acc[r] = _mm512_fmadd_ps(xs, w0, acc[r]);
    acc[kRows + r] = _mm512_fmadd_ps(xs, w1, acc[kRows + r]);
  }
}

// out[r][0..31] = sum_k x[r][k] * (panel0[k][0..15] | panel1[k][0..15]).
__attribute__((noinline)) static void panels(const float *x, int k,
                                             const uint16_t *panel0,
                                             const uint16_t *panel1,
                                             float *out) {
  __m512 acc[2 * kRows];
  for (int i = 0; i < 2 * kRows; ++i)
    acc[i] = _mm512_setzero_ps();
  for (int step = 0; step < k; ++step)
    fmaStep(acc, x, k, step, widenBf16(panel0 + step * kPanel),
            widenBf16(panel1 + step * kPanel));
  for (int i = 0; i < 2 * kRows; ++i)
    _mm512_storeu_ps(out + i * kPanel, acc[i]);
}

// The same sums over `pairs`: per K step 16 lanes of (panel1 << 16 | panel0).
__attribute__((noinline)) static void interleaved(const float *x, int k,
                                                  const uint32_t *pairs,
                                                  float *out) {
  const __m512i highHalf = _mm512_set1_epi32((int)0xFFFF0000u);
  __m512 acc[2 * kRows];
  for (int i = 0; i < 2 * kRows; ++i)
    acc[i] = _mm512_setzero_ps();
  for (int step = 0; step < k; ++step) {
    __m512i both = _mm512_loadu_si512((const void *)(pairs + step * kPanel));
    fmaStep(acc, x, k, step, _mm512_castsi512_ps(_mm512_slli_epi32(both, 16)),
            _mm512_castsi512_ps(_mm512_and_si512(both, highHalf)));
  }
  for (int i = 0; i < 2 * kRows; ++i)
    _mm512_storeu_ps(out + i * kPanel, acc[i]);
}

// FLOP/s of 12 independent FMA chains (4-cycle latency, 2 ports), each
// its own variable so that all stay in registers.
#define FMA_CHAIN(v) v = _mm512_fmadd_ps(v, scale, add);
static double fmaPeak(long iterations) {
  __m512 a0 = _mm512_set1_ps(0.10f), a1 = _mm512_set1_ps(0.11f),
         a2 = _mm512_set1_ps(0.12f), a3 = _mm512_set1_ps(0.13f),
         a4 = _mm512_set1_ps(0.14f), a5 = _mm512_set1_ps(0.15f),
         a6 = _mm512_set1_ps(0.16f), a7 = _mm512_set1_ps(0.17f),
         a8 = _mm512_set1_ps(0.18f), a9 = _mm512_set1_ps(0.19f),
         a10 = _mm512_set1_ps(0.20f), a11 = _mm512_set1_ps(0.21f);
  const __m512 scale = _mm512_set1_ps(0.9999f), add = _mm512_set1_ps(1e-4f);
  double start = seconds();
  for (long n = 0; n < iterations; ++n) {
    FMA_CHAIN(a0) FMA_CHAIN(a1) FMA_CHAIN(a2) FMA_CHAIN(a3)
    FMA_CHAIN(a4) FMA_CHAIN(a5) FMA_CHAIN(a6) FMA_CHAIN(a7)
    FMA_CHAIN(a8) FMA_CHAIN(a9) FMA_CHAIN(a10) FMA_CHAIN(a11)
  }
  double elapsed = seconds() - start;
  __m512 sum = _mm512_add_ps(
      _mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3)),
      _mm512_add_ps(_mm512_add_ps(a4, a5), _mm512_add_ps(a6, a7)));
  sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(a8, a9),
                                         _mm512_add_ps(a10, a11)));
  if (_mm512_reduce_add_ps(sum) == 12345.0f)
    printf("(unlikely)\n");
  return iterations * 12.0 * 32.0 / elapsed;
}

int main(int argc, char **argv) {
  const int k = argc > 1 ? atoi(argv[1]) : 2048;
  const int repeat = argc > 2 ? atoi(argv[2]) : 20000;
  if (k <= 0 || repeat <= 0) {
    fprintf(stderr, "usage: bf16_widen [K > 0] [REPEAT > 0]\n");
    return 2;
  }
  float *x = aligned_alloc(64, sizeof(float) * kRows * k);
  uint16_t *panel = aligned_alloc(64, sizeof(uint16_t) * 2 * kPanel * k);
  uint32_t *pairs = aligned_alloc(64, sizeof(uint32_t) * kPanel * k);
  for (int i = 0; i < kRows * k; ++i)
    x[i] = (float)((i * 37) % 101) / 101.0f - 0.5f;
  // Two panels [k][16] of bf16 bit patterns near 1, and their pair lanes.
  uint16_t *panel0 = panel, *panel1 = panel + kPanel * k;
  for (int i = 0; i < kPanel * k; ++i) {
    panel0[i] = (uint16_t)(0x3f80 + (i * 13) % 127);
    panel1[i] = (uint16_t)(0xbf00 + (i * 7) % 127);
    pairs[i] = (uint32_t)panel1[i] << 16 | panel0[i];
  }
  float expected[2 * kRows * kPanel], got[2 * kRows * kPanel];
  panels(x, k, panel0, panel1, expected);
  interleaved(x, k, pairs, got);
  if (memcmp(expected, got, sizeof(got)) != 0) {
    fprintf(stderr, "bf16_widen: the layouts disagree\n");
    return 1;
  }

  const double flop = 2.0 * kRows * 2 * kPanel * k * repeat;
  double best[2] = {1e30, 1e30};
  for (int round = 0; round < 3; ++round) {
    for (int form = 0; form < 2; ++form) {
      double start = seconds();
      for (int i = 0; i < repeat; ++i) {
        if (form == 0)
          panels(x, k, panel0, panel1, got);
        else
          interleaved(x, k, pairs, got);
      }
      double elapsed = seconds() - start;
      if (elapsed < best[form])
        best[form] = elapsed;
    }
  }
  const double peak = fmaPeak(100000000L);
  printf("$ bf16_widen %d %d (8 rows x 2 panels, K %d, one thread, best of "
         "3)\n",
         k, repeat, k);
  printf("fma-peak     %7.1f GFLOP/s\n", peak * 1e-9);
  printf("panels       %7.1f GFLOP/s  %4.0f%% of peak\n",
         flop / best[0] * 1e-9, 100.0 * flop / best[0] / peak);
  printf("interleaved  %7.1f GFLOP/s  %4.0f%% of peak  %.2fx panels\n",
         flop / best[1] * 1e-9, 100.0 * flop / best[1] / peak,
         best[0] / best[1]);
  free(x);
  free(panel);
  free(pairs);
  return 0;
}
