// Negative tests of the tile verifiers: one case per rule of TileOps.cpp,
// TileAttrs.cpp, TileTypes.cpp and TileDialect.cpp (the tile.kernel
// attribute where it is attached), plus the ODS constraints users hit.
// RUN: dsv2-opt %s -split-input-file -verify-diagnostics

// TileTypes.cpp PtrType: the pointee is a type kernels keep in memory.
// expected-error @+1 {{!tile.ptr pointee must be f32, bf16, f16, i8, i32 or i64, got 'f64'}}
func.func private @ptr_f64(!tile.ptr<f64>)

// -----

// TileAttrs.cpp KernelAttr: runtime sizes are symbols, not dimensions.
// expected-error @+1 {{kernel grid takes runtime sizes as symbols (s0, s1, ...), not dimensions; it has 1 dimension(s)}}
func.func @grid_dims() attributes {tile.kernel = #tile.kernel<grid = (d0) -> (d0, 1, 1), grid_symbols = []>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: three extents.
// expected-error @+1 {{kernel grid must give 3 extents (x, y, z), got 2}}
func.func @grid_two_extents() attributes {tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1), grid_symbols = ["tokens"]>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: one name per symbol.
// expected-error @+1 {{kernel grid has 2 symbol(s) but grid_symbols names 1 runtime size(s)}}
func.func @grid_symbol_count() attributes {tile.kernel = #tile.kernel<grid = ()[s0, s1] -> (s0, s1, 1), grid_symbols = ["tokens"]>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: symbols name runtime sizes.
// expected-error @+1 {{grid_symbols entry #0 (s0) must name a runtime size as a lower-case identifier such as "tokens", got "Tokens per step"}}
func.func @grid_symbol_name() attributes {tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 1, 1), grid_symbols = ["Tokens per step"]>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: symbols name runtime sizes (strings, not numbers).
// expected-error @+1 {{grid_symbols entry #1 (s1) must name a runtime size as a lower-case identifier such as "tokens", got 7}}
func.func @grid_symbol_not_string() attributes {tile.kernel = #tile.kernel<grid = ()[s0, s1] -> (s0, s1, 1), grid_symbols = ["tokens", 7]>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: each runtime size is bound once.
// expected-error @+1 {{grid symbol "tokens" is named twice}}
func.func @grid_symbol_twice() attributes {tile.kernel = #tile.kernel<grid = ()[s0, s1] -> (s0, s1, 1), grid_symbols = ["tokens", "tokens"]>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: a constant extent launches at least one program.
// expected-error @+1 {{kernel grid extent y is the constant 0; every axis needs at least one program}}
func.func @grid_zero_extent() attributes {tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, 0, 1), grid_symbols = ["tokens"]>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: num_warps is a power of two up to 32.
// expected-error @+1 {{num_warps 6 must be a power of two from 1 to 32}}
func.func @num_warps() attributes {tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = [], num_warps = 6>} {
  return
}

// -----

// TileAttrs.cpp KernelAttr: block hints are tile sizes.
// expected-error @+1 {{block hint size 0 must be positive}}
func.func @block_hint() attributes {tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = [], block = [16, 0]>} {
  return
}

// -----

// TileDialect.cpp: tile.kernel is the only tile attribute.
// expected-error @+1 {{unknown attribute 'tile.grid': the tile dialect defines only 'tile.kernel'}}
func.func @unknown_attr() attributes {tile.grid = [1, 1, 1]} {
  return
}

// -----

// TileDialect.cpp: tile.kernel holds a #tile.kernel.
// expected-error @+1 {{'tile.kernel' must be a #tile.kernel<...> attribute, got unit}}
func.func @kernel_unit() attributes {tile.kernel} {
  return
}

// -----

// TileDialect.cpp: only a func.func can be a kernel.
// expected-error @+1 {{'tile.kernel' marks a func.func as a kernel, it cannot be attached to 'builtin.module'}}
module attributes {tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
}

// -----

// TileDialect.cpp: kernels return nothing.
// expected-error @+1 {{kernel @returns_value returns 1 value(s); kernels write their results through !tile.ptr arguments and return nothing}}
func.func @returns_value(%n: i32) -> i32 attributes {tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  return %n : i32
}

// -----

// TileDialect.cpp: kernel arguments are buffers or scalars.
// expected-error @+1 {{kernel @tensor_argument argument #1 has type 'tensor<16xf32>'; kernel arguments are !tile.ptr buffers or i32, i64, f32 scalars}}
func.func @tensor_argument(%p: !tile.ptr<f32>, %t: tensor<16xf32>) attributes {tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  return
}

// -----

// TileOps.cpp ProgramIdOp: the grid exists only inside a kernel.
func.func @program_id_outside_kernel() -> i32 {
  // expected-error @+1 {{'tile.program_id' op asks for the launch grid, so it must be inside a kernel: the enclosing func.func needs a 'tile.kernel' attribute}}
  %0 = tile.program_id x : i32
  return %0 : i32
}

// -----

// TileOps.cpp NumProgramsOp: the grid exists only inside a kernel.
func.func @num_programs_outside_kernel() -> i32 {
  // expected-error @+1 {{'tile.num_programs' op asks for the launch grid, so it must be inside a kernel}}
  %0 = tile.num_programs y : i32
  return %0 : i32
}

// -----

// ODS: grid axes are x, y and z.
func.func @program_id_axis() attributes {tile.kernel = #tile.kernel<grid = () -> (1, 1, 1), grid_symbols = []>} {
  // expected-error @+1 {{expected string or keyword containing one of the following enum values for attribute 'axis' [x, y, z]}}
  %0 = tile.program_id w : i32
  return
}

// -----

// TileOps.cpp RangeOp: a range has at least one lane.
func.func @range_empty() {
  // expected-error @+1 {{'tile.range' op range <4, 4> is empty; end must be greater than start}}
  %0 = tile.range <4, 4> : tensor<0xi32>
  return
}

// -----

// TileOps.cpp RangeOp: a range is 1-D.
func.func @range_rank() {
  // expected-error @+1 {{'tile.range' op result must be a 1-D tile, got 'tensor<4x4xi32>'}}
  %0 = tile.range <0, 16> : tensor<4x4xi32>
  return
}

// -----

// TileOps.cpp RangeOp: one lane per value.
func.func @range_size() {
  // expected-error @+1 {{'tile.range' op range <0, 16> has 16 lanes but the result tile has 32}}
  %0 = tile.range <0, 16> : tensor<32xi32>
  return
}

// -----

// ODS: tiles have static shapes.
func.func @range_dynamic() {
  // expected-error @+1 {{'tile.range' op result #0 must be statically shaped tensor of 32-bit signless integer values, but got 'tensor<?xi32>'}}
  %0 = tile.range <0, 16> : tensor<?xi32>
  return
}

// -----

// TileOps.cpp SplatOp: every lane is the scalar.
func.func @splat_type(%s: f32) {
  // expected-error @+1 {{'tile.splat' op splat of 'f32' must produce a tile of 'f32', got 'tensor<16xbf16>'}}
  %0 = tile.splat %s : f32 -> tensor<16xbf16>
  return
}

// -----

// TileOps.cpp BroadcastOp: the element type does not change.
func.func @broadcast_element(%t: tensor<1x16xf32>) {
  // expected-error @+1 {{'tile.broadcast' op broadcast keeps the element type, but 'f32' became 'f16'}}
  %0 = tile.broadcast %t : tensor<1x16xf32> -> tensor<8x16xf16>
  return
}

// -----

// TileOps.cpp BroadcastOp: broadcasting never drops dimensions.
func.func @broadcast_rank(%t: tensor<4x8xf32>) {
  // expected-error @+1 {{'tile.broadcast' op cannot broadcast rank 2 tile [4, 8] to the lower rank 1 shape [8]}}
  %0 = tile.broadcast %t : tensor<4x8xf32> -> tensor<8xf32>
  return
}

// -----

// TileOps.cpp BroadcastOp: only size-1 dimensions stretch.
func.func @broadcast_dim(%t: tensor<2x16xf32>) {
  // expected-error @+1 {{'tile.broadcast' op cannot broadcast [2, 16] to [8, 16]: dimension 0 has size 2, and only size-1 dimensions can stretch to 8}}
  %0 = tile.broadcast %t : tensor<2x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// TileOps.cpp ExpandDimsOp: axis in 0 .. rank.
func.func @expand_dims_axis(%t: tensor<16xi32>) {
  // expected-error @+1 {{'tile.expand_dims' op axis 2 is out of range for a rank 1 tile (0 .. 1)}}
  %0 = tile.expand_dims %t axis 2 : tensor<16xi32> -> tensor<16x1xi32>
  return
}

// -----

// TileOps.cpp TransOp: 2-D tiles only.
func.func @trans_rank(%t: tensor<2x8x16xf32>) {
  // expected-error @+1 {{'tile.trans' op input must be a 2-D tile, got 'tensor<2x8x16xf32>'}}
  %0 = tile.trans %t : tensor<2x8x16xf32> -> tensor<16x8x2xf32>
  return
}

// -----

// TileOps.cpp TransOp: the result swaps the dimensions.
func.func @trans_result(%t: tensor<8x16xf32>) {
  // expected-error @+1 {{'tile.trans' op the transpose of 'tensor<8x16xf32>' is 'tensor<16x8xf32>', but the result is 'tensor<8x16xf32>'}}
  %0 = tile.trans %t : tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// TileOps.cpp ExpandDimsOp: the result has the unit dimension at axis.
func.func @expand_dims_result(%t: tensor<16xi32>) {
  // expected-error @+1 {{'tile.expand_dims' op inserting a unit dimension at axis 0 of 'tensor<16xi32>' gives 'tensor<1x16xi32>', but the result is 'tensor<16x1xi32>'}}
  %0 = tile.expand_dims %t axis 0 : tensor<16xi32> -> tensor<16x1xi32>
  return
}

// -----

// TileOps.cpp AddPtrOp: a pointer tile needs a tile of offsets.
func.func @addptr_scalar_offset(%p: tensor<16x!tile.ptr<f32>>, %o: i32) {
  // expected-error @+1 {{'tile.addptr' op a pointer tile 'tensor<16x!tile.ptr<f32>>' needs one offset per lane; splat the scalar offset to its shape [16]}}
  %0 = tile.addptr %p, %o : tensor<16x!tile.ptr<f32>>, i32 -> tensor<16x!tile.ptr<f32>>
  return
}

// -----

// TileOps.cpp AddPtrOp: one offset per lane.
func.func @addptr_shape(%p: tensor<16x!tile.ptr<f32>>, %o: tensor<8xi32>) {
  // expected-error @+1 {{'tile.addptr' op offsets [8] do not match the pointer tile's shape [16]}}
  %0 = tile.addptr %p, %o : tensor<16x!tile.ptr<f32>>, tensor<8xi32> -> tensor<16x!tile.ptr<f32>>
  return
}

// -----

// TileOps.cpp AddPtrOp: the result is the pointer type in the offsets' shape.
func.func @addptr_result(%p: !tile.ptr<f32>, %o: tensor<16xi32>) {
  // expected-error @+1 {{'tile.addptr' op advancing '!tile.ptr<f32>' by 'tensor<16xi32>' gives 'tensor<16x!tile.ptr<f32>>', but the result is 'tensor<16x!tile.ptr<bf16>>'}}
  %0 = tile.addptr %p, %o : !tile.ptr<f32>, tensor<16xi32> -> tensor<16x!tile.ptr<bf16>>
  return
}

// -----

// ODS: offsets are i32 or i64.
func.func @addptr_offset_type(%p: !tile.ptr<f32>, %o: tensor<16xi16>) {
  // expected-error @+1 {{'tile.addptr' op operand #1 must be i32/i64 offsets (a scalar or a static-shape tile), but got 'tensor<16xi16>'}}
  %0 = tile.addptr %p, %o : !tile.ptr<f32>, tensor<16xi16> -> tensor<16x!tile.ptr<f32>>
  return
}

// -----

// TileOps.cpp LoadOp: the result is the pointee in the pointer tile's shape.
func.func @load_result(%p: tensor<16x!tile.ptr<bf16>>) {
  // expected-error @+1 {{'tile.load' op loading through 'tensor<16x!tile.ptr<bf16>>' gives 'tensor<16xbf16>', but the result is 'tensor<16xf32>'}}
  %0 = tile.load %p : tensor<16x!tile.ptr<bf16>> -> tensor<16xf32>
  return
}

// -----

// TileOps.cpp LoadOp: the mask is i1 in the pointer tile's shape.
func.func @load_mask_shape(%p: tensor<16x!tile.ptr<f32>>, %m: tensor<8xi1>) {
  // expected-error @+1 {{'tile.load' op mask 'tensor<8xi1>' must be i1 of the pointer tile's shape [16], i.e. 'tensor<16xi1>'}}
  %0 = "tile.load"(%p, %m) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (tensor<16x!tile.ptr<f32>>, tensor<8xi1>) -> tensor<16xf32>
  return
}

// -----

// TileOps.cpp LoadOp: a scalar pointer takes a scalar mask.
func.func @load_scalar_mask(%p: !tile.ptr<f32>, %m: tensor<1xi1>) {
  // expected-error @+1 {{'tile.load' op mask 'tensor<1xi1>' must be a scalar i1 for a scalar pointer}}
  %0 = "tile.load"(%p, %m) <{operandSegmentSizes = array<i32: 1, 1, 0>}> : (!tile.ptr<f32>, tensor<1xi1>) -> f32
  return
}

// -----

// TileOps.cpp LoadOp: other fills masked-off lanes, so it needs a mask.
func.func @load_other_without_mask(%p: tensor<16x!tile.ptr<f32>>, %o: tensor<16xf32>) {
  // expected-error @+1 {{'tile.load' op 'other' fills the masked-off lanes, so it needs a mask}}
  %0 = tile.load %p other %o : tensor<16x!tile.ptr<f32>> -> tensor<16xf32>
  return
}

// -----

// TileOps.cpp LoadOp: other has the loaded type.
func.func @load_other_type(%p: tensor<16x!tile.ptr<f32>>, %m: tensor<16xi1>, %o: tensor<16xbf16>) {
  // expected-error @+1 {{'tile.load' op other 'tensor<16xbf16>' must have the loaded type 'tensor<16xf32>'}}
  %0 = "tile.load"(%p, %m, %o) <{operandSegmentSizes = array<i32: 1, 1, 1>}> : (tensor<16x!tile.ptr<f32>>, tensor<16xi1>, tensor<16xbf16>) -> tensor<16xf32>
  return
}

// -----

// TileOps.cpp LoadOp (parser): loads go through pointers.
func.func @load_not_pointer(%p: tensor<16xf32>) {
  // expected-error @+1 {{tile.load reads through a !tile.ptr or a tile of them, got 'tensor<16xf32>'}}
  %0 = tile.load %p : tensor<16xf32> -> tensor<16xf32>
  return
}

// -----

// TileOps.cpp StoreOp: the value is the pointee in the pointer tile's shape.
func.func @store_value(%p: tensor<16x!tile.ptr<bf16>>, %v: tensor<16xf32>) {
  // expected-error @+1 {{'tile.store' op storing through 'tensor<16x!tile.ptr<bf16>>' needs a value 'tensor<16xbf16>', got 'tensor<16xf32>'}}
  tile.store %p, %v : tensor<16x!tile.ptr<bf16>>, tensor<16xf32>
  return
}

// -----

// ODS: masks are i1.
func.func @store_mask(%p: tensor<16x!tile.ptr<f32>>, %v: tensor<16xf32>, %m: tensor<16xi8>) {
  // expected-error @+1 {{'tile.store' op operand #2 must be an i1 mask (a scalar or a static-shape tile), but got 'tensor<16xi8>'}}
  "tile.store"(%p, %v, %m) : (tensor<16x!tile.ptr<f32>>, tensor<16xf32>, tensor<16xi8>) -> ()
  return
}

// -----

// TileOps.cpp StoreOp: the mask is i1 in the pointer tile's shape.
func.func @store_mask_shape(%p: tensor<16x!tile.ptr<f32>>, %v: tensor<16xf32>, %m: tensor<4x4xi1>) {
  // expected-error @+1 {{'tile.store' op mask 'tensor<4x4xi1>' must be i1 of the pointer tile's shape [16], i.e. 'tensor<16xi1>'}}
  "tile.store"(%p, %v, %m) : (tensor<16x!tile.ptr<f32>>, tensor<16xf32>, tensor<4x4xi1>) -> ()
  return
}

// -----

// TileOps.cpp StoreOp (parser): stores go through pointers.
func.func @store_not_pointer(%p: i64, %v: i64) {
  // expected-error @+1 {{tile.store writes through a !tile.ptr or a tile of them, got 'i64'}}
  tile.store %p, %v : i64, i64
  return
}

// -----

// TileOps.cpp PairDotOp: w is acc's shape with the pair axis before the last.
func.func @pair_dot_w_shape(%x: tensor<4x16xi32>, %w: tensor<4x16x2xi8>) {
  // expected-error @+1 {{'tile.pair_dot' op w is 'tensor<4x16x2xi8>' but must be 4x2x16xi8: the accumulator's shape with the pair axis (2) before the last}}
  %0 = tile.pair_dot %x, %w, %x : tensor<4x16xi32>, tensor<4x16x2xi8>, tensor<4x16xi32> -> tensor<4x16xi32>
  return
}

// -----

// TileOps.cpp PairDotOp: x has the accumulator's type.
func.func @pair_dot_x_shape(%x: tensor<16xi32>, %w: tensor<4x2x16xi8>, %acc: tensor<4x16xi32>) {
  // expected-error @+1 {{'tile.pair_dot' op x 'tensor<16xi32>' must have the accumulator's type 'tensor<4x16xi32>' (one i32 pair of int16 per lane)}}
  %0 = tile.pair_dot %x, %w, %acc : tensor<16xi32>, tensor<4x2x16xi8>, tensor<4x16xi32> -> tensor<4x16xi32>
  return
}

// -----

// TileOps.cpp PairDotOp: the result has the accumulator's type.
func.func @pair_dot_result(%x: tensor<16xi32>, %w: tensor<2x16xi8>) {
  // expected-error @+1 {{'tile.pair_dot' op result 'tensor<8xi32>' must have the accumulator's type 'tensor<16xi32>'}}
  %0 = tile.pair_dot %x, %w, %x : tensor<16xi32>, tensor<2x16xi8>, tensor<16xi32> -> tensor<8xi32>
  return
}

// -----

// ODS: the weights are i8 and the pairs i32.
func.func @pair_dot_types(%x: tensor<16xi32>, %w: tensor<2x16xi16>) {
  // expected-error @+1 {{'tile.pair_dot' op operand #1 must be statically shaped tensor of 8-bit signless integer values}}
  %0 = tile.pair_dot %x, %w, %x : tensor<16xi32>, tensor<2x16xi16>, tensor<16xi32> -> tensor<16xi32>
  return
}

// -----

// TileOps.cpp DotOp: operands are matrices.
func.func @dot_rank(%a: tensor<16xbf16>, %b: tensor<16x8xbf16>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op a must be a 2-D tile (M x K), got 'tensor<16xbf16>'}}
  %0 = tile.dot %a, %b, %c : tensor<16xbf16>, tensor<16x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

// TileOps.cpp DotOp: a and b share an element type.
func.func @dot_mixed(%a: tensor<16x16xbf16>, %b: tensor<16x8xf16>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op a and b must have the same element type, got 'bf16' and 'f16'}}
  %0 = tile.dot %a, %b, %c : tensor<16x16xbf16>, tensor<16x8xf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

// TileOps.cpp DotOp: inputs are bf16, f16 or f32.
func.func @dot_int(%a: tensor<16x16xi8>, %b: tensor<16x8xi8>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op a and b must be bf16, f16 or f32 tiles, got 'i8'}}
  %0 = tile.dot %a, %b, %c : tensor<16x16xi8>, tensor<16x8xi8>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

// TileOps.cpp DotOp: the accumulator is f32.
func.func @dot_bf16_acc(%a: tensor<16x16xbf16>, %b: tensor<16x8xbf16>, %c: tensor<16x8xbf16>) {
  // expected-error @+1 {{'tile.dot' op tile.dot accumulates in f32, but acc is 'tensor<16x8xbf16>'; keep the accumulator in f32 and truncate the final result}}
  %0 = tile.dot %a, %b, %c : tensor<16x16xbf16>, tensor<16x8xbf16>, tensor<16x8xbf16> -> tensor<16x8xbf16>
  return
}

// -----

// TileOps.cpp DotOp: the result is the accumulator's type.
func.func @dot_result(%a: tensor<16x16xbf16>, %b: tensor<16x8xbf16>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op result 'tensor<16x8xbf16>' must have the accumulator's type 'tensor<16x8xf32>'}}
  %0 = tile.dot %a, %b, %c : tensor<16x16xbf16>, tensor<16x8xbf16>, tensor<16x8xf32> -> tensor<16x8xbf16>
  return
}

// -----

// TileOps.cpp DotOp: the inner dimensions agree.
func.func @dot_k(%a: tensor<16x32xbf16>, %b: tensor<16x8xbf16>, %c: tensor<16x8xf32>) {
  // expected-error @+1 {{'tile.dot' op a is 16x32 (K = 32) but b is 16x8 (K = 16); the inner dimensions must agree}}
  %0 = tile.dot %a, %b, %c : tensor<16x32xbf16>, tensor<16x8xbf16>, tensor<16x8xf32> -> tensor<16x8xf32>
  return
}

// -----

// TileOps.cpp DotOp: the accumulator is M x N.
func.func @dot_mn(%a: tensor<16x32xbf16>, %b: tensor<32x8xbf16>, %c: tensor<8x16xf32>) {
  // expected-error @+1 {{'tile.dot' op acc is 8x16 but a x b is 16x8 (M x N)}}
  %0 = tile.dot %a, %b, %c : tensor<16x32xbf16>, tensor<32x8xbf16>, tensor<8x16xf32> -> tensor<8x16xf32>
  return
}

// -----

// TileOps.cpp ReduceOp: only numbers reduce.
func.func @reduce_pointers(%p: tensor<16x!tile.ptr<f32>>) {
  // expected-error @+1 {{'tile.reduce' op reduces integer or float tiles, got 'tensor<16x!tile.ptr<f32>>'}}
  %0 = tile.reduce max %p axis 0 : tensor<16x!tile.ptr<f32>> -> !tile.ptr<f32>
  return
}

// -----

// TileOps.cpp ReduceOp: axis in 0 .. rank-1.
func.func @reduce_axis(%t: tensor<8x16xf32>) {
  // expected-error @+1 {{'tile.reduce' op axis 2 is out of range for a rank 2 tile}}
  %0 = tile.reduce sum %t axis 2 : tensor<8x16xf32> -> tensor<8xf32>
  return
}

// -----

// TileOps.cpp ReduceOp: the reduced axis disappears.
func.func @reduce_result(%t: tensor<8x16xf32>) {
  // expected-error @+1 {{'tile.reduce' op sum of 'tensor<8x16xf32>' along axis 1 gives 'tensor<8xf32>', but the result is 'tensor<16xf32>'}}
  %0 = tile.reduce sum %t axis 1 : tensor<8x16xf32> -> tensor<16xf32>
  return
}

// -----

// TileOps.cpp ReduceOp: argmax returns i32 positions.
func.func @reduce_argmax(%t: tensor<256xf32>) {
  // expected-error @+1 {{'tile.reduce' op argmax of 'tensor<256xf32>' along axis 0 gives 'i32' (i32 positions), but the result is 'f32'}}
  %0 = tile.reduce argmax %t axis 0 : tensor<256xf32> -> f32
  return
}

// -----

// ODS: silu is a float activation.
func.func @silu_int(%t: tensor<16xi32>) {
  // expected-error @+1 {{'tile.silu' op operand #0 must be a float scalar or a static-shape float tile, but got 'tensor<16xi32>'}}
  %0 = tile.silu %t : tensor<16xi32>
  return
}
