//===- FakeLibnccl.cpp - A stand-in libnccl.so.2 for tests without GPUs ---===//
//
// Loaded through DSV2_LIBNCCL, beside the fake driver (FakeLibcuda.cpp,
// whose device memory is host memory). Its all-reduce and all-gather really
// exchange data between the ranks, whether they are threads of one process
// (unit tests) or processes of an mpirun job (dsv2-run tests): a unique id
// names a directory, and collective number k of a communicator is a
// rendezvous of files there: each rank writes `k.RANK` with its send
// buffer, waits for every member's file and reads them all (sums in rank
// order, so every rank gets the same bits). A rank deletes its file of
// collective k - 1 once collective k is complete (everyone has read it by
// then); the last member to destroy the communicator removes the directory.
//
// $DSV2_FAKE_NCCL=stuck: collectives return at once and leave the stream
// stuck (fakeCudaSetStreamStuck), as when a peer died: the executor's
// deadline must end the wait. ncclCommAbort releases the stream.
// Directories go under $DSV2_FAKE_NCCL_DIR, else $TMPDIR, else /tmp.
//
//===----------------------------------------------------------------------===//

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <dlfcn.h>
#include <fstream>
#include <sstream>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

using ncclResult_t = int;
constexpr ncclResult_t kSuccess = 0, kSystemError = 2, kInvalidArgument = 4,
                       kInvalidUsage = 5;

struct ncclUniqueId {
  char internal[128];
};

struct FakeComm {
  std::string directory;
  int ranks = 0, rank = 0;
  int64_t collectives = 0;
  /// Streams this communicator left stuck ("stuck" mode).
  std::vector<void *> stuckStreams;
};

bool stuckMode() {
  const char *mode = std::getenv("DSV2_FAKE_NCCL");
  return mode && std::strcmp(mode, "stuck") == 0;
}

std::string baseDirectory() {
  for (const char *name : {"DSV2_FAKE_NCCL_DIR", "TMPDIR"})
    if (const char *value = std::getenv(name); value && *value)
      return value;
  return "/tmp";
}

/// The fake driver's hook, from the copy of it this process loaded.
void setStreamStuck(void *stream, int stuck) {
  const char *path = std::getenv("DSV2_LIBCUDA");
  void *driver = path ? dlopen(path, RTLD_NOW | RTLD_NOLOAD) : nullptr;
  auto hook = driver ? reinterpret_cast<void (*)(void *, int)>(
                           dlsym(driver, "fakeCudaSetStreamStuck"))
                     : nullptr;
  if (hook)
    hook(stream, stuck);
}

std::string postPath(const FakeComm &comm, int64_t collective, int rank) {
  return comm.directory + "/" + std::to_string(collective) + "." +
         std::to_string(rank);
}

bool exists(const std::string &path) {
  struct stat info;
  return ::stat(path.c_str(), &info) == 0;
}

/// Posts `bytes` of `send` as this rank's part of the next collective and
/// returns every member's part, in rank order.
ncclResult_t exchange(FakeComm &comm, const void *send, size_t bytes,
                      std::vector<std::string> &parts) {
  const int64_t k = comm.collectives++;
  const std::string mine = postPath(comm, k, comm.rank);
  {
    std::ofstream out(mine + ".tmp", std::ios::binary);
    out.write(static_cast<const char *>(send),
              static_cast<std::streamsize>(bytes));
    if (!out)
      return kSystemError;
  }
  if (std::rename((mine + ".tmp").c_str(), mine.c_str()) != 0)
    return kSystemError;
  parts.assign(comm.ranks, "");
  // A bound, so a broken test fails instead of hanging its runner.
  const auto giveUp =
      std::chrono::steady_clock::now() + std::chrono::seconds(60);
  for (int r = 0; r < comm.ranks; ++r) {
    const std::string path = postPath(comm, k, r);
    while (!exists(path)) {
      if (std::chrono::steady_clock::now() > giveUp)
        return kSystemError;
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    std::ifstream in(path, std::ios::binary);
    std::ostringstream text;
    text << in.rdbuf();
    parts[r] = text.str();
    if (parts[r].size() != bytes)
      return kInvalidUsage; // The ranks disagree on the count.
  }
  if (k > 0)
    std::remove(postPath(comm, k - 1, comm.rank).c_str());
  return kSuccess;
}

} // namespace

