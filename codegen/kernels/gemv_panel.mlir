// Kernel template `gemv_panel` (docs/kernels.md): the CPU's matrix-vector
// product for one row (a decode step's token, the last row of a prefill),
// y = w @ x with w in column panels (runtime/io/WeightPanels.h,
// [ceil(N / BN)][K][BN], rows past N zero), the layout `linear_panel` reads.
//
//   args: x: ptr<f32> [K], w: ptr<W> [ceil(N / BN), K, BN],
//         ws: ptr<f32> [ceil(N / BN) * BN] (int8 weights only: the outputs'
//             scales), y: ptr<f32> [N]
//   grid: (ceil(N / (P*BN)), 1, 1); program q owns panels q*P .. q*P+P-1,
//         y[q*P*BN, (q+1)*P*BN).
//   params: W (f32, bf16 or i8), N, K, BN (the panel width, 16), P (panels per
//           program), BK (K steps per iteration: accumulator rows).
//
// Each panel is BN * K contiguous weights, read front to back; a program
// walks its P panels side by side, so P weight streams are in flight (one
// stream per core stalled at every 4 KiB page of a file-mapped engine:
// lm_head f32 24 GB/s with P = 1, 35 GB/s with P = 2). Each iteration loads
// BK rows of every panel ([P, BK, BN], k .. k+BK-1) and x[k .. k+BK-1] (a
// scalar per row, broadcast along it) into a [P, BK, BN] f32 accumulator;
// after the K loop its BK rows are summed (lane-wise adds, no horizontal
// sums). The K loop runs unmasked over whole BK steps and one masked step
// covers the K % BK tail. Panels past the last are clamped to it (read, not
// stored). Weights are widened to f32 by an exact extf to f64 + truncf pair
// (one template for f32 and bf16; it folds away); int8 weights by sitofp,
// and the sums are scaled by the outputs' scales before the store. The block base is 64-bit;
// offsets inside it are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>,{{#W=i8}} %ws: !tile.ptr<f32>,{{/W=i8}} %y: !tile.ptr<f32>) attributes {
      tile.kernel = #tile.kernel<grid = () -> ({{N}} ceildiv ({{P}} * {{BN}}), 1, 1),
                                 grid_symbols = [],
                                 block = [{{P}}, {{BK}}, {{BN}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cP = arith.constant {{P}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cBK = arith.constant {{BK}} : i32
    %pq = tile.program_id x : i32
    %span = arith.muli %cP, %cBN : i32
    %n0 = arith.muli %pq, %span : i32
    // Bases: the first panel w + n0*K, y + n0.
    %n0w = arith.extsi %n0 : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %wBase = arith.muli %n0w, %cKw : i64
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %yBlock = tile.addptr %y, %n0w : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Panel p of the block at p*K*BN (clamped to the last panel of w); row r
    // of a step at r*BN, lane j at j: offsets [P, BK, BN]. x[k + r]: [BK, 1].
    %nLeft = arith.subi %cN, %n0 : i32
    %rp = tile.range <0, {{P}}> : tensor<{{P}}xi32>
    {{>panel_offsets}}
    %pOffB = tile.broadcast %pOff3 : tensor<{{P}}x1x1xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
    %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
    %bnK = tile.splat %cBN : i32 -> tensor<{{BK}}xi32>
    %kOff = arith.muli %rk, %bnK : tensor<{{BK}}xi32>
    %kOff2 = tile.expand_dims %kOff axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %kOff3 = tile.expand_dims %kOff2 axis 2 : tensor<1x{{BK}}xi32> -> tensor<1x{{BK}}x1xi32>
    %kOffB = tile.broadcast %kOff3 : tensor<1x{{BK}}x1xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %rn2 = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rn3 = tile.expand_dims %rn2 axis 0 : tensor<1x{{BN}}xi32> -> tensor<1x1x{{BN}}xi32>
    %rnB = tile.broadcast %rn3 : tensor<1x1x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
    %wOff0 = arith.addi %pOffB, %kOffB : tensor<{{P}}x{{BK}}x{{BN}}xi32>
    %wOff = arith.addi %wOff0, %rnB : tensor<{{P}}x{{BK}}x{{BN}}xi32>
    %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>

    // Whole BK steps, unmasked: acc[p, r, :] += x[k + r] * panel_p[k + r, :].
    %steps = arith.divsi %cK, %cBK : i32
    %kMain = arith.muli %steps, %cBK : i32
    %acc0 = arith.constant dense<0.0> : tensor<{{P}}x{{BK}}x{{BN}}xf32>
    %accMain = scf.for %k = %c0 to %kMain step %cBK
        iter_args(%a = %acc0) -> (tensor<{{P}}x{{BK}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %x, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %wBlock, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{P}}x{{BK}}x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %wt = tile.load %wp : tensor<{{P}}x{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{P}}x{{BK}}x{{BN}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<{{P}}x{{BK}}x{{BN}}xi8> to tensor<{{P}}x{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<{{P}}x{{BK}}x{{BN}}x{{W}}> to tensor<{{P}}x{{BK}}x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<{{P}}x{{BK}}x{{BN}}xf64> to tensor<{{P}}x{{BK}}x{{BN}}xf32>
{{/W=i8}}
      %x3 = tile.expand_dims %xt axis 0 : tensor<{{BK}}x1xf32> -> tensor<1x{{BK}}x1xf32>
      %xB = tile.broadcast %x3 : tensor<1x{{BK}}x1xf32> -> tensor<{{P}}x{{BK}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wf, %a : tensor<{{P}}x{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{P}}x{{BK}}x{{BN}}xf32>
    }

    // The K % BK tail (zero or one step), masked along its rows.
    %acc = scf.for %k = %kMain to %cK step %cBK
        iter_args(%a = %accMain) -> (tensor<{{P}}x{{BK}}x{{BN}}xf32>) : i32 {
      %kLeft = arith.subi %cK, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}x1xi32>
      %xMask = arith.cmpi slt, %xOff, %kLeftV : tensor<{{BK}}x1xi32>
      %xMask3 = tile.expand_dims %xMask axis 0 : tensor<{{BK}}x1xi1> -> tensor<1x{{BK}}x1xi1>
      %wMask = tile.broadcast %xMask3 : tensor<1x{{BK}}x1xi1> -> tensor<{{P}}x{{BK}}x{{BN}}xi1>
      %xk = tile.addptr %x, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %wBlock, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{P}}x{{BK}}x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %wt = tile.load %wp mask %wMask : tensor<{{P}}x{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{P}}x{{BK}}x{{BN}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<{{P}}x{{BK}}x{{BN}}xi8> to tensor<{{P}}x{{BK}}x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<{{P}}x{{BK}}x{{BN}}x{{W}}> to tensor<{{P}}x{{BK}}x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<{{P}}x{{BK}}x{{BN}}xf64> to tensor<{{P}}x{{BK}}x{{BN}}xf32>
{{/W=i8}}
      %x3 = tile.expand_dims %xt axis 0 : tensor<{{BK}}x1xf32> -> tensor<1x{{BK}}x1xf32>
      %xB = tile.broadcast %x3 : tensor<1x{{BK}}x1xf32> -> tensor<{{P}}x{{BK}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wf, %a : tensor<{{P}}x{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{P}}x{{BK}}x{{BN}}xf32>
    }

    // y[n0 + p*BN + j] = the sum of acc[p, :, j], stored for columns < N.
    %sum = tile.reduce sum %acc axis 1 : tensor<{{P}}x{{BK}}x{{BN}}xf32> -> tensor<{{P}}x{{BN}}xf32>
    %rpCol = tile.expand_dims %rp axis 1 : tensor<{{P}}xi32> -> tensor<{{P}}x1xi32>
    %bnP = tile.splat %cBN : i32 -> tensor<{{P}}x1xi32>
    %yRow = arith.muli %rpCol, %bnP : tensor<{{P}}x1xi32>
    %yRowB = tile.broadcast %yRow : tensor<{{P}}x1xi32> -> tensor<{{P}}x{{BN}}xi32>
    %rnP = tile.broadcast %rn2 : tensor<1x{{BN}}xi32> -> tensor<{{P}}x{{BN}}xi32>
    %yOff = arith.addi %yRowB, %rnP : tensor<{{P}}x{{BN}}xi32>
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{P}}x{{BN}}xi32>
    %colOk = arith.cmpi slt, %yOff, %nLeftV : tensor<{{P}}x{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %yOff : !tile.ptr<f32>, tensor<{{P}}x{{BN}}xi32> -> tensor<{{P}}x{{BN}}x!tile.ptr<f32>>
{{#W=i8}}
    // sum[p, j] *= the scale of output n0 + p*BN + j (panels past the last
    // are masked: the scales end with the last panel).
    %wsBlock = tile.addptr %ws, %n0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %sp = tile.addptr %wsBlock, %yOff : !tile.ptr<f32>, tensor<{{P}}x{{BN}}xi32> -> tensor<{{P}}x{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp mask %colOk : tensor<{{P}}x{{BN}}x!tile.ptr<f32>> -> tensor<{{P}}x{{BN}}xf32>
    %scaled = arith.mulf %sum, %st : tensor<{{P}}x{{BN}}xf32>
{{/W=i8}}
    tile.store %yPtrs, {{#W=i8}}%scaled{{/W=i8}}{{^W=i8}}%sum{{/W=i8}} mask %colOk : tensor<{{P}}x{{BN}}x!tile.ptr<f32>>, tensor<{{P}}x{{BN}}xf32>
    return
  }
}
