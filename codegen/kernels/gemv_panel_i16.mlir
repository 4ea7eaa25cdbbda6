// Kernel template `gemv_panel_i16` (docs/kernels.md): `gemv_panel` for int8
// weights with int16 activations in integer arithmetic (docs/quantization.md,
// "int16 activations"): y = ws * xs * (w_q @ x_q), w in int8 column panels
// (runtime/io/WeightPanels.h, [ceil(N / BN)][K][BN], the layout
// `linear_panel` reads too), x_q the int16 pairs of `quantize_rows_i16`.
//
//   args: xq: ptr<i32> [ceil(K / 2)] (int16 pairs), xs: ptr<f32> [1] (x's
//         scale), w: ptr<i8> [ceil(N / BN), K, BN], ws: ptr<f32>
//         [ceil(N / BN) * BN] (the outputs' scales), y: ptr<f32> [N]
//   grid: (ceil(N / (P*BN)), 1, 1); program q owns panels q*P .. q*P+P-1.
//   params: N, K, BN (16), P (panels per program), BK (K pairs per
//           iteration: accumulator rows), CHUNK (iterations between
//           flushes of the i32 sums to f32).
//
// Each iteration takes BK pairs of K rows of every panel ([P, BK, 2, BN]
// int8, rows 2k .. 2k+2BK-1, contiguous) and the BK activation pairs
// covering them, and tile.pair_dot adds both products of each pair into a
// [P, BK, BN] i32 accumulator (pmaddwd / vpdpwssd: 32 multiply-adds per
// instruction instead of 16 with a conversion per weight). A lane gains at
// most 2 * 32767 * 127 per pair, so the i32 sums are added into an f32
// accumulator every CHUNK (<= 128) iterations, before they could wrap.
// Whole pairs run unmasked; one masked step covers the rest (the pairs
// past the last whole BK step, and an odd K's last row with a zero partner).
module {
  func.func @{{KERNEL}}(%xq: !tile.ptr<i32>, %xs: !tile.ptr<f32>, %w: !tile.ptr<i8>,
                        %ws: !tile.ptr<f32>, %y: !tile.ptr<f32>) attributes {
      tile.kernel = #tile.kernel<grid = () -> ({{N}} ceildiv ({{P}} * {{BN}}), 1, 1),
                                 grid_symbols = [],
                                 block = [{{P}}, {{BK}}, 2, {{BN}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cP = arith.constant {{P}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cBK = arith.constant {{BK}} : i32
    %cChunk = arith.constant {{CHUNK}} : i32
    %pq = tile.program_id x : i32
    %span = arith.muli %cP, %cBN : i32
    %n0 = arith.muli %pq, %span : i32
    %n0w = arith.extsi %n0 : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %wBase = arith.muli %n0w, %cKw : i64
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<i8>, i64 -> !tile.ptr<i8>
    %yBlock = tile.addptr %y, %n0w : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Weight offsets [P, BK, 2, BN]: panel p at p*K*BN (clamped to the last
    // panel of w), pair r's row t at (2r + t)*BN, lane j at j.
    %nLeft = arith.subi %cN, %n0 : i32
    %rp = tile.range <0, {{P}}> : tensor<{{P}}xi32>
    {{>panel_offsets}}
    %pOff4 = tile.expand_dims %pOff3 axis 3 : tensor<{{P}}x1x1xi32> -> tensor<{{P}}x1x1x1xi32>
    %pOffB = tile.broadcast %pOff4 : tensor<{{P}}x1x1x1xi32> -> tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    // Row 2r + t of the step (relative to its first row): [1, BK, 2, 1].
    %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
    %twoK = tile.splat %c2 : i32 -> tensor<{{BK}}xi32>
    %pairRow = arith.muli %rk, %twoK : tensor<{{BK}}xi32>
    %pairRow2 = tile.expand_dims %pairRow axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>
    %pairRowB = tile.broadcast %pairRow2 : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x2xi32>
    %rt = tile.range <0, 2> : tensor<2xi32>
    %rt2 = tile.expand_dims %rt axis 0 : tensor<2xi32> -> tensor<1x2xi32>
    %rtB = tile.broadcast %rt2 : tensor<1x2xi32> -> tensor<{{BK}}x2xi32>
    %stepRow = arith.addi %pairRowB, %rtB : tensor<{{BK}}x2xi32>
    %stepRow3 = tile.expand_dims %stepRow axis 0 : tensor<{{BK}}x2xi32> -> tensor<1x{{BK}}x2xi32>
    %stepRow4 = tile.expand_dims %stepRow3 axis 3 : tensor<1x{{BK}}x2xi32> -> tensor<1x{{BK}}x2x1xi32>
    %stepRowB = tile.broadcast %stepRow4 : tensor<1x{{BK}}x2x1xi32> -> tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    %bnV = tile.splat %cBN : i32 -> tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    %rowOff = arith.muli %stepRowB, %bnV : tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %rn2 = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rn3 = tile.expand_dims %rn2 axis 0 : tensor<1x{{BN}}xi32> -> tensor<1x1x{{BN}}xi32>
    %rn4 = tile.expand_dims %rn3 axis 0 : tensor<1x1x{{BN}}xi32> -> tensor<1x1x1x{{BN}}xi32>
    %rnB = tile.broadcast %rn4 : tensor<1x1x1x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    %wOff0 = arith.addi %pOffB, %rowOff : tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    %wOff = arith.addi %wOff0, %rnB : tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
    // Activation pair r of the step: [BK, 1].
    %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>

    // Whole pairs in whole BK steps, unmasked, flushed every CHUNK steps.
    %pairsWhole = arith.divsi %cK, %c2 : i32
    %steps = arith.divsi %pairsWhole, %cBK : i32
    %pMain = arith.muli %steps, %cBK : i32
    %chunkPairs = arith.muli %cChunk, %cBK : i32
    %izero = arith.constant dense<0> : tensor<{{P}}x{{BK}}x{{BN}}xi32>
    %fzero = arith.constant dense<0.0> : tensor<{{P}}x{{BK}}x{{BN}}xf32>
    %accMain = scf.for %c = %c0 to %pMain step %chunkPairs
        iter_args(%f = %fzero) -> (tensor<{{P}}x{{BK}}x{{BN}}xf32>) : i32 {
      %cNext = arith.addi %c, %chunkPairs : i32
      %cEnd = arith.minsi %cNext, %pMain : i32
      %sums = scf.for %kp = %c to %cEnd step %cBK
          iter_args(%a = %izero) -> (tensor<{{P}}x{{BK}}x{{BN}}xi32>) : i32 {
        %xk = tile.addptr %xq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
        %kRow = arith.muli %kp, %c2 : i32
        %kw = arith.muli %kRow, %cBN : i32
        %wk = tile.addptr %wBlock, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
        %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<i32>>
        %wp = tile.addptr %wk, %wOff : !tile.ptr<i8>, tensor<{{P}}x{{BK}}x2x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x2x{{BN}}x!tile.ptr<i8>>
        %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<i32>> -> tensor<{{BK}}x1xi32>
        %wt = tile.load %wp : tensor<{{P}}x{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{P}}x{{BK}}x2x{{BN}}xi8>
        %x3 = tile.expand_dims %xt axis 0 : tensor<{{BK}}x1xi32> -> tensor<1x{{BK}}x1xi32>
        %xB = tile.broadcast %x3 : tensor<1x{{BK}}x1xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
        %a2 = tile.pair_dot %xB, %wt, %a : tensor<{{P}}x{{BK}}x{{BN}}xi32>, tensor<{{P}}x{{BK}}x2x{{BN}}xi8>, tensor<{{P}}x{{BK}}x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
        scf.yield %a2 : tensor<{{P}}x{{BK}}x{{BN}}xi32>
      }
      %sumsF = arith.sitofp %sums : tensor<{{P}}x{{BK}}x{{BN}}xi32> to tensor<{{P}}x{{BK}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF : tensor<{{P}}x{{BK}}x{{BN}}xf32>
      scf.yield %f2 : tensor<{{P}}x{{BK}}x{{BN}}xf32>
    }

    // The rest (zero or one step): pairs < ceil(K / 2), rows < K.
    %kPlus = arith.addi %cK, %c1 : i32
    %pairsAll = arith.divsi %kPlus, %c2 : i32
    %acc = scf.for %kp = %pMain to %pairsAll step %cBK
        iter_args(%f = %accMain) -> (tensor<{{P}}x{{BK}}x{{BN}}xf32>) : i32 {
      %pLeft = arith.subi %pairsAll, %kp : i32
      %pLeftV = tile.splat %pLeft : i32 -> tensor<{{BK}}x1xi32>
      %xMask = arith.cmpi slt, %xOff, %pLeftV : tensor<{{BK}}x1xi32>
      %kRow = arith.muli %kp, %c2 : i32
      %rowsLeft = arith.subi %cK, %kRow : i32
      %rowsLeftV = tile.splat %rowsLeft : i32 -> tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
      %wMask = arith.cmpi slt, %stepRowB, %rowsLeftV : tensor<{{P}}x{{BK}}x2x{{BN}}xi32>
      %xk = tile.addptr %xq, %kp : !tile.ptr<i32>, i32 -> !tile.ptr<i32>
      %kw = arith.muli %kRow, %cBN : i32
      %wk = tile.addptr %wBlock, %kw : !tile.ptr<i8>, i32 -> !tile.ptr<i8>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<i32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<i32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<i8>, tensor<{{P}}x{{BK}}x2x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x2x{{BN}}x!tile.ptr<i8>>
      %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<i32>> -> tensor<{{BK}}x1xi32>
      %wt = tile.load %wp mask %wMask : tensor<{{P}}x{{BK}}x2x{{BN}}x!tile.ptr<i8>> -> tensor<{{P}}x{{BK}}x2x{{BN}}xi8>
      %x3 = tile.expand_dims %xt axis 0 : tensor<{{BK}}x1xi32> -> tensor<1x{{BK}}x1xi32>
      %xB = tile.broadcast %x3 : tensor<1x{{BK}}x1xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
      %sums = tile.pair_dot %xB, %wt, %izero : tensor<{{P}}x{{BK}}x{{BN}}xi32>, tensor<{{P}}x{{BK}}x2x{{BN}}xi8>, tensor<{{P}}x{{BK}}x{{BN}}xi32> -> tensor<{{P}}x{{BK}}x{{BN}}xi32>
      %sumsF = arith.sitofp %sums : tensor<{{P}}x{{BK}}x{{BN}}xi32> to tensor<{{P}}x{{BK}}x{{BN}}xf32>
      %f2 = arith.addf %f, %sumsF : tensor<{{P}}x{{BK}}x{{BN}}xf32>
      scf.yield %f2 : tensor<{{P}}x{{BK}}x{{BN}}xf32>
    }

    // y[n0 + p*BN + j] = ws[..] * xs * the sum of acc[p, :, j], for columns < N.
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
    %wsBlock = tile.addptr %ws, %n0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %sp = tile.addptr %wsBlock, %yOff : !tile.ptr<f32>, tensor<{{P}}x{{BN}}xi32> -> tensor<{{P}}x{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp mask %colOk : tensor<{{P}}x{{BN}}x!tile.ptr<f32>> -> tensor<{{P}}x{{BN}}xf32>
    %xScale = tile.load %xs : !tile.ptr<f32> -> f32
    %xScaleV = tile.splat %xScale : f32 -> tensor<{{P}}x{{BN}}xf32>
    %rowScaled = arith.mulf %sum, %st : tensor<{{P}}x{{BN}}xf32>
    %scaled = arith.mulf %rowScaled, %xScaleV : tensor<{{P}}x{{BN}}xf32>
    tile.store %yPtrs, %scaled mask %colOk : tensor<{{P}}x{{BN}}x!tile.ptr<f32>>, tensor<{{P}}x{{BN}}xf32>
    return
  }
}