extern "C" {

const char *ncclGetErrorString(ncclResult_t result) {
  switch (result) {
  case kSuccess:
    return "no error";
  case kSystemError:
    return "unhandled system error";
  case kInvalidArgument:
    return "invalid argument";
  case kInvalidUsage:
    return "invalid usage";
  default:
    return "unknown result code";
  }
}

ncclResult_t ncclGetVersion(int *version) {
  *version = 22800; // "2.28.0"
  return kSuccess;
}

ncclResult_t ncclGetUniqueId(ncclUniqueId *id) {
  static std::atomic<int> counter{0};
  std::memset(id->internal, 0, sizeof id->internal);
  auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  std::snprintf(id->internal, sizeof id->internal, "dsv2-fake-nccl-%d-%d-%lld",
                static_cast<int>(::getpid()), counter++,
                static_cast<long long>(now));
  return kSuccess;
}

ncclResult_t ncclCommInitRank(FakeComm **comm, int ranks, ncclUniqueId id,
                              int rank) {
  if (ranks < 1 || rank < 0 || rank >= ranks ||
      std::strncmp(id.internal, "dsv2-fake-nccl-", 15) != 0)
    return kInvalidArgument;
  auto *created = new FakeComm;
  created->directory = baseDirectory() + "/" + id.internal;
  created->ranks = ranks;
  created->rank = rank;
  if (::mkdir(created->directory.c_str(), 0700) != 0 && errno != EEXIST) {
    delete created;
    return kSystemError;
  }
  *comm = created;
  return kSuccess;
}

ncclResult_t ncclCommGetAsyncError(FakeComm *, ncclResult_t *error) {
  *error = kSuccess;
  return kSuccess;
}

ncclResult_t ncclCommAbort(FakeComm *comm) {
  for (void *stream : comm->stuckStreams)
    setStreamStuck(stream, 0);
  for (int64_t k = std::max<int64_t>(comm->collectives - 2, 0);
       k < comm->collectives; ++k)
    std::remove(postPath(*comm, k, comm->rank).c_str());
  ::rmdir(comm->directory.c_str()); // The last one out succeeds.
  delete comm;
  return kSuccess;
}

ncclResult_t ncclCommDestroy(FakeComm *comm) {
  // Mark this rank done; the last member to do so removes the directory
  // (everyone has read every file by then).
  std::string done = comm->directory + "/done." + std::to_string(comm->rank);
  std::ofstream(done).put('\n');
  bool last = true;
  for (int r = 0; r < comm->ranks; ++r)
    last = last && exists(comm->directory + "/done." + std::to_string(r));
  if (last) {
    if (DIR *directory = ::opendir(comm->directory.c_str())) {
      while (dirent *entry = ::readdir(directory))
        if (entry->d_name[0] != '.')
          std::remove((comm->directory + "/" + entry->d_name).c_str());
      ::closedir(directory);
    }
    ::rmdir(comm->directory.c_str());
  }
  delete comm;
  return kSuccess;
}

ncclResult_t ncclAllReduce(const void *send, void *recv, size_t count,
                           int dataType, int op, FakeComm *comm, void *stream) {
  if (dataType != 7 || op != 0 || !stream) // ncclFloat32, ncclSum
    return kInvalidArgument;
  if (stuckMode()) {
    comm->stuckStreams.push_back(stream);
    setStreamStuck(stream, 1);
    return kSuccess;
  }
  std::vector<std::string> parts;
  if (ncclResult_t r = exchange(*comm, send, count * sizeof(float), parts))
    return r;
  auto *sum = static_cast<float *>(recv);
  for (size_t i = 0; i < count; ++i) {
    float total = 0;
    for (const std::string &part : parts)
      total += reinterpret_cast<const float *>(part.data())[i];
    sum[i] = total;
  }
  return kSuccess;
}

ncclResult_t ncclAllGather(const void *send, void *recv, size_t count,
                           int dataType, FakeComm *comm, void *stream) {
  if (dataType != 7 || !stream)
    return kInvalidArgument;
  if (stuckMode()) {
    comm->stuckStreams.push_back(stream);
    setStreamStuck(stream, 1);
    return kSuccess;
  }
  std::vector<std::string> parts;
  const size_t bytes = count * sizeof(float);
  if (ncclResult_t r = exchange(*comm, send, bytes, parts))
    return r;
  for (size_t r = 0; r < parts.size(); ++r)
    std::memcpy(static_cast<char *>(recv) + r * bytes, parts[r].data(), bytes);
  return kSuccess;
}

} // extern "C"
