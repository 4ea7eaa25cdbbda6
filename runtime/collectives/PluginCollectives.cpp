//===- PluginCollectives.cpp - A Collectives backend from a plugin --------===//

#include "runtime/collectives/PluginCollectives.h"

#include "runtime/collectives/CollectivesPluginAbi.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

#include <cstdlib>
#include <dlfcn.h>
#include <limits.h>
#include <unistd.h>

namespace dsv2::runtime {
namespace {

constexpr size_t kErrorBytes = 512;

class PluginCollectives : public Collectives {
public:
  PluginCollectives(const Dsv2CollectivesPlugin *plugin, int rank, int world,
                    double timeoutSeconds)
      : plugin(plugin), myRank(rank), world(world), timeout(timeoutSeconds) {}
  ~PluginCollectives() override { plugin->finalize(); }

  int rank() const override { return myRank; }
  int worldSize() const override { return world; }
  std::string describe() const override { return plugin->describe(); }

  absl::Status formTensorGroups(int tensorParallel) override {
    if (absl::Status status = setTensorParallel(tensorParallel); !status.ok())
      return status;
    char error[kErrorBytes] = "";
    return result(plugin->formTensorGroups(tensorParallel, error, sizeof error),
                  error, "forming the tensor groups", CollectiveGroup::World);
  }

  absl::Status allReduceSum(float *data, int64_t count,
                            CollectiveGroup group) override {
    char error[kErrorBytes] = "";
    return result(plugin->allReduceSumF32(data, count, abiGroup(group), timeout,
                                          error, sizeof error),
                  error, "all_reduce", group);
  }

  absl::Status allGather(const void *src, void *dst, int64_t bytesPerRank,
                         CollectiveGroup group) override {
    char error[kErrorBytes] = "";
    return result(plugin->allGather(src, dst, bytesPerRank, abiGroup(group),
                                    timeout, error, sizeof error),
                  error, "all_gather", group);
  }

  absl::Status broadcast(int32_t *data, int64_t count) override {
    char error[kErrorBytes] = "";
    return result(plugin->broadcastI32(data, count, timeout, error, sizeof error),
                  error, "broadcast", CollectiveGroup::World);
  }

  [[noreturn]] void abortAll(int code) override {
    plugin->abortAll(code);
    std::_Exit(code);
  }

private:
  static int32_t abiGroup(CollectiveGroup group) {
    return group == CollectiveGroup::World ? DSV2_COLLECTIVES_WORLD
                                           : DSV2_COLLECTIVES_TENSOR;
  }

  absl::Status result(int code, const char *error, const char *what,
                      CollectiveGroup group) const {
    switch (code) {
    case DSV2_COLLECTIVES_OK:
      return absl::OkStatus();
    case DSV2_COLLECTIVES_TIMED_OUT:
      return absl::DeadlineExceededError(
          collectiveTimeoutMessage(what, group, timeout));
    default:
      return absl::InternalError(absl::StrCat(what, ": ", error));
    }
  }

  const Dsv2CollectivesPlugin *plugin;
  int myRank, world;
  double timeout;
};

std::string executableDirectory() {
  char path[PATH_MAX];
  ssize_t length = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (length <= 0)
    return "";
  std::string text(path, static_cast<size_t>(length));
  size_t slash = text.rfind('/');
  return slash == std::string::npos ? "" : text.substr(0, slash);
}

} // namespace

std::vector<std::string> mpiCollectivesPluginCandidates() {
  if (const char *path = std::getenv(kMpiCollectivesPluginVariable);
      path && *path)
    return {path};
  std::string directory = executableDirectory();
  return {absl::StrCat(directory, "/", kMpiCollectivesPluginName),
          absl::StrCat(directory, "/../lib/", kMpiCollectivesPluginName)};
}

absl::StatusOr<std::unique_ptr<Collectives>>
openMpiCollectives(double timeoutSeconds) {
  std::vector<std::string> candidates = mpiCollectivesPluginCandidates();
  void *handle = nullptr;
  std::string tried, chosen;
  for (const std::string &candidate : candidates) {
    if (::access(candidate.c_str(), F_OK) != 0)
      continue;
    // RTLD_GLOBAL: Open MPI loads its own components later, and they
    // resolve symbols of libmpi.
    handle = ::dlopen(candidate.c_str(), RTLD_NOW | RTLD_GLOBAL);
    if (!handle)
      return absl::FailedPreconditionError(absl::StrCat(
          "cannot load the MPI collectives plugin ", candidate, ": ",
          ::dlerror(), " (is Open MPI installed? Debian: apt-get install "
          "openmpi-bin libopenmpi3)"));
    chosen = candidate;
    break;
  }
  if (!handle)
    return absl::NotFoundError(absl::StrCat(
        "the MPI collectives plugin is not installed (looked for ",
        absl::StrJoin(candidates, ", "), "; set ",
        kMpiCollectivesPluginVariable, " to its path)"));
  auto entry = reinterpret_cast<Dsv2CollectivesPluginEntry>(
      ::dlsym(handle, DSV2_COLLECTIVES_PLUGIN_SYMBOL));
  const Dsv2CollectivesPlugin *plugin = entry ? entry() : nullptr;
  if (!plugin || plugin->abiVersion != DSV2_COLLECTIVES_ABI_VERSION ||
      plugin->tableBytes != sizeof(Dsv2CollectivesPlugin))
    return absl::FailedPreconditionError(absl::StrCat(
        chosen, " is not a collectives plugin of ABI version ",
        DSV2_COLLECTIVES_ABI_VERSION, " (rebuild it with this dsv2-run)"));
  int32_t rank = 0, world = 0;
  char error[kErrorBytes] = "";
  if (plugin->initialize(&rank, &world, error, sizeof error) !=
      DSV2_COLLECTIVES_OK)
    return absl::InternalError(absl::StrCat("cannot join the MPI job: ", error));
  return std::unique_ptr<Collectives>(
      new PluginCollectives(plugin, rank, world, timeoutSeconds));
}

bool startedByMpiLauncher() {
  for (const char *name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK",
                           "PMI_SIZE", "MPI_LOCALNRANKS"})
    if (std::getenv(name))
      return true;
  return false;
}

int localRanksFromLauncher() {
  for (const char *name : {"OMPI_COMM_WORLD_LOCAL_SIZE", "MPI_LOCALNRANKS",
                           "MV2_COMM_WORLD_LOCAL_SIZE"}) {
    int value = 0;
    if (const char *text = std::getenv(name);
        text && absl::SimpleAtoi(text, &value) && value > 0)
      return value;
  }
  return 0;
}

} // namespace dsv2::runtime
