// dsv2-translate-cpu --emit=llvm: the LLVM IR of tile kernels, optimized at
// O3 for a pinned CPU (x86-64-v3) so the checks do not depend on the host.
// RUN: dsv2-translate-cpu %s --emit=llvm --cpu=x86-64-v3 | FileCheck %s --implicit-check-not=reassoc --implicit-check-not=fast
// Unoptimized: what the lowering produces.
// RUN: dsv2-translate-cpu %s --emit=llvm --opt-level=0 --cpu=x86-64-v3 | FileCheck %s --check-prefix=O0

// CHECK: target triple = "x86_64

// A 16-wide f32 block under a lane mask: the kernel ABI is (args, 3 x pid,
// 3 x nprog); the load is two masked <8 x float> loads (masked loads are
// split into 256-bit pieces: see MaskedMemory.cpp), the arithmetic and the
// masked store stay 16 wide.
// CHECK-LABEL: define void @scale(
// CHECK-SAME: ptr {{[^%]*}}%[[X:[0-9]+]], i32 %[[N:[0-9]+]], float %[[S:[0-9]+]], i32 %{{[0-9]+}}, i32 %{{[0-9]+}}, i32 %{{[0-9]+}}, i32 %{{[0-9]+}}, i32 %{{[0-9]+}}, i32 %{{[0-9]+}})
// CHECK: %[[MASK:[0-9]+]] = icmp slt <16 x i32>
// CHECK: %[[LOMASK:[0-9]+]] = shufflevector <16 x i1> %[[MASK]], <16 x i1> poison, <8 x i32> <i32 0, i32 1, i32 2, i32 3, i32 4, i32 5, i32 6, i32 7>
// CHECK: tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %[[P:[0-9]+]], <8 x i1> %[[LOMASK]], <8 x float> zeroinitializer)
// CHECK: %[[HIMASK:[0-9]+]] = shufflevector <16 x i1> %[[MASK]], <16 x i1> poison, <8 x i32> <i32 8, i32 9, i32 10, i32 11, i32 12, i32 13, i32 14, i32 15>
// CHECK: tail call <8 x float> @llvm.masked.load.v8f32.p0(ptr align 4 %{{[0-9]+}}, <8 x i1> %[[HIMASK]], <8 x float> zeroinitializer)
// CHECK: %[[Y:[0-9]+]] = fmul <16 x float>
// CHECK: tail call void @llvm.masked.store.v16f32.p0(<16 x float> %[[Y]], ptr align 4 %[[P]], <16 x i1> %[[MASK]])
// CHECK: ret void
func.func @scale(%x: !tile.ptr<f32>, %n: i32, %s: f32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 16, 1, 1),
                               grid_symbols = ["elements"]>} {
  %pid = tile.program_id x : i32
  %c16 = arith.constant 16 : i32
  %start = arith.muli %pid, %c16 : i32
  %lanes = tile.range <0, 16> : tensor<16xi32>
  %first = tile.splat %start : i32 -> tensor<16xi32>
  %offs = arith.addi %first, %lanes : tensor<16xi32>
  %limit = tile.splat %n : i32 -> tensor<16xi32>
  %mask = arith.cmpi slt, %offs, %limit : tensor<16xi32>
  %ptrs = tile.addptr %x, %offs : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x!tile.ptr<f32>>
  %v = tile.load %ptrs mask %mask : tensor<16x!tile.ptr<f32>> -> tensor<16xf32>
  %sv = tile.splat %s : f32 -> tensor<16xf32>
  %y = arith.mulf %v, %sv : tensor<16xf32>
  tile.store %ptrs, %y mask %mask : tensor<16x!tile.ptr<f32>>, tensor<16xf32>
  return
}

// Without a mask: one <16 x float> load and store.
// CHECK-LABEL: define void @scale_full(
// CHECK: %[[V:[0-9]+]] = load <16 x float>, ptr %[[P:[0-9]+]], align 4
// CHECK: %[[Y:[0-9]+]] = fmul <16 x float> %{{[0-9]+}}, %[[V]]
// CHECK: store <16 x float> %[[Y]], ptr %[[P]], align 4
func.func @scale_full(%x: !tile.ptr<f32>, %s: f32) attributes {
    tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv 16, 1, 1),
                               grid_symbols = ["elements"]>} {
  %pid = tile.program_id x : i32
  %c16 = arith.constant 16 : i32
  %start = arith.muli %pid, %c16 : i32
  %lanes = tile.range <0, 16> : tensor<16xi32>
  %first = tile.splat %start : i32 -> tensor<16xi32>
  %offs = arith.addi %first, %lanes : tensor<16xi32>
  %ptrs = tile.addptr %x, %offs : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x!tile.ptr<f32>>
  %v = tile.load %ptrs : tensor<16x!tile.ptr<f32>> -> tensor<16xf32>
  %sv = tile.splat %s : f32 -> tensor<16xf32>
  %y = arith.mulf %v, %sv : tensor<16xf32>
  tile.store %ptrs, %y : tensor<16x!tile.ptr<f32>>, tensor<16xf32>
  return
}

