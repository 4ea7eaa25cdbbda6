/*===- CollectivesPluginAbi.h - The C table a collectives plugin exports -===*\
|*                                                                          *|
|* A backend that needs a library the runtime must not link (MPI) is a     *|
|* shared-library plugin exporting one function,                            *|
|* dsv2_collectives_plugin(), which returns this table. Plain C and fixed   *|
|* width types, so the plugin and dsv2-run need not share a C++ runtime.    *|
|* A change of any field bumps DSV2_COLLECTIVES_ABI_VERSION; the loader     *|
|* refuses other versions.                                                  *|
|*                                                                          *|
|* Every function returns 0 on success, or one of the codes below with a   *|
|* one-line message in `error` (NUL-terminated, at most `errorBytes`).      *|
|* Every collective gives up after `timeoutSeconds`.                        *|
|*                                                                          *|
\*===----------------------------------------------------------------------===*/

#ifndef RUNTIME_COLLECTIVES_COLLECTIVESPLUGINABI_H
#define RUNTIME_COLLECTIVES_COLLECTIVESPLUGINABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DSV2_COLLECTIVES_ABI_VERSION 1u
#define DSV2_COLLECTIVES_PLUGIN_SYMBOL "dsv2_collectives_plugin"

enum Dsv2CollectivesResult {
  DSV2_COLLECTIVES_OK = 0,
  DSV2_COLLECTIVES_FAILED = 1,
  DSV2_COLLECTIVES_TIMED_OUT = 2,
};

/* Which ranks: 0 = the Tensor group (same rank / tp), 1 = the world. */
enum Dsv2CollectivesGroup {
  DSV2_COLLECTIVES_TENSOR = 0,
  DSV2_COLLECTIVES_WORLD = 1,
};

typedef struct Dsv2CollectivesPlugin {
  uint32_t abiVersion; /* DSV2_COLLECTIVES_ABI_VERSION */
  uint32_t tableBytes; /* sizeof(Dsv2CollectivesPlugin) */
  /* "MPI: Open MPI v4.1.4, ..." */
  const char *(*describe)(void);
  /* Joins the job (MPI_Init); this process's rank and the world size. */
  int (*initialize)(int32_t *rank, int32_t *worldSize, char *error,
                    size_t errorBytes);
  /* Forms the Tensor groups of tp ranks each (collective over the world). */
  int (*formTensorGroups)(int32_t tensorParallel, char *error,
                          size_t errorBytes);
  /* In place, f32 sum over the group. */
  int (*allReduceSumF32)(float *data, int64_t count, int32_t group,
                         double timeoutSeconds, char *error,
                         size_t errorBytes);
  /* dst = every member's bytesPerRank bytes of src, in group order. */
  int (*allGather)(const void *src, void *dst, int64_t bytesPerRank,
                   int32_t group, double timeoutSeconds, char *error,
                   size_t errorBytes);
  /* World rank 0's int32 values to every rank. */
  int (*broadcastI32)(int32_t *data, int64_t count, double timeoutSeconds,
                      char *error, size_t errorBytes);
  /* Ends every rank of the job (MPI_Abort); does not return. */
  void (*abortAll)(int32_t code);
  /* Leaves the job (MPI_Finalize). */
  void (*finalize)(void);
} Dsv2CollectivesPlugin;

typedef const Dsv2CollectivesPlugin *(*Dsv2CollectivesPluginEntry)(void);

#ifdef __cplusplus
}
#endif

#endif /* RUNTIME_COLLECTIVES_COLLECTIVESPLUGINABI_H */
