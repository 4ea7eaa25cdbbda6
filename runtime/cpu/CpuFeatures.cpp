//===- CpuFeatures.cpp - Can this CPU run an engine's kernels? ------------===//

#include "runtime/cpu/CpuFeatures.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace dsv2::runtime {

namespace {

/// Whether the host has `feature`; nullopt-like -1 when this runtime cannot
/// tell (an extension it does not know: assumed present, since the code
/// generator only records the extensions that change the ISA it may use).
int hostHas(const std::string &feature) {
#if defined(__x86_64__)
  // __builtin_cpu_supports needs literal names.
#define DSV2_FEATURE(llvmName, gccName)                                        \
  if (feature == llvmName)                                                     \
    return __builtin_cpu_supports(gccName) ? 1 : 0;
  DSV2_FEATURE("sse4.1", "sse4.1")
  DSV2_FEATURE("sse4.2", "sse4.2")
  DSV2_FEATURE("avx", "avx")
  DSV2_FEATURE("avx2", "avx2")
  DSV2_FEATURE("fma", "fma")
  DSV2_FEATURE("f16c", "f16c")
  DSV2_FEATURE("bmi2", "bmi2")
  DSV2_FEATURE("avx512f", "avx512f")
  DSV2_FEATURE("avx512bw", "avx512bw")
  DSV2_FEATURE("avx512dq", "avx512dq")
  DSV2_FEATURE("avx512vl", "avx512vl")
  DSV2_FEATURE("avx512cd", "avx512cd")
  DSV2_FEATURE("avx512vnni", "avx512vnni")
  DSV2_FEATURE("avx512bf16", "avx512bf16")
  DSV2_FEATURE("avx512fp16", "avx512fp16")
  DSV2_FEATURE("avxvnni", "avxvnni")
#undef DSV2_FEATURE
#endif
  (void)feature;
  return -1;
}

} // namespace

const std::vector<std::string> &checkableCpuFeatures() {
  static const std::vector<std::string> features = {
      "sse4.1",   "sse4.2",   "avx",        "avx2",       "fma",
      "f16c",     "bmi2",     "avx512f",    "avx512bw",   "avx512dq",
      "avx512vl", "avx512cd", "avx512vnni", "avx512bf16", "avx512fp16",
      "avxvnni"};
  return features;
}

std::vector<std::string>
missingCpuFeatures(const std::vector<std::string> &features) {
  std::vector<std::string> missing;
  for (const std::string &feature : features)
    if (hostHas(feature) == 0)
      missing.push_back(feature);
  return missing;
}

absl::Status checkHostRuns(const std::vector<std::string> &features,
                           const std::string &engineCpu,
                           const std::string &enginePath) {
  std::vector<std::string> missing = missingCpuFeatures(features);
  if (missing.empty())
    return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      enginePath, ": compiled for CPU '", engineCpu, "', whose ",
      absl::StrJoin(missing, ", "),
      " this CPU lacks; recompile with dsv2c compile --cpu host (or an older "
      "CPU such as x86-64-v3) for this machine"));
}

} // namespace dsv2::runtime
