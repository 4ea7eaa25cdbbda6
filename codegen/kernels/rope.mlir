// Kernel template `rope` (docs/kernels.md): the rotary embedding of one head
// of one token per program, in place, on adjacent pairs (2j, 2j+1):
//   angle = (start + t) * inv_freq[j]
//   (a, b) -> (a cos - b sin, b cos + a sin), cos and sin times SCALE
// for the head at x + t*token_stride + h*head_stride + OFFSET (R = 2*HALF
// contiguous elements, e.g. the q_pe part at the end of a [q_nope | q_pe]
// head, or the k_pe columns of kv_a's rows).
//
//   args: x: ptr<f32>, inv_freq: ptr<f32> [HALF], token_stride: i32,
//         head_stride: i32, start: i32 (the position of token 0)
//   grid: (T, HEADS, 1); program (t, h).
//   params: HEADS, HALF (= R/2), HALF_BLOCK (power of two >= HALF), OFFSET
//           (elements), SCALE (an f32 literal such as 1.000000e+00; the
//           YaRN cos/sin factor).
//
// The even and odd elements are loaded as two HALF_BLOCK tiles through the
// strided offsets 2*j and 2*j+1; lanes j >= HALF are masked. The angle, cos
// and sin are f32 (math.cos / math.sin).
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %inv_freq: !tile.ptr<f32>, %token_stride: i32,
                        %head_stride: i32, %start: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{HEADS}}, 1),
                                 grid_symbols = ["tokens"], block = [{{HALF_BLOCK}}]>} {
    %cHalf = arith.constant {{HALF}} : i32
    %cOffset = arith.constant {{OFFSET}} : i64
    %scale = arith.constant {{SCALE}} : f32
    %t = tile.program_id x : i32
    %h = tile.program_id y : i32
    %tw = arith.extsi %t : i32 to i64
    %hw = arith.extsi %h : i32 to i64
    %tsw = arith.extsi %token_stride : i32 to i64
    %hsw = arith.extsi %head_stride : i32 to i64
    %tOff = arith.muli %tw, %tsw : i64
    %hOff = arith.muli %hw, %hsw : i64
    %thOff = arith.addi %tOff, %hOff : i64
    %headOff = arith.addi %thOff, %cOffset : i64
    %head = tile.addptr %x, %headOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    %j = tile.range <0, {{HALF_BLOCK}}> : tensor<{{HALF_BLOCK}}xi32>
    %halfV = tile.splat %cHalf : i32 -> tensor<{{HALF_BLOCK}}xi32>
    %ok = arith.cmpi slt, %j, %halfV : tensor<{{HALF_BLOCK}}xi32>
    %two = arith.constant dense<2> : tensor<{{HALF_BLOCK}}xi32>
    %one = arith.constant dense<1> : tensor<{{HALF_BLOCK}}xi32>
    %evenOff = arith.muli %j, %two : tensor<{{HALF_BLOCK}}xi32>
    %oddOff = arith.addi %evenOff, %one : tensor<{{HALF_BLOCK}}xi32>
    %evenPtrs = tile.addptr %head, %evenOff : !tile.ptr<f32>, tensor<{{HALF_BLOCK}}xi32> -> tensor<{{HALF_BLOCK}}x!tile.ptr<f32>>
    %oddPtrs = tile.addptr %head, %oddOff : !tile.ptr<f32>, tensor<{{HALF_BLOCK}}xi32> -> tensor<{{HALF_BLOCK}}x!tile.ptr<f32>>
    %freqPtrs = tile.addptr %inv_freq, %j : !tile.ptr<f32>, tensor<{{HALF_BLOCK}}xi32> -> tensor<{{HALF_BLOCK}}x!tile.ptr<f32>>
    %a = tile.load %evenPtrs mask %ok : tensor<{{HALF_BLOCK}}x!tile.ptr<f32>> -> tensor<{{HALF_BLOCK}}xf32>
    %b = tile.load %oddPtrs mask %ok : tensor<{{HALF_BLOCK}}x!tile.ptr<f32>> -> tensor<{{HALF_BLOCK}}xf32>
    %freq = tile.load %freqPtrs mask %ok : tensor<{{HALF_BLOCK}}x!tile.ptr<f32>> -> tensor<{{HALF_BLOCK}}xf32>

    // angle = (start + t) * inv_freq[j]; cos and sin scaled by SCALE.
    %pos = arith.addi %start, %t : i32
    %posF = arith.sitofp %pos : i32 to f32
    %posV = tile.splat %posF : f32 -> tensor<{{HALF_BLOCK}}xf32>
    %angle = arith.mulf %posV, %freq : tensor<{{HALF_BLOCK}}xf32>
    %cosRaw = math.cos %angle : tensor<{{HALF_BLOCK}}xf32>
    %sinRaw = math.sin %angle : tensor<{{HALF_BLOCK}}xf32>
    %scaleV = tile.splat %scale : f32 -> tensor<{{HALF_BLOCK}}xf32>
    %cos = arith.mulf %cosRaw, %scaleV : tensor<{{HALF_BLOCK}}xf32>
    %sin = arith.mulf %sinRaw, %scaleV : tensor<{{HALF_BLOCK}}xf32>

    // (a, b) -> (a cos - b sin, b cos + a sin)
    %ac = arith.mulf %a, %cos : tensor<{{HALF_BLOCK}}xf32>
    %bs = arith.mulf %b, %sin : tensor<{{HALF_BLOCK}}xf32>
    %bc = arith.mulf %b, %cos : tensor<{{HALF_BLOCK}}xf32>
    %as = arith.mulf %a, %sin : tensor<{{HALF_BLOCK}}xf32>
    %newA = arith.subf %ac, %bs : tensor<{{HALF_BLOCK}}xf32>
    %newB = arith.addf %bc, %as : tensor<{{HALF_BLOCK}}xf32>
    tile.store %evenPtrs, %newA mask %ok : tensor<{{HALF_BLOCK}}x!tile.ptr<f32>>, tensor<{{HALF_BLOCK}}xf32>
    tile.store %oddPtrs, %newB mask %ok : tensor<{{HALF_BLOCK}}x!tile.ptr<f32>>, tensor<{{HALF_BLOCK}}xf32>
    return
  }
}
