//===- FiberStacks.cpp - Guarded stacks for emulated GPU threads ----------===//

#include "runtime/simt/FiberStacks.h"

#include <sys/mman.h>
#include <unistd.h>

namespace dsv2::runtime::simt {

static size_t pageBytes() {
  static const size_t bytes = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  return bytes;
}

FiberStacks::~FiberStacks() {
  for (void *stack : stacks)
    munmap(static_cast<char *>(stack) - pageBytes(),
           kFiberStackBytes + pageBytes());
}

bool FiberStacks::reserve(int count) {
  while (static_cast<int>(stacks.size()) < count) {
    // One mapping per stack, its lowest page made inaccessible: stacks grow
    // down, so that page is where an overflow lands first. The memory is
    // committed only as a thread's frames touch it.
    size_t total = kFiberStackBytes + pageBytes();
    void *base = mmap(nullptr, total, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (base == MAP_FAILED)
      return false;
    if (mprotect(base, pageBytes(), PROT_NONE) != 0) {
      munmap(base, total);
      return false;
    }
    stacks.push_back(static_cast<char *>(base) + pageBytes());
  }
  return true;
}

} // namespace dsv2::runtime::simt
