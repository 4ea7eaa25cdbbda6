//===- EmulatedKernelLibrary.cpp - A hand-written emulated kernel library -===//
//
// Stands in for what `dsv2c compile --target sm_90a-emu` emits: a host
// shared library whose kernels call the emulator through the table it is
// given by __dsv2_emu_bind, each exported as `name_grid` (KernelAbi.h).
//
//===----------------------------------------------------------------------===//

#include "runtime/simt/SimtEmuAbi.h"

#include <cstdlib>

namespace {

const Dsv2SimtEmuApi *api = nullptr;
constexpr int kThreads = 64;

/// out[block] = sum over the block's kThreads inputs.
void rowSumThread(void **args) {
  const float *in = *static_cast<const float **>(args[0]);
  float *out = *static_cast<float **>(args[1]);
  int tid = api->tidX();
  int64_t block = api->ctaid(0);
  float *partial = static_cast<float *>(api->sharedBase());
  partial[tid] = in[block * kThreads + tid];
  api->barrier();
  for (int stride = kThreads / 2; stride > 0; stride /= 2) {
    if (tid < stride)
      partial[tid] += partial[tid + stride];
    api->barrier();
  }
  if (tid == 0)
    out[block] = partial[0];
}

} // namespace

extern "C" __attribute__((visibility("default"))) void
__dsv2_emu_bind(const Dsv2SimtEmuApi *table) {
  if (table->version != dsv2::runtime::kSimtEmuAbiVersion)
    std::abort();
  api = table;
}

extern "C" __attribute__((visibility("default"))) void
row_sum_grid(void **args, int32_t gridX, int32_t gridY, int32_t gridZ,
             int64_t first, int64_t last) {
  api->launch(rowSumThread, args, gridX, gridY, gridZ, first, last, kThreads,
              kThreads * sizeof(float));
}
