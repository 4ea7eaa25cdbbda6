//===- LaunchProfile.cpp - DSV2_PROFILE_LAUNCHES for every executor -------===//

#include "runtime/engine/LaunchProfile.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace dsv2::runtime {

LaunchProfile *LaunchProfile::get() {
  static LaunchProfile *profile = [] {
    const char *flag = std::getenv("DSV2_PROFILE_LAUNCHES");
    if (!flag || !*flag || std::strcmp(flag, "0") == 0)
      return static_cast<LaunchProfile *>(nullptr);
    static LaunchProfile instance;
    instance.byKernel = std::strcmp(flag, "kernels") == 0;
    return &instance;
  }();
  return profile;
}

void LaunchProfile::setNote(std::string text) {
  std::lock_guard<std::mutex> lock(mutex);
  note = std::move(text);
}

void LaunchProfile::add(bool decode, const Launch &launch, double seconds) {
  std::lock_guard<std::mutex> lock(mutex);
  // Collectives are named by kind and group ("all_reduce.tensor"): their
  // time is communication plus waiting for the slowest rank.
  std::string name =
      launch.isCollective()
          ? std::string(collectiveName(launch.collective)) + "." +
                collectiveGroupName(launch.group)
      : byKernel ? launch.kernel
                 : launch.kernel.substr(0, launch.kernel.find("__"));
  std::string kind = name + " <- " + launch.origin;
  Entry &entry = entries[{decode ? "decode" : "prefill", kind}];
  entry.seconds += seconds;
  ++entry.launches;
}

void LaunchProfile::step(bool decode) {
  std::lock_guard<std::mutex> lock(mutex);
  ++(decode ? decodeSteps : prefillSteps);
}

LaunchProfile::~LaunchProfile() {
  std::vector<std::pair<std::pair<std::string, std::string>, Entry>> rows(
      entries.begin(), entries.end());
  std::sort(rows.begin(), rows.end(), [](const auto &a, const auto &b) {
    if (a.first.first != b.first.first)
      return a.first.first > b.first.first;
    return a.second.seconds > b.second.seconds;
  });
  std::fprintf(stderr, "launch profile (%lld prefill, %lld decode steps%s%s):\n",
               static_cast<long long>(prefillSteps),
               static_cast<long long>(decodeSteps), note.empty() ? "" : "; ",
               note.c_str());
  for (const auto &[key, entry] : rows)
    std::fprintf(stderr, "  %-7s %-44s %11.6f s %7lld launches\n",
                 key.first.c_str(), key.second.c_str(), entry.seconds,
                 static_cast<long long>(entry.launches));
}

} // namespace dsv2::runtime
