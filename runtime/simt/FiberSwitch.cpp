//===- FiberSwitch.cpp - Cheap stack switches for emulated GPU threads ----===//

#include "runtime/simt/FiberSwitch.h"

#include <cstdint>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
// dsv2_simt_fiber_switch(void **saveSp, void *loadSp): pushes the
// callee-saved registers and MXCSR / x87 control word, stores rsp in
// *saveSp, switches to loadSp and pops the same from there. Everything else
// is caller-saved in the SysV ABI, so the compiler has already spilled it.
// ldmxcsr and fldcw cost more than a compare, and the control words almost
// never differ between fibers, so they are loaded only when the resumed
// side's differ from the current ones.
//
// dsv2_simt_fiber_jump(void *loadSp) is its second half alone, for a fiber
// that is done: it saves nothing, and (unlike a switch through a local slot)
// leaves no AddressSanitizer-poisoned frame behind on the abandoned stack,
// which the next fiber on that stack would trip over.
//
// A new fiber's stack is laid out by fiberPrepare as if it had been
// suspended here: the `ret` lands on dsv2_simt_fiber_trampoline with the
// entry function in r13, which it calls on a 16-byte aligned stack.
asm(R"(
  .text
  .p2align 4
  .globl dsv2_simt_fiber_switch
  .hidden dsv2_simt_fiber_switch
  .type dsv2_simt_fiber_switch, @function
dsv2_simt_fiber_switch:
  .cfi_startproc
  endbr64
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  subq $8, %rsp
  stmxcsr (%rsp)
  fnstcw 4(%rsp)
  movl (%rsp), %eax
  movzwl 4(%rsp), %ecx
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  cmpl (%rsp), %eax
  jne 1f
  cmpw 4(%rsp), %cx
  jne 1f
2:
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
1:
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  jmp 2b
  .cfi_endproc
  .size dsv2_simt_fiber_switch, .-dsv2_simt_fiber_switch

  .p2align 4
  .globl dsv2_simt_fiber_jump
  .hidden dsv2_simt_fiber_jump
  .type dsv2_simt_fiber_jump, @function
dsv2_simt_fiber_jump:
  .cfi_startproc
  endbr64
  movq %rdi, %rsp
  ldmxcsr (%rsp)
  fldcw 4(%rsp)
  addq $8, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .cfi_endproc
  .size dsv2_simt_fiber_jump, .-dsv2_simt_fiber_jump

  .p2align 4
  .globl dsv2_simt_fiber_trampoline
  .hidden dsv2_simt_fiber_trampoline
  .type dsv2_simt_fiber_trampoline, @function
dsv2_simt_fiber_trampoline:
  .cfi_startproc
  .cfi_undefined rip
  endbr64
  callq *%r13
  ud2
  .cfi_endproc
  .size dsv2_simt_fiber_trampoline, .-dsv2_simt_fiber_trampoline
)");

extern "C" void dsv2_simt_fiber_switch(void **saveSp, void *loadSp);
extern "C" [[noreturn]] void dsv2_simt_fiber_jump(void *loadSp);
extern "C" void dsv2_simt_fiber_trampoline();
#endif

namespace dsv2::runtime::simt {
namespace {

#if defined(__x86_64__)
/// Whether the process runs with a CET shadow stack: `rdsspq` (a NOP when
/// shadow stacks are off) then yields a non-zero pointer. The fast switch
/// does not switch shadow stacks, so its `ret` would fault there.
bool shadowStackActive() {
  uint64_t ssp = 0;
  // rdsspq %rax, encoded by hand for assemblers that lack CET.
  asm volatile(".byte 0xf3, 0x48, 0x0f, 0x1e, 0xc8" : "+a"(ssp));
  return ssp != 0;
}

bool chooseFastSwitch() {
  const char *forced = std::getenv("DSV2_SIMT_UCONTEXT");
  if (forced && std::strcmp(forced, "1") == 0)
    return false;
  return !shadowStackActive();
}

const bool fastSwitch = chooseFastSwitch();
#else
constexpr bool fastSwitch = false;
#endif

} // namespace

bool fiberSwitchIsFast() { return fastSwitch; }

void fiberPrepare(FiberContext &context, void *bottom, size_t bytes,
                  void (*entry)()) {
#if defined(__x86_64__)
  if (fastSwitch) {
    // From the 16-byte aligned top down: 16 bytes of slack (the trampoline
    // calls with rsp there, aligned as the ABI wants), the return address
    // (the trampoline), rbp, rbx, r12, r13 (entry), r14, r15, then MXCSR and
    // the x87 control word, copied from the scheduler's.
    uintptr_t top =
        (reinterpret_cast<uintptr_t>(bottom) + bytes) & ~uintptr_t(15);
    auto *frame = reinterpret_cast<uint64_t *>(top - 80);
    uint32_t mxcsr;
    uint16_t fpuControl;
    asm volatile("stmxcsr %0" : "=m"(mxcsr));
    asm volatile("fnstcw %0" : "=m"(fpuControl));
    uint64_t controls = mxcsr | uint64_t(fpuControl) << 32;
    frame[0] = controls;
    frame[1] = 0;                                 // r15
    frame[2] = 0;                                 // r14
    frame[3] = reinterpret_cast<uint64_t>(entry); // r13
    frame[4] = 0;                                 // r12
    frame[5] = 0;                                 // rbx
    frame[6] = 0; // rbp: ends frame-pointer walks here
    frame[7] = reinterpret_cast<uint64_t>(&dsv2_simt_fiber_trampoline);
    frame[8] = 0;
    frame[9] = 0;
    context.sp = frame;
    return;
  }
#endif
  getcontext(&context.uc);
  context.uc.uc_stack.ss_sp = bottom;
  context.uc.uc_stack.ss_size = bytes;
  context.uc.uc_link = nullptr; // entry never returns
  makecontext(&context.uc, entry, 0);
}

void fiberSwitch(FiberContext &from, FiberContext &to) {
#if defined(__x86_64__)
  if (fastSwitch) {
    dsv2_simt_fiber_switch(&from.sp, to.sp);
    return;
  }
#endif
  swapcontext(&from.uc, &to.uc);
}

void fiberExit(FiberContext &to) {
#if defined(__x86_64__)
  if (fastSwitch)
    dsv2_simt_fiber_jump(to.sp);
#endif
  setcontext(&to.uc);
  std::abort(); // nothing switches back to an exited fiber
}

} // namespace dsv2::runtime::simt
