// Kernel template `gemv` (docs/kernels.md): BATCH matrix-vector products
// for single-token (decode) steps, y_b = w_b @ x_b with w_b = w + b*N*K in
// the nn.Linear layout [N, K] (rows contiguous along K).
//
//   args: x: ptr<f32> (x_b[:K] at x + b*x_batch_stride),
//         w: ptr<W> [BATCH, N, K] (contiguous),
//         ws: ptr<f32> [BATCH, N] (int8 weights only: each row's scale),
//         y: ptr<f32> (y_b[:N] at y + b*y_batch_stride),
//         x_batch_stride: i32, y_batch_stride: i32
//   grid: (ceil(N / BN), BATCH, 1); program (j, b) owns y_b[j*BN, j*BN+BN).
//   params: W (f32, bf16 or i8), N, K, BATCH, BN (rows of w per program),
//           BK (columns per K step).
//
// Each K step loads a [BN, BK] tile of w, one contiguous row slice per
// output row (no gather, no transpose), multiplies it by x[k:k+BK] broadcast
// over the rows and adds it lane-wise into a [BN, BK] f32 accumulator; after
// the K loop each row is reduced (tile.reduce sum, a horizontal sum whose
// order is unspecified). The K loop runs unmasked over the whole BK slices
// and one masked step covers the K % BK tail. The rows of the last block
// beyond N are clamped to row N-1 (they read valid memory and their results
// are not stored), so the loads need no row mask. Weights are widened to
// f32 by an exact extf to f64 + truncf pair (one template for f32 and bf16;
// it folds away); int8 weights by sitofp, each row's sum then times its
// scale. Batch and block bases are 64-bit; offsets inside a block are i32.
module {
  func.func @{{KERNEL}}(%x: !tile.ptr<f32>, %w: !tile.ptr<{{W}}>,{{#W=i8}} %ws: !tile.ptr<f32>,{{/W=i8}} %y: !tile.ptr<f32>,
                        %x_batch_stride: i32, %y_batch_stride: i32) attributes {
      tile.kernel = #tile.kernel<grid = () -> ({{N}} ceildiv {{BN}}, {{BATCH}}, 1),
                                 grid_symbols = [],
                                 block = [{{BN}}, {{BK}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %cN = arith.constant {{N}} : i32
    %cK = arith.constant {{K}} : i32
    %cBN = arith.constant {{BN}} : i32
    %cBK = arith.constant {{BK}} : i32
    %pn = tile.program_id x : i32
    %pb = tile.program_id y : i32
    %n0 = arith.muli %pn, %cBN : i32

    // Bases: w + b*N*K + n0*K, x + b*x_batch_stride, y + b*y_batch_stride + n0.
    %pbw = arith.extsi %pb : i32 to i64
    %n0w = arith.extsi %n0 : i32 to i64
    %cNw = arith.extsi %cN : i32 to i64
    %cKw = arith.extsi %cK : i32 to i64
    %xsw = arith.extsi %x_batch_stride : i32 to i64
    %ysw = arith.extsi %y_batch_stride : i32 to i64
    %matrix = arith.muli %cNw, %cKw : i64
    %wBatch = arith.muli %pbw, %matrix : i64
    %wRows = arith.muli %n0w, %cKw : i64
    %wBase = arith.addi %wBatch, %wRows : i64
    %xBase = arith.muli %pbw, %xsw : i64
    %yBatch = arith.muli %pbw, %ysw : i64
    %yBase = arith.addi %yBatch, %n0w : i64
    %wBlock = tile.addptr %w, %wBase : !tile.ptr<{{W}}>, i64 -> !tile.ptr<{{W}}>
    %xBlock = tile.addptr %x, %xBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %yBlock = tile.addptr %y, %yBase : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Rows of the block, clamped to the last row of w.
    %rn = tile.range <0, {{BN}}> : tensor<{{BN}}xi32>
    %rk = tile.range <0, {{BK}}> : tensor<{{BK}}xi32>
    %nLeft = arith.subi %cN, %n0 : i32
    %nLast = arith.subi %nLeft, %c1 : i32
    %nLastV = tile.splat %nLast : i32 -> tensor<{{BN}}xi32>
    %rowIn = arith.minsi %rn, %nLastV : tensor<{{BN}}xi32>

    // Offsets of the w tile (BN x BK): row[:, None] * K + rk[None, :]; each K
    // step adds them (and rk for x) to the block bases advanced by k, scalar
    // pointers that the CPU lowering keeps in scalar registers.
    %rowCol = tile.expand_dims %rowIn axis 1 : tensor<{{BN}}xi32> -> tensor<{{BN}}x1xi32>
    %kCol = tile.splat %cK : i32 -> tensor<{{BN}}x1xi32>
    %rowOff = arith.muli %rowCol, %kCol : tensor<{{BN}}x1xi32>
    %rowOffB = tile.broadcast %rowOff : tensor<{{BN}}x1xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %rkRow = tile.expand_dims %rk axis 0 : tensor<{{BK}}xi32> -> tensor<1x{{BK}}xi32>
    %rkRowB = tile.broadcast %rkRow : tensor<1x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}xi32>
    %wOff = arith.addi %rowOffB, %rkRowB : tensor<{{BN}}x{{BK}}xi32>

    // Whole BK slices, unmasked.
    %steps = arith.divsi %cK, %cBK : i32
    %kMain = arith.muli %steps, %cBK : i32
    %acc0 = arith.constant dense<0.0> : tensor<{{BN}}x{{BK}}xf32>
    %accMain = scf.for %k = %c0 to %kMain step %cBK
        iter_args(%a = %acc0) -> (tensor<{{BN}}x{{BK}}xf32>) : i32 {
      %xk = tile.addptr %xBlock, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %wk = tile.addptr %wBlock, %k : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %rk : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
      %wt = tile.load %wp : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %xRow = tile.expand_dims %xt axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
      %xB = tile.broadcast %xRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %prod = arith.mulf %wf, %xB : tensor<{{BN}}x{{BK}}xf32>
      %a2 = arith.addf %a, %prod : tensor<{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BN}}x{{BK}}xf32>
    }

    // The K % BK tail (zero or one step), masked along K.
    %acc = scf.for %k = %kMain to %cK step %cBK
        iter_args(%a = %accMain) -> (tensor<{{BN}}x{{BK}}xf32>) : i32 {
      %kLeft = arith.subi %cK, %k : i32
      %kLeftV = tile.splat %kLeft : i32 -> tensor<{{BK}}xi32>
      %kOk = arith.cmpi slt, %rk, %kLeftV : tensor<{{BK}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BK}}xi1> -> tensor<1x{{BK}}xi1>
      %wMask = tile.broadcast %kOkRow : tensor<1x{{BK}}xi1> -> tensor<{{BN}}x{{BK}}xi1>
      %xk = tile.addptr %xBlock, %k : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
      %wk = tile.addptr %wBlock, %k : !tile.ptr<{{W}}>, i32 -> !tile.ptr<{{W}}>
      %xp = tile.addptr %xk, %rk : !tile.ptr<f32>, tensor<{{BK}}xi32> -> tensor<{{BK}}x!tile.ptr<f32>>
      %wp = tile.addptr %wk, %wOff : !tile.ptr<{{W}}>, tensor<{{BN}}x{{BK}}xi32> -> tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>>
      %xt = tile.load %xp mask %kOk : tensor<{{BK}}x!tile.ptr<f32>> -> tensor<{{BK}}xf32>
      %wt = tile.load %wp mask %wMask : tensor<{{BN}}x{{BK}}x!tile.ptr<{{W}}>> -> tensor<{{BN}}x{{BK}}x{{W}}>
{{#W=i8}}
      %wf = arith.sitofp %wt : tensor<{{BN}}x{{BK}}xi8> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}{{^W=i8}}
      %wWide = arith.extf %wt : tensor<{{BN}}x{{BK}}x{{W}}> to tensor<{{BN}}x{{BK}}xf64>
      %wf = arith.truncf %wWide : tensor<{{BN}}x{{BK}}xf64> to tensor<{{BN}}x{{BK}}xf32>
{{/W=i8}}
      %xRow = tile.expand_dims %xt axis 0 : tensor<{{BK}}xf32> -> tensor<1x{{BK}}xf32>
      %xB = tile.broadcast %xRow : tensor<1x{{BK}}xf32> -> tensor<{{BN}}x{{BK}}xf32>
      %prod = arith.mulf %wf, %xB : tensor<{{BN}}x{{BK}}xf32>
      %a2 = arith.addf %a, %prod : tensor<{{BN}}x{{BK}}xf32>
      scf.yield %a2 : tensor<{{BN}}x{{BK}}xf32>
    }

    // y[n0 + i] = sum_k acc[i, k] for the rows below N.
    %sum = tile.reduce sum %acc axis 1 : tensor<{{BN}}x{{BK}}xf32> -> tensor<{{BN}}xf32>
    %nLeftV = tile.splat %nLeft : i32 -> tensor<{{BN}}xi32>
    %rowOk = arith.cmpi slt, %rn, %nLeftV : tensor<{{BN}}xi32>
    %yPtrs = tile.addptr %yBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
{{#W=i8}}
    // sum[i] *= the scale of row n0 + i of w_b (ws_b = ws + b*N).
    %wsBatch = arith.muli %pbw, %cNw : i64
    %wsAt = arith.addi %wsBatch, %n0w : i64
    %wsBlock = tile.addptr %ws, %wsAt : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %sp = tile.addptr %wsBlock, %rn : !tile.ptr<f32>, tensor<{{BN}}xi32> -> tensor<{{BN}}x!tile.ptr<f32>>
    %st = tile.load %sp mask %rowOk : tensor<{{BN}}x!tile.ptr<f32>> -> tensor<{{BN}}xf32>
    %scaled = arith.mulf %sum, %st : tensor<{{BN}}xf32>
{{/W=i8}}
    tile.store %yPtrs, {{#W=i8}}%scaled{{/W=i8}}{{^W=i8}}%sum{{/W=i8}} mask %rowOk : tensor<{{BN}}x!tile.ptr<f32>>, tensor<{{BN}}xf32>
    return
  }
}
