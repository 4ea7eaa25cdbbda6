//===- LaunchProfile.h - DSV2_PROFILE_LAUNCHES for every executor -*- C++ -*-===//
//
// DSV2_PROFILE_LAUNCHES=1: time per kernel kind (the instance name up to its
// first "__", or the collective and its group) and dsv2 op, per program,
// summed over all steps of the process and printed to stderr at exit
// (docs/perf.md); =kernels: per kernel instance instead (full names, which
// carry the shapes). Off by default: one getenv per process, nothing timed.
// Shared by the CPU and CUDA executors.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_ENGINE_LAUNCHPROFILE_H
#define RUNTIME_ENGINE_LAUNCHPROFILE_H

#include "runtime/engine/LaunchPlan.h"

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>

namespace dsv2::runtime {

class LaunchProfile {
public:
  /// The process's profile, or null when DSV2_PROFILE_LAUNCHES is unset/0.
  static LaunchProfile *get();
  /// Words on how launches were timed, printed in the header.
  void setNote(std::string text);
  void add(bool decode, const Launch &launch, double seconds);

  using Clock = std::chrono::steady_clock;
  /// When a timed launch starts: now with a profile, else a time never read
  /// (no clock read per launch when profiling is off).
  static Clock::time_point start(const LaunchProfile *profile) {
    return profile ? Clock::now() : Clock::time_point();
  }
  /// add() with the seconds since `start`.
  void addSince(bool decode, const Launch &launch, Clock::time_point start) {
    add(decode, launch,
        std::chrono::duration<double>(Clock::now() - start).count());
  }
  void step(bool decode);
  ~LaunchProfile();

private:
  struct Entry {
    double seconds = 0;
    int64_t launches = 0;
  };
  std::mutex mutex;
  std::string note;
  std::map<std::pair<std::string, std::string>, Entry> entries;
  int64_t prefillSteps = 0, decodeSteps = 0;
  /// DSV2_PROFILE_LAUNCHES=kernels: a row per kernel instance (its full
  /// name, which carries its shape parameters) instead of per kind.
  bool byKernel = false;
};

/// Bytes of a buffer whose size does not depend on the step (weights,
/// caches): its size at T = P = 0.
inline int64_t fixedBufferBytes(const BufferSpec &spec) {
  return spec.elements.evaluate(0, 0) * elementBytes(spec.type);
}

} // namespace dsv2::runtime

#endif // RUNTIME_ENGINE_LAUNCHPROFILE_H