// A 16 x 16 bf16 dot accumulates in float: bf16 rows are loaded as their
// i16 bits, widened exactly to float (zext, shl 16; the stack copy keeps
// the float's bits) and combined by fmuladd on <16 x float>, four rows of
// the result at a time (codegen/cpu/ContractThroughMemory.cpp): each K step
// loads one row of B and chains one fmuladd per row, in K order, with no
// reassociating flag anywhere.
// CHECK-LABEL: define void @dot16(
// CHECK: load <16 x i16>, ptr %{{[0-9]+}}, align 2
// CHECK: %[[WIDE:[0-9]+]] = zext <16 x i16> %{{[0-9]+}} to <16 x i32>
// CHECK: shl nuw <16 x i32> %[[WIDE]], splat (i32 16)
// CHECK: %[[R3:[0-9]+]] = phi <16 x float>
// CHECK-NEXT: %[[R2:[0-9]+]] = phi <16 x float>
// CHECK-NEXT: %[[R1:[0-9]+]] = phi <16 x float>
// CHECK-NEXT: %[[R0:[0-9]+]] = phi <16 x float>
// CHECK-NEXT: phi i64
// CHECK: %[[B:[0-9]+]] = load <16 x float>
// CHECK: tail call <16 x float> @llvm.fmuladd.v16f32(<16 x float> %{{[0-9]+}}, <16 x float> %[[B]], <16 x float> %[[R0]])
// CHECK: tail call <16 x float> @llvm.fmuladd.v16f32(<16 x float> %{{[0-9]+}}, <16 x float> %[[B]], <16 x float> %[[R1]])
// CHECK: tail call <16 x float> @llvm.fmuladd.v16f32(<16 x float> %{{[0-9]+}}, <16 x float> %[[B]], <16 x float> %[[R2]])
// CHECK: tail call <16 x float> @llvm.fmuladd.v16f32(<16 x float> %{{[0-9]+}}, <16 x float> %[[B]], <16 x float> %[[R3]])
// CHECK: br i1
// The runtime's entry points (runtime/engine/KernelAbi.h, added by
// addGridEntryPoints after the lowering), with the kernel inlined into the
// loop over [first, last).
// CHECK-LABEL: define void @scale_grid(
// CHECK-SAME: ptr {{[^%]*}}%{{[0-9]+}}, i32 %{{[0-9]+}}, i32 %{{[0-9]+}}, i32 %{{[0-9]+}}, i64 %{{[0-9]+}}, i64 %{{[0-9]+}})
// CHECK: @llvm.masked.load.v8f32.p0
// CHECK-LABEL: define void @scale_full_grid(
// CHECK-LABEL: define void @dot16_grid(
// CHECK: attributes #{{[0-9]+}} = {{.*}}"target-cpu"="x86-64-v3"
// Before optimization: one fmuladd per row of a 4-row block, in the loop
// over K.
// O0-LABEL: define void @dot16(
// O0-COUNT-4: call <16 x float> @llvm.fmuladd.v16f32(<16 x float>
// O0-NOT: @llvm.fmuladd
// O0-LABEL: define void @dot16_grid(
func.func @dot16(%a: !tile.ptr<bf16>, %b: !tile.ptr<bf16>, %c: !tile.ptr<f32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r = tile.range <0, 16> : tensor<16xi32>
  %c16 = arith.constant 16 : i32
  %row = tile.expand_dims %r axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %s16 = tile.splat %c16 : i32 -> tensor<16x1xi32>
  %rowOff = arith.muli %row, %s16 : tensor<16x1xi32>
  %rowOffB = tile.broadcast %rowOff : tensor<16x1xi32> -> tensor<16x16xi32>
  %col = tile.expand_dims %r axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  %colB = tile.broadcast %col : tensor<1x16xi32> -> tensor<16x16xi32>
  %off = arith.addi %rowOffB, %colB : tensor<16x16xi32>
  %pa = tile.addptr %a, %off : !tile.ptr<bf16>, tensor<16x16xi32> -> tensor<16x16x!tile.ptr<bf16>>
  %pb = tile.addptr %b, %off : !tile.ptr<bf16>, tensor<16x16xi32> -> tensor<16x16x!tile.ptr<bf16>>
  %pc = tile.addptr %c, %off : !tile.ptr<f32>, tensor<16x16xi32> -> tensor<16x16x!tile.ptr<f32>>
  %va = tile.load %pa : tensor<16x16x!tile.ptr<bf16>> -> tensor<16x16xbf16>
  %vb = tile.load %pb : tensor<16x16x!tile.ptr<bf16>> -> tensor<16x16xbf16>
  %acc = arith.constant dense<0.0> : tensor<16x16xf32>
  %d = tile.dot %va, %vb, %acc : tensor<16x16xbf16>, tensor<16x16xbf16>, tensor<16x16xf32> -> tensor<16x16xf32>
  tile.store %pc, %d : tensor<16x16x!tile.ptr<f32>>, tensor<16x16xf32>
  return
}
