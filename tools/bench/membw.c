// Streaming-read memory bandwidth: sums a buffer of uint32 (default 1 GiB) with
// OpenMP threads, best of N passes. Used by tools/bench/pytorch_compare.sh.
//   cc -O3 -march=native -fopenmp membw.c -o membw && ./membw [GiB] [repeat]
// Prints: membw_gbs=X threads=T gib=G
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  double gib = argc > 1 ? atof(argv[1]) : 1.0;
  int repeat = argc > 2 ? atoi(argv[2]) : 3;
  size_t n = (size_t)(gib * (1u << 30)) / sizeof(uint32_t);
  uint32_t *a = aligned_alloc(64, n * sizeof(uint32_t));
  if (!a)
    return 1;
#pragma omp parallel for schedule(static)
  for (size_t i = 0; i < n; ++i)
    a[i] = (uint32_t)i; // first touch by the thread that reads it later
  double best = 0;
  uint64_t total = 0;
  for (int r = 0; r < repeat; ++r) {
    double t0 = now();
    uint64_t sum = 0;
#pragma omp parallel for schedule(static) reduction(+ : sum)
    for (size_t i = 0; i < n; ++i)
      sum += a[i];
    double dt = now() - t0;
    total += sum;
    double gbs = n * sizeof(uint32_t) / dt / 1e9;
    if (gbs > best)
      best = gbs;
  }
  printf("membw_gbs=%.2f threads=%d gib=%g checksum=%llu\n", best,
         omp_get_max_threads(), gib, (unsigned long long)(total & 0xffff));
  free(a);
  return 0;
}
