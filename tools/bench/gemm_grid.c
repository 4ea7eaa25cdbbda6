// gemm_grid: times one compiled `linear`-ABI kernel (linear, or
// linear_panel with w in 16-column panels) from a shared library built by
// dsv2-translate-cpu, over its whole grid split across threads like the CPU
// executor does (contiguous ranges of linear program ids), and checks
// sampled outputs against a double-precision dot product. Used by
// tools/bench/gemm_forms.sh.
//
//   gemm_grid LIB KERNEL M N K BM BN THREADS f32|bf16 REPEAT [rows|panels]
//
// `panels`: w is passed as runtime/io/WeightPanels.h lays it out,
// [ceil(N/16)][K][16] with zero padding (BN is then the panel width).
// Prints one line: "<ms best> <GFLOP/s> <max abs error>".
#include <dlfcn.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef void (*GridFn)(void **, int32_t, int32_t, int32_t, int64_t, int64_t);

struct Launch {
  GridFn grid;
  void **args;
  int32_t gridX, gridY;
  int64_t programs;
  int threads;
};

struct Part {
  const struct Launch *launch;
  int index;
};

static void *runPart(void *opaque) {
  const struct Part *part = opaque;
  const struct Launch *l = part->launch;
  int64_t first = l->programs * part->index / l->threads;
  int64_t last = l->programs * (part->index + 1) / l->threads;
  l->grid(l->args, l->gridX, l->gridY, 1, first, last);
  return NULL;
}

static double seconds(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  if (argc != 11 && argc != 12) {
    fprintf(stderr, "usage: gemm_grid LIB KERNEL M N K BM BN THREADS f32|bf16 "
                    "REPEAT [rows|panels]\n");
    return 2;
  }
  const int panels = argc == 12 && strcmp(argv[11], "panels") == 0;
  const char *lib = argv[1], *kernel = argv[2];
  int m = atoi(argv[3]), n = atoi(argv[4]), k = atoi(argv[5]);
  int bm = atoi(argv[6]), bn = atoi(argv[7]), threads = atoi(argv[8]);
  int bf16 = strcmp(argv[9], "bf16") == 0, repeat = atoi(argv[10]);
  if (m <= 0 || n <= 0 || k <= 0 || bm <= 0 || bn <= 0 || threads <= 0 ||
      threads > 64 || repeat <= 0) {
    fprintf(stderr, "gemm_grid: sizes, threads (1..64) and repeat must be positive\n");
    return 2;
  }
  void *handle = dlopen(lib, RTLD_NOW);
  if (!handle) {
    fprintf(stderr, "gemm_grid: %s\n", dlerror());
    return 1;
  }
  char symbol[512];
  snprintf(symbol, sizeof symbol, "%s_grid", kernel);
  GridFn grid = (GridFn)dlsym(handle, symbol);
  if (!grid) {
    fprintf(stderr, "gemm_grid: %s has no %s\n", lib, symbol);
    return 1;
  }

  // x [m, k], w [n, k] (bf16: the upper halves of the f32 values, so the
  // f32 copy is the exact reference), y [m, n].
  float *x = malloc(sizeof(float) * (size_t)m * k);
  float *w = malloc(sizeof(float) * (size_t)n * k);
  uint16_t *wb = malloc(sizeof(uint16_t) * (size_t)n * k);
  float *y = calloc((size_t)m * n, sizeof(float));
  if (!x || !w || !wb || !y) {
    fprintf(stderr, "gemm_grid: out of memory\n");
    return 1;
  }
  uint32_t state = 12345;
  for (size_t i = 0; i < (size_t)m * k; ++i) {
    state = state * 1664525u + 1013904223u;
    x[i] = (float)(state >> 8) / 16777216.0f - 0.5f;
  }
  for (size_t i = 0; i < (size_t)n * k; ++i) {
    state = state * 1664525u + 1013904223u;
    float v = (float)(state >> 8) / 16777216.0f - 0.5f;
    uint32_t bits;
    memcpy(&bits, &v, 4);
    if (bf16) {
      bits &= 0xffff0000u;
      memcpy(&v, &bits, 4);
    }
    w[i] = v;
    wb[i] = (uint16_t)(bits >> 16);
  }

  // The layout the kernel reads: [n, k] rows, or 16-column panels.
  const size_t panelCount = (n + 15) / 16;
  float *wLaid = w;
  uint16_t *wbLaid = wb;
  if (panels) {
    wLaid = calloc(panelCount * 16 * k, sizeof(float));
    wbLaid = calloc(panelCount * 16 * k, sizeof(uint16_t));
    if (!wLaid || !wbLaid) {
      fprintf(stderr, "gemm_grid: out of memory\n");
      return 1;
    }
    for (int j = 0; j < n; ++j)
      for (int kk = 0; kk < k; ++kk) {
        size_t at = ((size_t)(j / 16) * k + kk) * 16 + j % 16;
        wLaid[at] = w[(size_t)j * k + kk];
        wbLaid[at] = wb[(size_t)j * k + kk];
      }
  }

  int32_t rows = m, xStride = k, yStride = n;
  void *px = x, *pw = bf16 ? (void *)wbLaid : (void *)wLaid, *py = y;
  void *args[6] = {&px, &pw, &py, &rows, &xStride, &yStride};
  struct Launch launch = {grid, args, (m + bm - 1) / bm, (n + bn - 1) / bn, 0,
                          threads};
  launch.programs = (int64_t)launch.gridX * launch.gridY;

  double best = 1e30;
  for (int r = 0; r < repeat + 1; ++r) { // the first run warms up
    pthread_t ids[64];
    struct Part parts[64];
    double start = seconds();
    for (int t = 0; t < threads; ++t) {
      parts[t].launch = &launch;
      parts[t].index = t;
      pthread_create(&ids[t], NULL, runPart, &parts[t]);
    }
    for (int t = 0; t < threads; ++t)
      pthread_join(ids[t], NULL);
    double elapsed = seconds() - start;
    if (r > 0 && elapsed < best)
      best = elapsed;
  }

  double maxError = 0;
  for (int i = 0; i < m; i += 7)
    for (int j = 0; j < n; j += 13) {
      double sum = 0;
      for (int kk = 0; kk < k; ++kk)
        sum += (double)x[(size_t)i * k + kk] * w[(size_t)j * k + kk];
      double error = fabs(sum - y[(size_t)i * n + j]);
      if (error > maxError)
        maxError = error;
    }
  printf("%.3f %.1f %.2e\n", best * 1e3, 2.0 * m * n * k / best * 1e-9,
         maxError);
  return 0;
}
