// Kernel template `linear_panel` (docs/kernels.md): the CPU's GEMM,
// y = x @ w^T for the m rows of x, with w in column panels
// (runtime/io/WeightPanels.h): panel p holds w's rows p*BN .. p*BN+BN-1
// K-major, [ceil(N / BN)][K][BN], rows past N zero.
//
//   args: x: ptr<f32> [m, K] (rows x_stride apart),
//         w: ptr<W> [ceil(N / BN), K, BN] (the panels),
//         ws: ptr<f32> [ceil(N / BN) * BN] (int8 weights only: each
//             output's scale, padding columns zero),
//         y: ptr<f32> [m, N] (rows y_stride apart),
//         m: i32, x_stride: i32, y_stride: i32
//   grid: (ceil(m / BM), ceil(N / BN), 1); program (i, p) owns rows
//         i*BM .. i*BM+BM-1 of panel p's columns, in GROUP-row-block groups
//         (parts/program_groups.mlir).
//   params: W (f32, bf16 or i8), N, K, BM, BN (the panel width the weights were
//           packed with, 16), GROUP (row blocks per group, >= 1).
//
// An outer product per K step: x[i, k] of the BM rows, each loaded once and
// broadcast along the panel, times the panel's BN contiguous weights of input
// k, added into a [BM, BN] f32 accumulator (6 x 16 is 12 AVX2 registers: 12
// FMAs per 2 weight loads and 6 broadcasts). The row-dot form
// (`linear_rowdot`) loads a vector per x row and per w row for the same FMAs
// and needs a horizontal sum per output; this one stores the accumulator as
// it is. Each output sums its K products in order, one at a time. Rows past
// m are clamped to the last row of x (they read valid memory and are not
// stored); the panel's padding columns are zeros and are not stored either.
// Weights are widened to f32 by an exact extf to f64 + truncf pair (one
// template for f32 and bf16; it folds away); int8 weights by sitofp, and
// the accumulator is scaled by the outputs' scales before the store
// (y = s * sum_k x q, one multiply per output). Block bases are 64-bit; offsets
// inside a block are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>,{{#W=i8}} %ws: !tile.ptr<f32>,{{/W=i8}} %y: !tile.ptr<f32>,
                        %m: i32, %x_stride: i32, %y_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv {{BN}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, {{BN}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBN = arith.constant {{BN}} : i32
    // This program's row block %pm and panel %pn.
    {{>program_groups}}
    %m0 = arith.muli %pm, %cBM : i32
    %n0 = arith.muli %pn, %cBN : i32
    %m0w = arith.extsi %m0 : i32 to i64
    %n0w = arith.extsi %n0 : i32 to i64
    %xsw = arith.extsi %x_stride : i32 to i64
    %ysw = arith.extsi %y_stride : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %xBase = arith.muli %m0w, %xsw : i64
    %wBase = arith.muli %n0w, %cKw : i64
    %yRows = arith.muli %m0w, %ysw : i64
    %yBase = arith.addi %yRows, %n0w : i64
    // Block bases: x + m0*x_stride, w + p*K*BN (= n0*K), y + m0*y_stride + n0.
    %xBlock = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %yBlock = tile.addptr %y, %yBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Row i's offset in x (clamped to row m-1); lane j's in a panel row.
    %rm = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %mLeft = arith.subi %m, %m0 : i32
    %nLeft = arith.subi %cN, %n0 : i32
    %mLast = arith.subi %mLeft, %c1 : i32
    %mLastV = tile.splat %mLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %mLastV : tensor<{{BM}}xi32>
    %xRowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %xsCol = tile.splat %x_stride : i32 -> tensor<{{BM}}x1xi32>
    %xOff = arith.muli %xRowCol, %xsCol : tensor<{{BM}}x1xi32>
    %wOff = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>

    // acc[i, :] += x[i, k] * panel[k, :] for every k.
    %acc0 = arith.constant dense<0.0> : tensor<{{BM}}x{{BN}}xf32>
    %acc = scf.for %k = %c0 to %cK step %c1
        iter_args(%a = %acc0) -> (tensor<{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %xBlock, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %wBlock, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<{{BM}}x1xi32> -> tensor<{{BM}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BM}}x1x!tile.ptr<f32>> -> tensor<{{BM}}x1xf32>
      %wt = tile.load %wp : tensor<1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<1x{{BN}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<1x{{BN}}xi8> to tensor<1x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<1x{{BN}}x{{W}}> to tensor<1x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<1x{{BN}}xf64> to tensor<1x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %wB = tile.broadcast %wf : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{BM}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{BM}}x{{BN}}xf32>
    }
{{#W=i8}}
    // acc[i, j] *= the scale of output n0 + j.
    %wsBlock = tile.addptr %ws, %n0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %sp = tile.addptr %wsBlock, %wOff : !tile.ptr<f32>, tensor<1x{{BN}}xi32> -> tensor<1x{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp : tensor<1x{{BN}}x!tile.ptr<f32>> -> tensor<1x{{BN}}xf32>
    %sB = tile.broadcast %st : tensor<1x{{BN}}xf32> -> tensor<{{BM}}x{{BN}}xf32>
    %accOut = arith.mulf %acc, %sB : tensor<{{BM}}x{{BN}}xf32>
{{/W=i8}}

    // y[rows < m, columns < N] = acc.
    %rmCol = tile.expand_dims %rm axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %ysCol = tile.splat %y_stride : i32 -> tensor<{{BM}}x1xi32>
    %yRowOff = arith.muli %rmCol, %ysCol : tensor<{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %rnRow = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rnRowB = tile.broadcast %rnRow : tensor<1x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}xi32>
    %yOff = arith.addi %yRowOffB, %rnRowB : tensor<{{BM}}x{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %yOff : !tile.ptr<f32>, tensor<{{BM}}x{{BN}}xi32> -> tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>
    %mLeftV = tile.splat %mLeft : i32 -> tensor<{{BM}}xi32>
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
    %rowOk = arith.cmpi slt, %rm, %mLeftV : tensor<{{BM}}xi32>
    %colOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
    %rowOkCol = tile.expand_dims %rowOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %colOkRow = tile.expand_dims %colOk axis 0 : tensor<{{BN}}xi1> -> tensor<1x{{BN}}xi1>
    %yRowMask = tile.broadcast %rowOkCol : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yColMask = tile.broadcast %colOkRow : tensor<1x{{BN}}xi1> -> tensor<{{BM}}x{{BN}}xi1>
    %yMask = arith.andi %yRowMask, %yColMask : tensor<{{BM}}x{{BN}}xi1>
    tile.store %yPtrs, {{#W=i8}}%accOut{{/W=i8}}{{^W=i8}}%acc{{/W=i8}} mask %yMask : tensor<{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{BM}}x{{BN}}xf32>
    return
  }
}
