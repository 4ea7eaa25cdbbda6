// Kernel template `gemv_panel` (docs/kernels.md): the CPU's matrix-vector
// product for one row (a decode step's token, the last row of a prefill),
// y = w @ x with w in column panels (runtime/io/WeightPanels.h,
// [ceil(N / BN)][K][BN], rows past N zero), the layout `linear_panel` reads.
//
//   args: x: ptr<f32> [K], w: ptr<W> [ceil(N / BN), K, BN], y: ptr<f32> [N]
//   grid: (ceil(N / BN), 1, 1); program p owns y[p*BN, p*BN+BN).
//   params: W (f32 or bf16), N, K, BN (the panel width, 16), BK (K steps
//           per iteration: independent accumulator rows).
//
// A panel is BN * K contiguous weights, read front to back: each iteration
// loads BK panel rows ([BK, BN], k .. k+BK-1) and x[k .. k+BK-1] (one scalar
// per row, broadcast along it) and adds their products into a [BK, BN]
// accumulator, BK independent FMA chains per column; after the K loop the BK
// rows are summed (lane-wise adds, no horizontal sums). The K loop runs
// unmasked over whole BK steps and one masked step covers the K % BK tail.
// Weights are widened to f32 by an exact extf to f64 + truncf pair (one
// template for f32 and bf16; it folds away). The panel base is 64-bit;
// offsets inside it are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>, %y: !tile.ptr<f32>) attributes {
      tile.kernel = #tile.kernel<grid = () -> ({{N}} ceildiv {{BN}}, 1, 1),
                                 grid_symbols = [],
                                 block = [{{BK}}, {{BN}}]>} {
    %c0 = arith.constant 0 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cBK = arith.constant {{BK}} : i32
    %pn = tile.program_id x : i32
    %n0 = arith.muli %pn, %cBN : i32
    // Bases: the panel w + p*K*BN (= n0*K), y + n0.
    %n0w = arith.extsi %n0 : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %wBase = arith.muli %n0w, %cKw : i64
    %wPanel = tile.addptr %w, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %yBlock = tile.addptr %y, %n0w : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Offsets of x[k + r] ([BK, 1]) and of panel row k + r, lane j ([BK, BN]:
    // r * BN + j).
    %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %xOff = tile.expand_dims %rk axis 1 : tensor<{{BK}}xi32> -> tensor<{{BK}}x1xi32>
    %bnCol = tile.splat %cBN : i32 -> tensor<{{BK}}x1xi32>
    %wRowOff = arith.muli %xOff, %bnCol : tensor<{{BK}}x1xi32>
    %wRowOffB = tile.broadcast %wRowOff : tensor<{{BK}}x1xi32> -> tensor<{{BK}}x{{BN}}xi32>
    %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}xi32>
    %wOff = arith.addi %wRowOffB, %rnRowB : tensor<{{BK}}x{{BN}}xi32>

    // Whole BK steps, unmasked: acc[r, :] += x[k + r] * panel[k + r, :].
    %steps = arith.divsi %cK, %cBK : i32
    %kMain = arith.muli %steps, %cBK : i32
    %acc0 = arith.constant dense<0.0> : tensor<{{BK}}x{{BN}}xf32>
    %accMain = scf.for %k = %c0 to %kMain step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %x, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %wPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %wt = tile.load %wp : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
      %xB = tile.broadcast %xt : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wf, %a : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BK}}x{{BN}}xf32>
    }

    // The K % BK tail (zero or one step), masked along its rows.
    %acc = scf.for %k = %kMain to %cK step %cBK
        iter_args(%a = %accMain) -> (tensor<{{BK}}x{{BN}}xf32>) : i32 {
      %kLeft = arith.subi %cK, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}x1xi32>
      %xMask = arith.cmpi slt, %xOff, %kLeftV : tensor<{{BK}}x1xi32>
      %wMask = tile.broadcast %xMask : tensor<{{BK}}x1xi1> -> tensor<{{BK}}x{{BN}}xi1>
      %xk = tile.addptr %x, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %wPanel, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BK}}x1xi32> -> tensor<{{BK}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BK}}x{{BN}}xi32> -> tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %xMask : tensor<{{BK}}x1x!tile.ptr<f32>> -> tensor<{{BK}}x1xf32>
      %wt = tile.load %wp mask %wMask : tensor<{{BK}}x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{BK}}x{{BN}}x{{W}}>
      %wWide = arith.extf %wt : tensor<{{BK}}x{{BN}}x{{W}}> to tensor<{{BK}}x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BK}}x{{BN}}xf64> to tensor<{{BK}}x{{BN}}xf32>
      %xB = tile.broadcast %xt : tensor<{{BK}}x1xf32> -> tensor<{{BK}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wf, %a : tensor<{{BK}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BK}}x{{BN}}xf32>
    }

    // y[n0 + j] = the sum of acc[:, j], stored for columns < N.
    %sum = tile.reduce sum %acc axis 0 : tensor<{{BK}}x{{BN}}xf32> -> tensor<{{BN}}xf32>
    %nLeft = arith.subi %cN, %n0 : i32
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
    %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    tile.store %yPtrs, %sum mask %colOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
    return
  }
}
