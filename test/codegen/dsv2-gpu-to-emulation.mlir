// dsv2-gpu-to-emulation: NVVM-level kernels become host code that calls the
// SIMT emulator's function table (runtime/simt/SimtEmuAbi.h).
// RUN: dsv2-opt %s --split-input-file --dsv2-gpu-to-emulation --verify-diagnostics | FileCheck %s

// Special registers and bar.sync become calls through the table; every load
// and store wider than a byte first checks its address against the
// alignment a GPU needs (the stated alignment, else the type's size), with a
// message naming the kernel; byte accesses need no check. The kernel gets
// `_thread` and `_grid` entries and loses its NVVM attributes.
// CHECK-DAG: llvm.mlir.global internal constant @__dsv2_emu_message_{{[0-9]+}}("kernel k: misaligned 8-byte load (a GPU faults: misaligned address)\00")
// CHECK-DAG: llvm.mlir.global internal constant @__dsv2_emu_message_{{[0-9]+}}("kernel k: misaligned 4-byte store (a GPU faults: misaligned address)\00")
// CHECK-LABEL: llvm.func @k(
// CHECK-NOT: nvvm.
// CHECK: llvm.call %{{.*}}() : !llvm.ptr, () -> i32
// CHECK: llvm.call @__dsv2_emu_check_alignment(%{{.*}}, %{{.*}}, %{{.*}}) : (!llvm.ptr, i64, !llvm.ptr) -> ()
// CHECK-NEXT: llvm.load %{{.*}} {alignment = 8 : i64} : !llvm.ptr -> i64
// CHECK-NOT: @__dsv2_emu_check_alignment
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> i8
// CHECK: llvm.call %{{.*}}() : !llvm.ptr, () -> ()
// CHECK: llvm.call @__dsv2_emu_check_alignment
// CHECK-NEXT: llvm.store %{{.*}}, %{{.*}} : f32, !llvm.ptr
// CHECK: llvm.func @k_thread(
// CHECK: llvm.func @k_grid(
// CHECK: llvm.func internal @__dsv2_emu_check_alignment(%[[A:.*]]: !llvm.ptr, %[[M:.*]]: i64, %[[T:.*]]: !llvm.ptr)
// CHECK: %[[I:.*]] = llvm.ptrtoint %[[A]] : !llvm.ptr to i64
// CHECK: %[[LOW:.*]] = llvm.and %[[I]], %[[M]] : i64
// CHECK: llvm.icmp "ne" %[[LOW]]
// CHECK: llvm.call %{{.*}}(%[[T]]) : !llvm.ptr, (!llvm.ptr) -> ()
llvm.func @k(%p: !llvm.ptr, %q: !llvm.ptr) attributes {dsv2.threads = 32 : i64, dsv2.shared_bytes = 0 : i64, nvvm.kernel, nvvm.reqntid = array<i32: 32, 1, 1>} {
  %tid = nvvm.read.ptx.sreg.tid.x : i32
  %wide = llvm.getelementptr %p[%tid] : (!llvm.ptr, i32) -> !llvm.ptr, i64
  %v = llvm.load %wide {alignment = 8 : i64} : !llvm.ptr -> i64
  %byte = llvm.load %q : !llvm.ptr -> i8
  nvvm.barrier0
  %f = llvm.sitofp %v : i64 to f32
  %out = llvm.getelementptr %q[%tid] : (!llvm.ptr, i32) -> !llvm.ptr, f32
  llvm.store %f, %out : f32, !llvm.ptr
  llvm.return
}

// -----

// A whole-warp butterfly shuffle becomes the table's shuffleXor (slot 9,
// byte 80), f32 through its bits.
// CHECK-LABEL: llvm.func @butterfly(
// CHECK: %[[BITS:.*]] = llvm.bitcast %{{.*}} : f32 to i32
// CHECK: llvm.getelementptr %{{.*}}[80] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK: %[[GOT:.*]] = llvm.call %{{.*}}(%[[BITS]], %{{.*}}) : !llvm.ptr, (i32, i32) -> i32
// CHECK: llvm.bitcast %[[GOT]] : i32 to f32
llvm.func @butterfly(%x: f32) attributes {dsv2.threads = 32 : i64, dsv2.shared_bytes = 0 : i64, nvvm.kernel} {
  %mask = llvm.mlir.constant(-1 : i32) : i32
  %one = llvm.mlir.constant(1 : i32) : i32
  %c31 = llvm.mlir.constant(31 : i32) : i32
  %y = nvvm.shfl.sync bfly %mask, %x, %one, %c31 : f32 -> f32
  llvm.return
}

// -----

// Any other shuffle is refused, not approximated.
llvm.func @indexed(%x: i32) attributes {dsv2.threads = 32 : i64, dsv2.shared_bytes = 0 : i64, nvvm.kernel} {
  %mask = llvm.mlir.constant(-1 : i32) : i32
  %one = llvm.mlir.constant(1 : i32) : i32
  %c31 = llvm.mlir.constant(31 : i32) : i32
  // expected-error @+1 {{is modelled by the SIMT emulator only as a whole-warp butterfly (bfly, member mask -1, clamp 31)}}
  %y = nvvm.shfl.sync idx %mask, %x, %one, %c31 : i32 -> i32
  llvm.return
}

// -----

// An NVVM op the emulator does not model is refused, not approximated.
llvm.func @vote(%p: i1) attributes {dsv2.threads = 32 : i64, dsv2.shared_bytes = 0 : i64, nvvm.kernel} {
  %mask = llvm.mlir.constant(-1 : i32) : i32
  // expected-error @+1 {{is not modelled by the SIMT emulator; refusing to approximate it}}
  %y = nvvm.vote.sync any %mask, %p -> i1
  llvm.return
}
