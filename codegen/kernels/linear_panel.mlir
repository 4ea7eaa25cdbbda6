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
//   grid: (ceil(m / BM), ceil(N / (P*BN)), 1); program (i, q) owns rows
//         i*BM .. i*BM+BM-1 of panels q*P .. q*P+P-1, in GROUP-row-block
//         groups (parts/program_groups.mlir).
//   params: W (f32, bf16 or i8), N, K, BM, BN (the panel width the weights
//           were packed with, 16), P (panels per program, read side by
//           side), GROUP (row blocks per group, >= 1).
//
// An outer product per K step: x[i, k] of the BM rows, each loaded once and
// broadcast along the panels, times each panel's BN contiguous weights of
// input k, added into a [P, BM, BN] f32 accumulator (P 1 by 6 rows is 12
// AVX2 registers: 12 FMAs per 2 weight loads and 6 broadcasts; P 2 by 8
// rows 16 of AVX-512's 32, two weight streams per core:
// TileHeuristics.h, choosePanelGemmTiles). It is stored as it is, no
// horizontal sums; each output sums its K products in order, one at a
// time. Rows past m are clamped to the last row of x (they read valid
// memory and are not stored); panels past the last are clamped to it
// (read, not stored), and the last panel's padding columns are zeros, not
// stored either. Weights are widened to f32 by an exact extf to f64 +
// truncf pair (one template for f32 and bf16; it folds away); int8 weights
// by sitofp, and the accumulator is scaled by the outputs' scales before
// the store (y = s * sum_k x q, one multiply per output). Block bases are
// 64-bit; offsets inside a block are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>,{{#W=i8}} %ws: !tile.ptr<f32>,{{/W=i8}} %y: !tile.ptr<f32>,
                        %m: i32, %x_stride: i32, %y_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{N}} ceildiv ({{P}} * {{BN}}), 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{P}}, {{BM}}, {{BN}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cP = arith.constant {{P}} : i32
    // This program's row block %pm and panel group %pn (panels pn*P ..).
    {{>program_groups}}
    %m0 = arith.muli %pm, %cBM : i32
    %span = arith.muli %cP, %cBN : i32
    %n0 = arith.muli %pn, %span : i32
    %m0w = arith.extsi %m0 : i32 to i64
    %n0w = arith.extsi %n0 : i32 to i64
    %xsw = arith.extsi %x_stride : i32 to i64
    %ysw = arith.extsi %y_stride : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %xBase = arith.muli %m0w, %xsw : i64
    %wBase = arith.muli %n0w, %cKw : i64
    %yRows = arith.muli %m0w, %ysw : i64
    %yBase = arith.addi %yRows, %n0w : i64
    // Block bases: x + m0*x_stride, w + (pn*P)*K*BN (= n0*K), y + m0*y_stride + n0.
    %xBlock = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %yBlock = tile.addptr %y, %yBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Row i's offset in x (clamped to row m-1): [1, BM, 1]. Panel p of the
    // group at p*K*BN (clamped to the last panel of w), lane j at j: the
    // weight offsets [P, 1, BN] of a K step.
    %rm = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %rp = tile.range <0, {{P}}> : tensor<{{P}}xi32>
    %mLeft = arith.subi %m, %m0 : i32
    %nLeft = arith.subi %cN, %n0 : i32
    %mLast = arith.subi %mLeft, %c1 : i32
    %mLastV = tile.splat %mLast : i32 -> tensor<{{BM}}xi32>
    %rowIn = arith.minsi %rm, %mLastV : tensor<{{BM}}xi32>
    %xsV = tile.splat %x_stride : i32 -> tensor<{{BM}}xi32>
    %xRowOff = arith.muli %rowIn, %xsV : tensor<{{BM}}xi32>
    %xOff2 = tile.expand_dims %xRowOff axis 0 : tensor<{{BM}}xi32> -> tensor<1x{{BM}}xi32>
    %xOff = tile.expand_dims %xOff2 axis 2 : tensor<1x{{BM}}xi32> -> tensor<1x{{BM}}x1xi32>
    {{>panel_offsets}}
    %pOffB = tile.broadcast %pOff3 : tensor<{{P}}x1x1xi32> -> tensor<{{P}}x1x{{BN}}xi32>
    %rn2 = tile.expand_dims %rn axis 0 : tensor<{{BN}}xi32> -> tensor<1x{{BN}}xi32>
    %rn3 = tile.expand_dims %rn2 axis 0 : tensor<1x{{BN}}xi32> -> tensor<1x1x{{BN}}xi32>
    %rnB = tile.broadcast %rn3 : tensor<1x1x{{BN}}xi32> -> tensor<{{P}}x1x{{BN}}xi32>
    %wOff = arith.addi %pOffB, %rnB : tensor<{{P}}x1x{{BN}}xi32>

    // acc[p, i, :] += x[i, k] * panel_p[k, :] for every k.
    %acc0 = arith.constant dense<0.0> : tensor<{{P}}x{{BM}}x{{BN}}xf32>
    %acc = scf.for %k = %c0 to %cK step %c1
        iter_args(%a = %acc0) -> (tensor<{{P}}x{{BM}}x{{BN}}xf32>) : i32 {
      %xk = tile.addptr %xBlock, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %kw = arith.muli %k, %cBN : i32
      %wk = tile.addptr %wBlock, %kw : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %xOff : !tile.ptr<f32>, tensor<1x{{BM}}x1xi32> -> tensor<1x{{BM}}x1x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{P}}x1x{{BN}}xi32> -> tensor<{{P}}x1x{{BN}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<1x{{BM}}x1x!tile.ptr<f32>> -> tensor<1x{{BM}}x1xf32>
      %wt = tile.load %wp : tensor<{{P}}x1x{{BN}}x!tile.ptr<{{W}}>> -> tensor<{{P}}x1x{{BN}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<{{P}}x1x{{BN}}xi8> to tensor<{{P}}x1x{{BN}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<{{P}}x1x{{BN}}x{{W}}> to tensor<{{P}}x1x{{BN}}xf64>
      %wf = arith.truncf %wWide : tensor<{{P}}x1x{{BN}}xf64> to tensor<{{P}}x1x{{BN}}xf32>
{{/W=i8}}
      %xB = tile.broadcast %xt : tensor<1x{{BM}}x1xf32> -> tensor<{{P}}x{{BM}}x{{BN}}xf32>
      %wB = tile.broadcast %wf : tensor<{{P}}x1x{{BN}}xf32> -> tensor<{{P}}x{{BM}}x{{BN}}xf32>
      %a2 = math.fma %xB, %wB, %a : tensor<{{P}}x{{BM}}x{{BN}}xf32>
      scf.yield %a2 : tensor<{{P}}x{{BM}}x{{BN}}xf32>
    }

    // Lane (p, i, j) is output n0 + p*BN + j of row m0 + i.
    %bnP = tile.splat %cBN : i32 -> tensor<{{P}}xi32>
    %colP = arith.muli %rp, %bnP : tensor<{{P}}xi32>
    %colP2 = tile.expand_dims %colP axis 1 : tensor<{{P}}xi32> -> tensor<{{P}}x1xi32>
    %colP3 = tile.expand_dims %colP2 axis 2 : tensor<{{P}}x1xi32> -> tensor<{{P}}x1x1xi32>
    %colPB = tile.broadcast %colP3 : tensor<{{P}}x1x1xi32> -> tensor<{{P}}x{{BM}}x{{BN}}xi32>
    %rnOut = tile.broadcast %rn3 : tensor<1x1x{{BN}}xi32> -> tensor<{{P}}x{{BM}}x{{BN}}xi32>
    %col = arith.addi %colPB, %rnOut : tensor<{{P}}x{{BM}}x{{BN}}xi32>
{{#W=i8}}
    // acc[p, i, j] *= the scale of output n0 + p*BN + j (padding: zero).
    %wsBlock = tile.addptr %ws, %n0 : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %colS2 = tile.expand_dims %colP2 axis 2 : tensor<{{P}}x1xi32> -> tensor<{{P}}x1x1xi32>
    %colSB = tile.broadcast %colS2 : tensor<{{P}}x1x1xi32> -> tensor<{{P}}x1x{{BN}}xi32>
    %sOff0 = arith.addi %colSB, %rnB : tensor<{{P}}x1x{{BN}}xi32>
    %lastCol = arith.muli %panelsLeft, %cBN : i32
    %lastCol1 = arith.subi %lastCol, %c1 : i32
    %lastColV = tile.splat %lastCol1 : i32 -> tensor<{{P}}x1x{{BN}}xi32>
    %sOff = arith.minsi %sOff0, %lastColV : tensor<{{P}}x1x{{BN}}xi32>
    %sp = tile.addptr %wsBlock, %sOff : !tile.ptr<f32>, tensor<{{P}}x1x{{BN}}xi32> -> tensor<{{P}}x1x{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp : tensor<{{P}}x1x{{BN}}x!tile.ptr<f32>> -> tensor<{{P}}x1x{{BN}}xf32>
    %sB = tile.broadcast %st : tensor<{{P}}x1x{{BN}}xf32> -> tensor<{{P}}x{{BM}}x{{BN}}xf32>
    %accOut = arith.mulf %acc, %sB : tensor<{{P}}x{{BM}}x{{BN}}xf32>
{{/W=i8}}

    // y[rows < m, columns < N] = acc.
    %ysV = tile.splat %y_stride : i32 -> tensor<{{BM}}xi32>
    %yRowOff = arith.muli %rm, %ysV : tensor<{{BM}}xi32>
    %yRowOff2 = tile.expand_dims %yRowOff axis 0 : tensor<{{BM}}xi32> -> tensor<1x{{BM}}xi32>
    %yRowOff3 = tile.expand_dims %yRowOff2 axis 2 : tensor<1x{{BM}}xi32> -> tensor<1x{{BM}}x1xi32>
    %yRowOffB = tile.broadcast %yRowOff3 : tensor<1x{{BM}}x1xi32> -> tensor<{{P}}x{{BM}}x{{BN}}xi32>
    %yOff = arith.addi %yRowOffB, %col : tensor<{{P}}x{{BM}}x{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %yOff : !tile.ptr<f32>, tensor<{{P}}x{{BM}}x{{BN}}xi32> -> tensor<{{P}}x{{BM}}x{{BN}}x!tile.ptr<f32>>
    %mLeftV = tile.splat %mLeft : i32 -> tensor<{{BM}}xi32>
    %rowOk = arith.cmpi slt, %rm, %mLeftV : tensor<{{BM}}xi32>
    %rowOk2 = tile.expand_dims %rowOk axis 0 : tensor<{{BM}}xi1> -> tensor<1x{{BM}}xi1>
    %rowOk3 = tile.expand_dims %rowOk2 axis 2 : tensor<1x{{BM}}xi1> -> tensor<1x{{BM}}x1xi1>
    %yRowMask = tile.broadcast %rowOk3 : tensor<1x{{BM}}x1xi1> -> tensor<{{P}}x{{BM}}x{{BN}}xi1>
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{P}}x{{BM}}x{{BN}}xi32>
    %yColMask = arith.cmpi slt, %col, %nLeftV : tensor<{{P}}x{{BM}}x{{BN}}xi32>
    %yMask = arith.andi %yRowMask, %yColMask : tensor<{{P}}x{{BM}}x{{BN}}xi1>
    tile.store %yPtrs, {{#W=i8}}%accOut{{/W=i8}}{{^W=i8}}%acc{{/W=i8}} mask %yMask : tensor<{{P}}x{{BM}}x{{BN}}x!tile.ptr<f32>>, tensor<{{P}}x{{BM}}x{{BN}}xf32>
    return
  }
}
