func.func @building_tiles(%p: !tile.ptr<f32>, %s: f32, %n: i32) attributes {
    tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  %r = tile.range <0, 16> : tensor<16xi32>
  %r3 = tile.range <8, 11> : tensor<3xi32>
  %sv = tile.splat %s : f32 -> tensor<8x16xf32>
  %nv = tile.splat %n : i32 -> tensor<3xi32>
  %ps = tile.splat %p : !tile.ptr<f32> -> tensor<8x16x!tile.ptr<f32>>
  %col = tile.expand_dims %r axis 0 : tensor<16xi32> -> tensor<1x16xi32>
  %row = tile.expand_dims %r axis 1 : tensor<16xi32> -> tensor<16x1xi32>
  %b = tile.broadcast %col : tensor<1x16xi32> -> tensor<8x16xi32>
  // Numpy rules also add leading dimensions.
  %b3 = tile.broadcast %r : tensor<16xi32> -> tensor<2x8x16xi32>
  %pt = tile.addptr %ps, %b : tensor<8x16x!tile.ptr<f32>>, tensor<8x16xi32> -> tensor<8x16x!tile.ptr<f32>>
  tile.store %pt, %sv : tensor<8x16x!tile.ptr<f32>>, tensor<8x16xf32>
  return
}
