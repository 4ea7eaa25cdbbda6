//===- InProcessCollectives.cpp - Ranks as threads of one process ---------===//

#include "runtime/collectives/InProcessCollectives.h"

#include "absl/strings/str_cat.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace dsv2::runtime {
namespace {

using Clock = std::chrono::steady_clock;

class InProcessCollectives : public Collectives {
public:
  InProcessCollectives(InProcessWorld &world, int rank)
      : world(world), myRank(rank) {}

  int rank() const override { return myRank; }
  int worldSize() const override { return world.worldSize(); }
  std::string describe() const override { return "in-process threads"; }

  absl::Status formTensorGroups(int tensorParallel) override {
    return setTensorParallel(tensorParallel);
  }

  absl::Status allReduceSum(float *data, int64_t count,
                            CollectiveGroup group) override {
    InProcessWorld::Group &g = groupOf(group);
    int members = groupSize(group);
    if (absl::Status status = post(g, group, data, "all_reduce"); !status.ok())
      return status;
    // Every rank adds in group order: the same bits everywhere.
    std::vector<float> sum(static_cast<size_t>(count), 0.0f);
    for (int m = 0; m < members; ++m) {
      const float *other = static_cast<const float *>(g.posted[m]);
      for (int64_t i = 0; i < count; ++i)
        sum[i] += other[i];
    }
    if (absl::Status status = meet(g, group, "all_reduce"); !status.ok())
      return status;
    std::memcpy(data, sum.data(), sum.size() * sizeof(float));
    return absl::OkStatus();
  }

  absl::Status allGather(const void *src, void *dst, int64_t bytesPerRank,
                         CollectiveGroup group) override {
    InProcessWorld::Group &g = groupOf(group);
    if (absl::Status status = post(g, group, src, "all_gather"); !status.ok())
      return status;
    for (int m = 0; m < groupSize(group); ++m)
      std::memcpy(static_cast<uint8_t *>(dst) + m * bytesPerRank, g.posted[m],
                  static_cast<size_t>(bytesPerRank));
    return meet(g, group, "all_gather");
  }

  absl::Status broadcast(int32_t *data, int64_t count) override {
    InProcessWorld::Group &g = groupOf(CollectiveGroup::World);
    if (absl::Status status = post(g, CollectiveGroup::World, data, "broadcast");
        !status.ok())
      return status;
    if (myRank != 0)
      std::memcpy(data, g.posted[0], static_cast<size_t>(count) * sizeof(int32_t));
    return meet(g, CollectiveGroup::World, "broadcast");
  }

  [[noreturn]] void abortAll(int code) override { std::_Exit(code); }

private:
  InProcessWorld::Group &groupOf(CollectiveGroup group) {
    if (group == CollectiveGroup::World)
      return world.group(0, 0, worldSize());
    return world.group(tensorParallel(), myRank / tensorParallel(),
                       tensorParallel());
  }

  /// Publishes this rank's buffer and waits until every member has.
  absl::Status post(InProcessWorld::Group &g, CollectiveGroup group,
                    const void *buffer, const char *what) {
    {
      std::lock_guard<std::mutex> lock(g.mutex);
      g.posted[groupRank(group)] = buffer;
    }
    return meet(g, group, what);
  }

  /// A barrier of the group's members with the world's deadline.
  absl::Status meet(InProcessWorld::Group &g, CollectiveGroup group,
                    const char *what) {
    std::unique_lock<std::mutex> lock(g.mutex);
    auto failed = [&] {
      return absl::DeadlineExceededError(
          collectiveTimeoutMessage(what, group, world.timeout()));
    };
    if (g.broken)
      return failed();
    int64_t generation = g.generation;
    if (++g.arrived == groupSize(group)) {
      g.arrived = 0;
      ++g.generation;
      g.arrivedAll.notify_all();
      return absl::OkStatus();
    }
    auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(world.timeout()));
    while (g.generation == generation && !g.broken)
      if (g.arrivedAll.wait_until(lock, deadline) == std::cv_status::timeout &&
          g.generation == generation) {
        g.broken = true;
        g.arrivedAll.notify_all();
      }
    return g.generation != generation ? absl::OkStatus() : failed();
  }

  InProcessWorld &world;
  int myRank;
};

} // namespace

InProcessWorld::InProcessWorld(int worldSize, double timeoutSeconds)
    : size(worldSize), timeoutSeconds(timeoutSeconds) {}

InProcessWorld::~InProcessWorld() = default;

std::unique_ptr<Collectives> InProcessWorld::rank(int rank) {
  return std::make_unique<InProcessCollectives>(*this, rank);
}

InProcessWorld::Group &InProcessWorld::group(int tensorParallel, int index,
                                             int members) {
  std::lock_guard<std::mutex> lock(groupsMutex);
  std::unique_ptr<Group> &g = groups[{tensorParallel, index}];
  if (!g) {
    g = std::make_unique<Group>();
    g->posted.assign(static_cast<size_t>(members), nullptr);
  }
  return *g;
}

} // namespace dsv2::runtime
