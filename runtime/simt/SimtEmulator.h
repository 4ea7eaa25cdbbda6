//===- SimtEmulator.h - GPU kernels run on the host ---------*- C++ -*-===//
//
// The table an emulated kernel library (SimtEmuAbi.h) calls instead of NVVM
// intrinsics. Each GPU thread of a block is a fiber on the calling OS thread;
// see docs/simt-emulator.md for what is modelled and what traps.
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SIMT_SIMTEMULATOR_H
#define RUNTIME_SIMT_SIMTEMULATOR_H

#include "runtime/simt/SimtEmuAbi.h"

namespace dsv2::runtime {

/// The emulator's function table, for `__dsv2_emu_bind`. Every entry may be
/// called from several OS threads at once: each emulates its own blocks.
const Dsv2SimtEmuApi *simtEmulatorApi();

} // namespace dsv2::runtime

#endif // RUNTIME_SIMT_SIMTEMULATOR_H
