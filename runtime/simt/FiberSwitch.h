//===- FiberSwitch.h - Cheap stack switches for GPU threads --*- C++ -*-===//
//
// The emulator switches between the scheduler and its fibers at every
// bar.sync and mma. glibc's swapcontext makes a sigprocmask system call per
// switch (and getcontext another per fiber start), which dominated the
// emulated kernel tests. On x86-64 a switch is instead a few instructions
// (FiberSwitch.cpp): it saves the callee-saved registers, MXCSR and the x87
// control word on the old stack, stores the stack pointer, loads the new one
// and restores the same from there. The signal mask is never touched: the
// emulator does not change it between fibers.
//
// ucontext stays the implementation on other architectures and, on x86-64,
// when the CPU's shadow stack is active for the process (a plain `ret` onto
// another stack would then fault) or when DSV2_SIMT_UCONTEXT=1 is set (to
// test the fallback).
//
//===----------------------------------------------------------------------===//

#ifndef RUNTIME_SIMT_FIBERSWITCH_H
#define RUNTIME_SIMT_FIBERSWITCH_H

#include <cstddef>
#include <ucontext.h>

namespace dsv2::runtime::simt {

/// Where a suspended execution (the scheduler or a fiber) resumes.
struct FiberContext {
#if defined(__x86_64__)
  /// The saved stack pointer (the fast switch).
  void *sp = nullptr;
#endif
  /// The fallback's saved context.
  ucontext_t uc;
};

/// Makes `context` start `entry` on the stack [bottom, bottom + bytes) when
/// first switched to. `entry` must never return: it leaves with fiberExit.
void fiberPrepare(FiberContext &context, void *bottom, size_t bytes,
                  void (*entry)());

/// Saves the running execution in `from` and resumes `to`; returns when
/// something switches back to `from`.
void fiberSwitch(FiberContext &from, FiberContext &to);

/// Resumes `to` and abandons the running execution (a finished fiber).
[[noreturn]] void fiberExit(FiberContext &to);

/// Whether the fast (non-ucontext) switch is in use in this process.
bool fiberSwitchIsFast();

} // namespace dsv2::runtime::simt

#endif // RUNTIME_SIMT_FIBERSWITCH_H
