/*===- MpiCollectivesPlugin.c - Collectives over MPI, as a plugin --------===*\
|*                                                                          *|
|* libdsv2-collectives-mpi.so: the MPI backend of runtime/collectives,     *|
|* loaded by dsv2-run only for multi-rank engines, so dsv2-run itself never *|
|* links libmpi. Plain C: it exports CollectivesPluginAbi.h's table.         *|
|*                                                                          *|
|* Every collective is non-blocking (MPI_Iallreduce, MPI_Iallgather,        *|
|* MPI_Ibcast) and polled with MPI_Test until it completes or its deadline  *|
|* passes, so a dead rank or ranks running different engines end in an     *|
|* error rather than a hang. Between polls the rank yields, then sleeps:    *|
|* ranks often share cores, and a spinning rank would slow the one it       *|
|* waits for.                                                               *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#include "runtime/collectives/CollectivesPluginAbi.h"

#include <mpi.h>

#include <limits.h>
#include <stdlib.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static MPI_Comm tensorComm = MPI_COMM_NULL;

static double secondsNow(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

static int mpiFailed(int code, const char *what, char *error, size_t errorBytes) {
  char text[MPI_MAX_ERROR_STRING];
  int length = 0;
  if (MPI_Error_string(code, text, &length) != MPI_SUCCESS)
    snprintf(text, sizeof text, "error %d", code);
  snprintf(error, errorBytes, "%s failed: %s", what, text);
  return DSV2_COLLECTIVES_FAILED;
}

static MPI_Comm communicator(int32_t group) {
  return group == DSV2_COLLECTIVES_WORLD ? MPI_COMM_WORLD : tensorComm;
}

/* Polls `request` until it completes or `timeoutSeconds` pass. */
static int waitFor(MPI_Request *request, const char *what,
                   double timeoutSeconds, char *error, size_t errorBytes) {
  const double deadline = secondsNow() + timeoutSeconds;
  unsigned polls = 0;
  for (;;) {
    int done = 0;
    int code = MPI_Test(request, &done, MPI_STATUS_IGNORE);
    if (code != MPI_SUCCESS)
      return mpiFailed(code, what, error, errorBytes);
    if (done)
      return DSV2_COLLECTIVES_OK;
    if (secondsNow() > deadline) {
      snprintf(error, errorBytes, "%s timed out after %g s", what,
               timeoutSeconds);
      return DSV2_COLLECTIVES_TIMED_OUT;
    }
    /* Fast collectives finish within the first polls; after that, leave
       the core to the ranks being waited for. */
    if (++polls < 64) {
      sched_yield();
    } else {
      struct timespec pause = {0, polls < 1024 ? 20000 : 200000};
      nanosleep(&pause, NULL);
    }
  }
}

static const char *describe(void) {
  static char text[MPI_MAX_LIBRARY_VERSION_STRING + 8];
  char version[MPI_MAX_LIBRARY_VERSION_STRING];
  int length = 0;
  if (MPI_Get_library_version(version, &length) != MPI_SUCCESS)
    return "MPI";
  version[strcspn(version, "\n,")] = '\0';
  snprintf(text, sizeof text, "MPI (%s)", version);
  return text;
}

static int initialize(int32_t *rank, int32_t *worldSize, char *error,
                      size_t errorBytes) {
  int initialized = 0, provided = 0, code;
  MPI_Initialized(&initialized);
  /* Only the thread that runs the steps calls MPI. */
  if (!initialized &&
      (code = MPI_Init_thread(NULL, NULL, MPI_THREAD_FUNNELED, &provided)) !=
          MPI_SUCCESS)
    return mpiFailed(code, "MPI_Init", error, errorBytes);
  /* Errors come back as codes, so they are reported in our words. */
  MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
  int r = 0, size = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  *rank = r;
  *worldSize = size;
  return DSV2_COLLECTIVES_OK;
}

