// tile.pair_dot on the CPU (ConvertTileToLLVM.cpp PairDotLowering): per row
// of the leading axes, pmaddwd on 16 (AVX-512BW) or 8 (AVX2) lanes after
// interleaving the two int8 weight rows into int16 pairs; generic i32
// arithmetic otherwise, also for widths pmaddwd's lanes do not divide.
// RUN: dsv2-opt %s --dsv2-convert-tile-to-llvm=pair-dot=avx512bw | FileCheck %s --check-prefix=AVX512
// RUN: dsv2-opt %s --dsv2-convert-tile-to-llvm=pair-dot=avx2 | FileCheck %s --check-prefix=AVX2
// RUN: dsv2-opt %s --dsv2-convert-tile-to-llvm | FileCheck %s --check-prefix=GENERIC
// RUN: not dsv2-opt %s --dsv2-convert-tile-to-llvm=pair-dot=sse 2>&1 | FileCheck %s --check-prefix=BAD
// The whole CPU lowering keeps the intrinsic to the LLVM dialect.
// RUN: dsv2-opt %s --dsv2-lower-tile-to-llvm=pair-dot=avx512bw | FileCheck %s --check-prefix=LLVM

// AVX512-LABEL: func.func @pair_dot_rows
// AVX512: %[[W0:.*]] = vector.extract %{{.*}}[0, 0] : vector<16xi8> from vector<2x2x16xi8>
// AVX512: %[[W1:.*]] = vector.extract %{{.*}}[0, 1] : vector<16xi8> from vector<2x2x16xi8>
// AVX512: %[[PAIRS:.*]] = vector.shuffle %[[W0]], %[[W1]] [0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31] : vector<16xi8>, vector<16xi8>
// AVX512: %[[W16:.*]] = arith.extsi %[[PAIRS]] : vector<32xi8> to vector<32xi16>
// AVX512: %[[X16:.*]] = vector.bitcast %{{.*}} : vector<16xi32> to vector<32xi16>
// AVX512: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"(%[[X16]], %[[W16]]) : (vector<32xi16>, vector<32xi16>) -> vector<16xi32>
// AVX512: arith.addi %{{.*}}, %[[P]] : vector<16xi32>
// AVX512: vector.insert %{{.*}}, %{{.*}} [0] : vector<16xi32> into vector<2x16xi32>
// AVX512: llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"
// AVX512: vector.insert %{{.*}}, %{{.*}} [1] : vector<16xi32> into vector<2x16xi32>
// AVX512-NOT: arith.muli
// AVX512-LABEL: func.func @pair_dot_narrow
// AVX512-NOT: llvm.call_intrinsic
// AVX512: arith.muli
// AVX2-LABEL: func.func @pair_dot_rows
// AVX2-COUNT-4: llvm.call_intrinsic "llvm.x86.avx2.pmadd.wd"(%{{.*}}, %{{.*}}) : (vector<16xi16>, vector<16xi16>) -> vector<8xi32>
// AVX2-NOT: llvm.call_intrinsic
// GENERIC-LABEL: func.func @pair_dot_rows
// GENERIC-NOT: llvm.call_intrinsic
// GENERIC: arith.shli
// GENERIC: arith.shrsi
// GENERIC: arith.muli
// BAD: unknown pair-dot ISA 'sse' (generic, avx2 or avx512bw)
// LLVM-LABEL: llvm.func @pair_dot_rows
// LLVM-COUNT-2: llvm.call_intrinsic "llvm.x86.avx512.pmaddw.d.512"
func.func @pair_dot_rows(%x: tensor<2x16xi32>, %w: tensor<2x2x16xi8>, %acc: tensor<2x16xi32>) -> tensor<2x16xi32> {
  %r = tile.pair_dot %x, %w, %acc : tensor<2x16xi32>, tensor<2x2x16xi8>, tensor<2x16xi32> -> tensor<2x16xi32>
  return %r : tensor<2x16xi32>
}

func.func @pair_dot_narrow(%x: tensor<4xi32>, %w: tensor<2x4xi8>) -> tensor<4xi32> {
  %r = tile.pair_dot %x, %w, %x : tensor<4xi32>, tensor<2x4xi8>, tensor<4xi32> -> tensor<4xi32>
  return %r : tensor<4xi32>
}
