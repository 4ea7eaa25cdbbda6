func.func @linear_rope(%x: tensor<?x64xf32>, %q: tensor<?x4x8xf32>, %start: index) -> (tensor<?x32xf32>, tensor<?x4x8xf32>) {
  %w = dsv2.weight "w" : tensor<32x64xf32>
  %y = dsv2.linear %x, %w : tensor<?x64xf32>, tensor<32x64xf32> -> tensor<?x32xf32>
  %r = dsv2.rope %q at %start rope <dim = 8, theta = 1.0e+04> : tensor<?x4x8xf32>
  %s = dsv2.rope %r at %start rope <dim = 8, theta = 1.0e+04, yarn = <factor = 4.0, original_max_position = 64, beta_fast = 32.0, beta_slow = 1.0, mscale = 0.707, mscale_all_dim = 1.0>> : tensor<?x4x8xf32>
  return %y, %s : tensor<?x32xf32>, tensor<?x4x8xf32>
}