static int formTensorGroups(int32_t tensorParallel, char *error,
                            size_t errorBytes) {
  int rank = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  if (tensorComm != MPI_COMM_NULL)
    MPI_Comm_free(&tensorComm);
  /* Color: the expert group; key: the tensor rank, which orders the group. */
  int code = MPI_Comm_split(MPI_COMM_WORLD, rank / tensorParallel,
                            rank % tensorParallel, &tensorComm);
  if (code != MPI_SUCCESS)
    return mpiFailed(code, "MPI_Comm_split", error, errorBytes);
  MPI_Comm_set_errhandler(tensorComm, MPI_ERRORS_RETURN);
  return DSV2_COLLECTIVES_OK;
}

static int allReduceSumF32(float *data, int64_t count, int32_t group,
                           double timeoutSeconds, char *error,
                           size_t errorBytes) {
  MPI_Comm comm = communicator(group);
  if (comm == MPI_COMM_NULL) {
    snprintf(error, errorBytes, "all_reduce before the tensor groups exist");
    return DSV2_COLLECTIVES_FAILED;
  }
  /* MPI counts are int: large buffers go in pieces. */
  while (count > 0) {
    int piece = count > INT_MAX / 2 ? INT_MAX / 2 : (int)count;
    MPI_Request request;
    int code = MPI_Iallreduce(MPI_IN_PLACE, data, piece, MPI_FLOAT, MPI_SUM,
                              comm, &request);
    if (code != MPI_SUCCESS)
      return mpiFailed(code, "MPI_Iallreduce", error, errorBytes);
    int result = waitFor(&request, "all_reduce", timeoutSeconds, error,
                         errorBytes);
    if (result != DSV2_COLLECTIVES_OK)
      return result;
    data += piece;
    count -= piece;
  }
  return DSV2_COLLECTIVES_OK;
}

static int allGather(const void *src, void *dst, int64_t bytesPerRank,
                     int32_t group, double timeoutSeconds, char *error,
                     size_t errorBytes) {
  MPI_Comm comm = communicator(group);
  if (comm == MPI_COMM_NULL) {
    snprintf(error, errorBytes, "all_gather before the tensor groups exist");
    return DSV2_COLLECTIVES_FAILED;
  }
  /* Whole floats when the bytes are too many for an int count. */
  MPI_Datatype type = MPI_BYTE;
  int64_t count = bytesPerRank;
  if (count > INT_MAX && count % 4 == 0) {
    type = MPI_FLOAT;
    count /= 4;
  }
  if (count > INT_MAX) {
    snprintf(error, errorBytes, "all_gather of %lld bytes per rank is too large",
             (long long)bytesPerRank);
    return DSV2_COLLECTIVES_FAILED;
  }
  MPI_Request request;
  int code = MPI_Iallgather(src, (int)count, type, dst, (int)count, type, comm,
                            &request);
  if (code != MPI_SUCCESS)
    return mpiFailed(code, "MPI_Iallgather", error, errorBytes);
  return waitFor(&request, "all_gather", timeoutSeconds, error, errorBytes);
}

static int broadcastI32(int32_t *data, int64_t count, double timeoutSeconds,
                        char *error, size_t errorBytes) {
  if (count > INT_MAX) {
    snprintf(error, errorBytes, "broadcast of %lld values is too large",
             (long long)count);
    return DSV2_COLLECTIVES_FAILED;
  }
  MPI_Request request;
  int code = MPI_Ibcast(data, (int)count, MPI_INT32_T, 0, MPI_COMM_WORLD,
                        &request);
  if (code != MPI_SUCCESS)
    return mpiFailed(code, "MPI_Ibcast", error, errorBytes);
  return waitFor(&request, "broadcast", timeoutSeconds, error, errorBytes);
}

static void abortAll(int32_t code) {
  MPI_Abort(MPI_COMM_WORLD, code);
  _Exit(code); /* not reached */
}

static void finalize(void) {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized)
    return;
  if (tensorComm != MPI_COMM_NULL)
    MPI_Comm_free(&tensorComm);
  MPI_Finalize();
}

static const Dsv2CollectivesPlugin plugin = {
    DSV2_COLLECTIVES_ABI_VERSION,
    sizeof(Dsv2CollectivesPlugin),
    describe,
    initialize,
    formTensorGroups,
    allReduceSumF32,
    allGather,
    broadcastI32,
    abortAll,
    finalize,
};

__attribute__((visibility("default"))) const Dsv2CollectivesPlugin *
dsv2_collectives_plugin(void) {
  return &plugin;
}
