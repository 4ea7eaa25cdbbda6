func.func @compute(%x: !tile.ptr<f32>, %out: !tile.ptr<i32>) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %a = arith.constant dense<1.0> : tensor<16x32xbf16>
  %b = arith.constant dense<2.0> : tensor<32x8xbf16>
  %acc = arith.constant dense<0.0> : tensor<16x8xf32>
  %d = tile.dot %a, %b, %acc : tensor<16x32xbf16>, tensor<32x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  %ah = arith.constant dense<1.0> : tensor<16x16xf16>
  %bh = arith.constant dense<1.0> : tensor<16x8xf16>
  %dh = tile.dot %ah, %bh, %d : tensor<16x16xf16>, tensor<16x8xf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  %af = arith.constant dense<1.0> : tensor<16x4xf32>
  %bf = arith.constant dense<1.0> : tensor<4x8xf32>
  %df = tile.dot %af, %bf, %dh : tensor<16x4xf32>, tensor<4x8xf32>, tensor<16x8xf32> -> tensor<16x8xf32>
  %rs = tile.reduce sum %df axis 1 : tensor<16x8xf32> -> tensor<16xf32>
  %rmax = tile.reduce max %df axis 0 : tensor<16x8xf32> -> tensor<8xf32>
  %rmin = tile.reduce min %rs axis 0 : tensor<16xf32> -> f32
  %best = tile.reduce argmax %df axis 1 : tensor<16x8xf32> -> tensor<16xi32>
  %top = tile.reduce argmax %rmax axis 0 : tensor<8xf32> -> i32
  %ints = tile.range <0, 8> : tensor<8xi32>
  %isum = tile.reduce sum %ints axis 0 : tensor<8xi32> -> i32
  %act = tile.silu %rs : tensor<16xf32>
  %sact = tile.silu %rmin : f32
  %bact = tile.silu %a : tensor<16x32xbf16>
  %sum = tile.reduce sum %act axis 0 : tensor<16xf32> -> f32
  %total = arith.addf %sum, %sact : f32
  tile.store %x, %total : !tile.ptr<f32>, f32
  %i = arith.addi %top, %isum : i32
  tile.store %out, %i : !tile.ptr<i32>, i32
  return
}

//===----------------------------------------------------------------------===//
// Example kernels
//===----------------------------------------------------------------------===//
