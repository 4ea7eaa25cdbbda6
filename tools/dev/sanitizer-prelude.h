/*===- sanitizer-prelude.h - ASan next to an uninstrumented LLVM ----------===*
 *
 * Force-included (-include) into every file of the ASan builds
 * (DSV2_ENABLE_SANITIZERS, DSV2_BUILD_FUZZERS). LLVM's inline allocators
 * (BumpPtrAllocator, Recycler) poison and unpoison their slabs when the file
 * including them is built with ASan; Debian's LLVM/MLIR libraries are not,
 * and their copies of the same code never unpoison, so the first MLIR
 * context reports a false use-after-poison. Turning the annotations into
 * no-ops keeps both sides consistent; ASan still checks every malloc'd
 * object of our code.
 *
 *===----------------------------------------------------------------------===*/

#ifndef DSV2_SANITIZER_PRELUDE_H
#define DSV2_SANITIZER_PRELUDE_H

#include <sanitizer/asan_interface.h>

#define __asan_poison_memory_region(addr, size) ((void)(addr), (void)(size))
#define __asan_unpoison_memory_region(addr, size) ((void)(addr), (void)(size))

#endif /* DSV2_SANITIZER_PRELUDE_H */
