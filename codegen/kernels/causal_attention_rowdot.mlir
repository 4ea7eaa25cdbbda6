// causal_attention_rowdot: the CPU form of causal_attention (same
// arguments, grid and results; docs/kernels.md): decompressed MLA attention
// for a prefill, flash style, one program per (block of BM query tokens,
// head h), grid (ceil(tokens/BM), HEADS).
//
// Per block of BL keys, the scores S = (Q_nope K_nope^T + Q_pe K_pe^T) *
// SCALE are computed in row-dot form, two query rows at a time (BM is
// even): rows of Q and of K (k_nope[j, h], and k_pe[j] from the latent
// cache, of type CT) are contiguous along the head dimension, so each
// DK-lane step loads one vector of each query row and one per key (from L1
// after the first rows), shared by the two rows' [1, BL, DK] f32
// accumulators (2 x 8 registers, no spills); each row is summed and put in
// its row of the [BM, BL] tile by a select.
// Whole DK slices of P and R run unmasked, one masked step covers each
// tail. Query rows past `tokens` and keys past the causal end read the last
// valid row (their scores are masked, their outputs not stored; V rows too,
// so the V block loads unmasked: its p is 0). Then, as in causal_attention:
// an online softmax (running max m, sum l, guarded against -inf) and
// acc += P V with tile.dot ([BL, VB] of V is row-major, no transpose). The
// accumulator is rescaled by exp(m_old - m_new) only in blocks where some
// row's max grew (otherwise that factor is exp(0) = 1: same result), which
// after the first blocks is rare. Why this shape (2 cores, 2032 tokens):
// BM = 16 reads each K/V block once per 16 queries and amortizes the V
// block and accumulator copies of tile.dot's CPU lowering; BL = 8 keeps the
// score loop in registers and the [BM, BL] softmax tiles whole vectors
// (BL = 12 or 16 ran at half the speed; the previous 4 x 4 x 8 tile spilled
// and rescaled [4, VB] every 4 keys). The key loop stops at past + (last
// token of the block) + 1. Block bases are i64, lane offsets within a
// block i32.
module {
  func.func @{{KERNEL}}(%q: !tile.ptr<f32>, %kNope: !tile.ptr<f32>,
                        %kPe: !tile.ptr<{{CT}}>, %v: !tile.ptr<f32>,
                        %out: !tile.ptr<f32>, %past: i32,
                        %tokens: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{HEADS}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, {{BL}}, {{DK}}, {{VB}}]>} {
    %c0 = arith.constant 0 : i32
    %c1 = arith.constant 1 : i32
    %c2 = arith.constant 2 : i32
    %cP = arith.constant {{P}} : i32
    %cR = arith.constant {{R}} : i32
    %cV = arith.constant {{V}} : i32
    %cC = arith.constant {{C}} : i32
    %cHeads = arith.constant {{HEADS}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBL = arith.constant {{BL}} : i32
    %cDK = arith.constant {{DK}} : i32
    %scale = arith.constant {{SCALE}} : f32
    %negInf = arith.constant 0xFF800000 : f32
    %zeroF = arith.constant 0.0 : f32

    %qb = tile.program_id x : i32
    %h = tile.program_id y : i32
    %t0 = arith.muli %qb, %cBM : i32
    %t0End = arith.addi %t0, %cBM : i32
    %tEnd = arith.minsi %t0End, %tokens : i32
    // Keys 0 .. kEnd-1 are visible to some query of this block.
    %kEnd = arith.addi %past, %tEnd : i32
    %kLastAll = arith.subi %kEnd, %c1 : i32

    // Row strides (elements) of q, k_nope, the cache, v and out.
    %qW = arith.addi %cP, %cR : i32
    %qTokW = arith.muli %cHeads, %qW : i32
    %kTokW = arith.muli %cHeads, %cP : i32
    %cacheW = arith.addi %cC, %cR : i32
    %vTokW = arith.muli %cHeads, %cV : i32
    %qW64 = arith.extsi %qW : i32 to i64
    %cP64 = arith.extsi %cP : i32 to i64
    %cV64 = arith.extsi %cV : i32 to i64
    %cacheW64 = arith.extsi %cacheW : i32 to i64
    %heads64 = arith.extsi %cHeads : i32 to i64
    %h64 = arith.extsi %h : i32 to i64

    // Query lanes of the block: token t0 + i, valid while < tokens.
    %mLanes = tile.range <0, {{BM}}> : tensor<{{BM}}xi32>
    %t0v = tile.splat %t0 : i32 -> tensor<{{BM}}xi32>
    %tq = arith.addi %t0v, %mLanes : tensor<{{BM}}xi32>
    %tokV = tile.splat %tokens : i32 -> tensor<{{BM}}xi32>
    %qOk = arith.cmpi slt, %tq, %tokV : tensor<{{BM}}xi32>
    %pastV = tile.splat %past : i32 -> tensor<{{BM}}xi32>
    %qPos = arith.addi %pastV, %tq : tensor<{{BM}}xi32>
    %qOk2 = tile.expand_dims %qOk axis 1 : tensor<{{BM}}xi1> -> tensor<{{BM}}x1xi1>
    %qPos2 = tile.expand_dims %qPos axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %qPosB = tile.broadcast %qPos2 : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BL}}xi32>

    // Value lanes (VB).
    %vLanes = tile.range <0, {{VB}}> : tensor<{{VB}}xi32>
    %vLimit = tile.splat %cV : i32 -> tensor<{{VB}}xi32>
    %vOk = arith.cmpi slt, %vLanes, %vLimit : tensor<{{VB}}xi32>

    // Q rows: row r of the block is read at min(r, last valid row).
    %t064 = arith.extsi %t0 : i32 to i64
    %qTok = arith.muli %t064, %heads64 : i64
    %qTh = arith.addi %qTok, %h64 : i64
    %qOff = arith.muli %qTh, %qW64 : i64
    %qBase = tile.addptr %q, %qOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %qRowsLeft = arith.subi %tEnd, %t0 : i32
    %qLastRow = arith.subi %qRowsLeft, %c1 : i32
    %dLanes = tile.range <0, {{DK}}> : tensor<{{DK}}xi32>
    %dRow = tile.expand_dims %dLanes axis 0 : tensor<{{DK}}xi32> -> tensor<1x{{DK}}xi32>
    %dColK = tile.broadcast %dRow : tensor<1x{{DK}}xi32> -> tensor<{{BL}}x{{DK}}xi32>
    %dOffs1 = tile.broadcast %dRow : tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}xi32>
    %kTokWCol = tile.splat %kTokW : i32 -> tensor<{{BL}}x1xi32>
    %cacheWCol = tile.splat %cacheW : i32 -> tensor<{{BL}}x1xi32>
    %pSteps = arith.divsi %cP, %cDK : i32
    %pMain = arith.muli %pSteps, %cDK : i32
    %rSteps = arith.divsi %cR, %cDK : i32
    %rMain = arith.muli %rSteps, %cDK : i32
    %sAcc0 = arith.constant dense<0.0> : tensor<1x{{BL}}x{{DK}}xf32>
    %rowIdx2 = tile.expand_dims %mLanes axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %rowIdxS = tile.broadcast %rowIdx2 : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{BL}}xi32>

    %lLanes = tile.range <0, {{BL}}> : tensor<{{BL}}xi32>
    // V [BL, VB] column offsets.
    %vCol = tile.expand_dims %vLanes axis 0 : tensor<{{VB}}xi32> -> tensor<1x{{VB}}xi32>
    %vColB = tile.broadcast %vCol : tensor<1x{{VB}}xi32> -> tensor<{{BL}}x{{VB}}xi32>
    %vTokWCol = tile.splat %vTokW : i32 -> tensor<{{BL}}x1xi32>
    %vOk2 = tile.expand_dims %vOk axis 0 : tensor<{{VB}}xi1> -> tensor<1x{{VB}}xi1>
    %vOkB = tile.broadcast %vOk2 : tensor<1x{{VB}}xi1> -> tensor<{{BL}}x{{VB}}xi1>

    %kEndV = tile.splat %kEnd : i32 -> tensor<{{BL}}xi32>
    %scaleV = tile.splat %scale : f32 -> tensor<{{BM}}x{{BL}}xf32>
    %negInfS = tile.splat %negInf : f32 -> tensor<{{BM}}x{{BL}}xf32>
    %negInfM = tile.splat %negInf : f32 -> tensor<{{BM}}xf32>
    %zeroS = arith.constant dense<0.0> : tensor<{{BM}}x{{BL}}xf32>
    %zeroM = arith.constant dense<0.0> : tensor<{{BM}}xf32>
    %oneM = arith.constant dense<1.0> : tensor<{{BM}}xf32>
    %acc0 = arith.constant dense<0.0> : tensor<{{BM}}x{{VB}}xf32>

    %res:3 = scf.for %j0 = %c0 to %kEnd step %cBL
        iter_args(%m = %negInfM, %l = %zeroM, %acc = %acc0)
        -> (tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>) : i32 {
      %j0v = tile.splat %j0 : i32 -> tensor<{{BL}}xi32>
      %keys = arith.addi %j0v, %lLanes : tensor<{{BL}}xi32>
      %kOk = arith.cmpi slt, %keys, %kEndV : tensor<{{BL}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BL}}xi1> -> tensor<1x{{BL}}xi1>

      // Key row offsets of the block (BL x DK), keys past kEnd clamped to
      // key kEnd - 1 (masked below).
      %kLast = arith.subi %kLastAll, %j0 : i32
      %kLastV = tile.splat %kLast : i32 -> tensor<{{BL}}xi32>
      %keyIn = arith.minsi %lLanes, %kLastV : tensor<{{BL}}xi32>
      %keyCol = tile.expand_dims %keyIn axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
      %knRow = arith.muli %keyCol, %kTokWCol : tensor<{{BL}}x1xi32>
      %knRowB = tile.broadcast %knRow : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{DK}}xi32>
      %knOffs = arith.addi %knRowB, %dColK : tensor<{{BL}}x{{DK}}xi32>
      %krRow = arith.muli %keyCol, %cacheWCol : tensor<{{BL}}x1xi32>
      %krRowB = tile.broadcast %krRow : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{DK}}xi32>
      %krOffs = arith.addi %krRowB, %dColK : tensor<{{BL}}x{{DK}}xi32>
      %j064 = arith.extsi %j0 : i32 to i64
      %jHeads = arith.muli %j064, %heads64 : i64
      %jh = arith.addi %jHeads, %h64 : i64
      %knOff = arith.muli %jh, %cP64 : i64
      %knBase = tile.addptr %kNope, %knOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
      %krOff = arith.muli %j064, %cacheW64 : i64
      %krBase = tile.addptr %kPe, %krOff : !tile.ptr<{{CT}}>, i64 -> !tile.ptr<{{CT}}>
      // Two query rows at a time (rows r and r + 1, each clamped to the
      // last valid row): two [1, BL, DK] lane-wise accumulators share each
      // load of the BL key rows (which stay in L1 across the BM rows), 10
      // loads per 2 x BL FMAs where one row took BL + 1 per BL; each row
      // is summed and placed in its row of the block's scores by a select.
      %sQK = scf.for %r = %c0 to %cBM step %c2
          iter_args(%sBlk = %zeroS) -> (tensor<{{BM}}x{{BL}}xf32>) : i32 {
        %r1 = arith.addi %r, %c1 : i32
        %rInA = arith.minsi %r, %qLastRow : i32
        %rInB = arith.minsi %r1, %qLastRow : i32
        %rOffA = arith.muli %rInA, %qTokW : i32
        %rOffB = arith.muli %rInB, %qTokW : i32
        %qRowA = tile.addptr %qBase, %rOffA : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %qRowB = tile.addptr %qBase, %rOffB : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %qPeRowA = tile.addptr %qRowA, %cP : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %qPeRowB = tile.addptr %qRowB, %cP : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
        %sNopeMain:2 = scf.for %d = %c0 to %pMain step %cDK
            iter_args(%a = %sAcc0, %b = %sAcc0) -> (tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>) : i32 {
          %kd = tile.addptr %knBase, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %kp = tile.addptr %kd, %knOffs : !tile.ptr<f32>, tensor<{{BL}}x{{DK}}xi32> -> tensor<{{BL}}x{{DK}}x!tile.ptr<f32>>
          %kt = tile.load %kp : tensor<{{BL}}x{{DK}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{DK}}xf32>
          %k3 = tile.expand_dims %kt axis 0 : tensor<{{BL}}x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %qdA = tile.addptr %qRowA, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpA = tile.addptr %qdA, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtA = tile.load %qpA : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3A = tile.expand_dims %qtA axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBA = tile.broadcast %q3A : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nA = math.fma %qBA, %k3, %a : tensor<1x{{BL}}x{{DK}}xf32>
          %qdB = tile.addptr %qRowB, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpB = tile.addptr %qdB, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtB = tile.load %qpB : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3B = tile.expand_dims %qtB axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBB = tile.broadcast %q3B : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nB = math.fma %qBB, %k3, %b : tensor<1x{{BL}}x{{DK}}xf32>
          scf.yield %nA, %nB : tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>
        }
        %sNope:2 = scf.for %d = %pMain to %cP step %cDK
            iter_args(%a = %sNopeMain#0, %b = %sNopeMain#1) -> (tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>) : i32 {
          %dLeft = arith.subi %cP, %d : i32
          %dLeftV = tile.splat %dLeft : i32 -> tensor<1x{{DK}}xi32>
          %dOk = arith.cmpi slt, %dRow, %dLeftV : tensor<1x{{DK}}xi32>
          %kMaskD = tile.broadcast %dOk : tensor<1x{{DK}}xi1> -> tensor<{{BL}}x{{DK}}xi1>
          %kd = tile.addptr %knBase, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %kp = tile.addptr %kd, %knOffs : !tile.ptr<f32>, tensor<{{BL}}x{{DK}}xi32> -> tensor<{{BL}}x{{DK}}x!tile.ptr<f32>>
          %kt = tile.load %kp mask %kMaskD : tensor<{{BL}}x{{DK}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{DK}}xf32>
          %k3 = tile.expand_dims %kt axis 0 : tensor<{{BL}}x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %qdA = tile.addptr %qRowA, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpA = tile.addptr %qdA, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtA = tile.load %qpA mask %dOk : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3A = tile.expand_dims %qtA axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBA = tile.broadcast %q3A : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nA = math.fma %qBA, %k3, %a : tensor<1x{{BL}}x{{DK}}xf32>
          %qdB = tile.addptr %qRowB, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpB = tile.addptr %qdB, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtB = tile.load %qpB mask %dOk : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3B = tile.expand_dims %qtB axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBB = tile.broadcast %q3B : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nB = math.fma %qBB, %k3, %b : tensor<1x{{BL}}x{{DK}}xf32>
          scf.yield %nA, %nB : tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>
        }
        %sMain:2 = scf.for %d = %c0 to %rMain step %cDK
            iter_args(%a = %sNope#0, %b = %sNope#1) -> (tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>) : i32 {
          %kd = tile.addptr %krBase, %d : !tile.ptr<{{CT}}>, i32 -> !tile.ptr<{{CT}}>
          %kp = tile.addptr %kd, %krOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{DK}}xi32> -> tensor<{{BL}}x{{DK}}x!tile.ptr<{{CT}}>>
          %kt = tile.load %kp : tensor<{{BL}}x{{DK}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{DK}}x{{CT}}>
          %kWide = arith.extf %kt : tensor<{{BL}}x{{DK}}x{{CT}}> to tensor<{{BL}}x{{DK}}xf64>
          %kf = arith.truncf %kWide : tensor<{{BL}}x{{DK}}xf64> to tensor<{{BL}}x{{DK}}xf32>
          %k3 = tile.expand_dims %kf axis 0 : tensor<{{BL}}x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %qdA = tile.addptr %qPeRowA, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpA = tile.addptr %qdA, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtA = tile.load %qpA : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3A = tile.expand_dims %qtA axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBA = tile.broadcast %q3A : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nA = math.fma %qBA, %k3, %a : tensor<1x{{BL}}x{{DK}}xf32>
          %qdB = tile.addptr %qPeRowB, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpB = tile.addptr %qdB, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtB = tile.load %qpB : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3B = tile.expand_dims %qtB axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBB = tile.broadcast %q3B : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nB = math.fma %qBB, %k3, %b : tensor<1x{{BL}}x{{DK}}xf32>
          scf.yield %nA, %nB : tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>
        }
        %sAcc:2 = scf.for %d = %rMain to %cR step %cDK
            iter_args(%a = %sMain#0, %b = %sMain#1) -> (tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>) : i32 {
          %dLeft = arith.subi %cR, %d : i32
          %dLeftV = tile.splat %dLeft : i32 -> tensor<1x{{DK}}xi32>
          %dOk = arith.cmpi slt, %dRow, %dLeftV : tensor<1x{{DK}}xi32>
          %kMaskD = tile.broadcast %dOk : tensor<1x{{DK}}xi1> -> tensor<{{BL}}x{{DK}}xi1>
          %kd = tile.addptr %krBase, %d : !tile.ptr<{{CT}}>, i32 -> !tile.ptr<{{CT}}>
          %kp = tile.addptr %kd, %krOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{DK}}xi32> -> tensor<{{BL}}x{{DK}}x!tile.ptr<{{CT}}>>
          %kt = tile.load %kp mask %kMaskD : tensor<{{BL}}x{{DK}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{DK}}x{{CT}}>
          %kWide = arith.extf %kt : tensor<{{BL}}x{{DK}}x{{CT}}> to tensor<{{BL}}x{{DK}}xf64>
          %kf = arith.truncf %kWide : tensor<{{BL}}x{{DK}}xf64> to tensor<{{BL}}x{{DK}}xf32>
          %k3 = tile.expand_dims %kf axis 0 : tensor<{{BL}}x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %qdA = tile.addptr %qPeRowA, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpA = tile.addptr %qdA, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtA = tile.load %qpA mask %dOk : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3A = tile.expand_dims %qtA axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBA = tile.broadcast %q3A : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nA = math.fma %qBA, %k3, %a : tensor<1x{{BL}}x{{DK}}xf32>
          %qdB = tile.addptr %qPeRowB, %d : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
          %qpB = tile.addptr %qdB, %dOffs1 : !tile.ptr<f32>, tensor<1x{{DK}}xi32> -> tensor<1x{{DK}}x!tile.ptr<f32>>
          %qtB = tile.load %qpB mask %dOk : tensor<1x{{DK}}x!tile.ptr<f32>> -> tensor<1x{{DK}}xf32>
          %q3B = tile.expand_dims %qtB axis 1 : tensor<1x{{DK}}xf32> -> tensor<1x1x{{DK}}xf32>
          %qBB = tile.broadcast %q3B : tensor<1x1x{{DK}}xf32> -> tensor<1x{{BL}}x{{DK}}xf32>
          %nB = math.fma %qBB, %k3, %b : tensor<1x{{BL}}x{{DK}}xf32>
          scf.yield %nA, %nB : tensor<1x{{BL}}x{{DK}}xf32>, tensor<1x{{BL}}x{{DK}}xf32>
        }
        %sRowA = tile.reduce sum %sAcc#0 axis 2 : tensor<1x{{BL}}x{{DK}}xf32> -> tensor<1x{{BL}}xf32>
        %sRowB = tile.reduce sum %sAcc#1 axis 2 : tensor<1x{{BL}}x{{DK}}xf32> -> tensor<1x{{BL}}xf32>
        %sRowAB = tile.broadcast %sRowA : tensor<1x{{BL}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
        %sRowBB = tile.broadcast %sRowB : tensor<1x{{BL}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
        %rV = tile.splat %r : i32 -> tensor<{{BM}}x{{BL}}xi32>
        %r1V = tile.splat %r1 : i32 -> tensor<{{BM}}x{{BL}}xi32>
        %isRowA = arith.cmpi eq, %rowIdxS, %rV : tensor<{{BM}}x{{BL}}xi32>
        %isRowB = arith.cmpi eq, %rowIdxS, %r1V : tensor<{{BM}}x{{BL}}xi32>
        %sBlkA = arith.select %isRowA, %sRowAB, %sBlk : tensor<{{BM}}x{{BL}}xi1>, tensor<{{BM}}x{{BL}}xf32>
        %sBlk2 = arith.select %isRowB, %sRowBB, %sBlkA : tensor<{{BM}}x{{BL}}xi1>, tensor<{{BM}}x{{BL}}xf32>
        scf.yield %sBlk2 : tensor<{{BM}}x{{BL}}xf32>
      }
      %sScaled = arith.mulf %sQK, %scaleV : tensor<{{BM}}x{{BL}}xf32>

      // The causal mask: past + t >= key (and the key exists).
      %keysRow = tile.expand_dims %keys axis 0 : tensor<{{BL}}xi32> -> tensor<1x{{BL}}xi32>
      %keysB = tile.broadcast %keysRow : tensor<1x{{BL}}xi32> -> tensor<{{BM}}x{{BL}}xi32>
      %causal = arith.cmpi sge, %qPosB, %keysB : tensor<{{BM}}x{{BL}}xi32>
      %kOkS = tile.broadcast %kOkRow : tensor<1x{{BL}}xi1> -> tensor<{{BM}}x{{BL}}xi1>
      %visible = arith.andi %causal, %kOkS : tensor<{{BM}}x{{BL}}xi1>
      %s = arith.select %visible, %sScaled, %negInfS : tensor<{{BM}}x{{BL}}xi1>, tensor<{{BM}}x{{BL}}xf32>

      // Online softmax per row; the accumulator is rescaled only when some
      // row's max grew (otherwise alpha is exp(0) = 1: same result).
      %bMax = tile.reduce max %s axis 1 : tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}xf32>
      %grew = arith.cmpf ogt, %bMax, %m : tensor<{{BM}}xf32>
      %grewF = arith.select %grew, %oneM, %zeroM : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
      %anyGrew = tile.reduce max %grewF axis 0 : tensor<{{BM}}xf32> -> f32
      %rescale = arith.cmpf ogt, %anyGrew, %zeroF : f32
      %upd:3 = scf.if %rescale -> (tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>) {
        %mNew = arith.maximumf %m, %bMax : tensor<{{BM}}xf32>
        %noMax = arith.cmpf oeq, %mNew, %negInfM : tensor<{{BM}}xf32>
        %mSafe = arith.select %noMax, %zeroM, %mNew : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
        %mDiff = arith.subf %m, %mSafe : tensor<{{BM}}xf32>
        %alphaE = math.exp %mDiff : tensor<{{BM}}xf32>
        %noOld = arith.cmpf oeq, %m, %negInfM : tensor<{{BM}}xf32>
        %alpha = arith.select %noOld, %zeroM, %alphaE : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
        %lScaled = arith.mulf %l, %alpha : tensor<{{BM}}xf32>
        %alpha2 = tile.expand_dims %alpha axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
        %alphaB = tile.broadcast %alpha2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{VB}}xf32>
        %accScaled = arith.mulf %acc, %alphaB : tensor<{{BM}}x{{VB}}xf32>
        scf.yield %mNew, %lScaled, %accScaled : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
      } else {
        scf.yield %m, %l, %acc : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
      }

      %noMaxC = arith.cmpf oeq, %upd#0, %negInfM : tensor<{{BM}}xf32>
      %mSafeC = arith.select %noMaxC, %zeroM, %upd#0 : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
      %mSafe2 = tile.expand_dims %mSafeC axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
      %mSafeB = tile.broadcast %mSafe2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BL}}xf32>
      %sShift = arith.subf %s, %mSafeB : tensor<{{BM}}x{{BL}}xf32>
      %pE = math.exp %sShift : tensor<{{BM}}x{{BL}}xf32>
      %p = arith.select %visible, %pE, %zeroS : tensor<{{BM}}x{{BL}}xi1>, tensor<{{BM}}x{{BL}}xf32>
      %pSum = tile.reduce sum %p axis 1 : tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}xf32>
      %lNew = arith.addf %upd#1, %pSum : tensor<{{BM}}xf32>

      // acc += P V; keys past kEnd read row kEnd - 1 (their p is 0).
      %vKeyLast = arith.subi %kLastAll, %j0 : i32
      %vKeyLastV = tile.splat %vKeyLast : i32 -> tensor<{{BL}}xi32>
      %vKeyIn = arith.minsi %lLanes, %vKeyLastV : tensor<{{BL}}xi32>
      %vKeyCol = tile.expand_dims %vKeyIn axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
      %vKeyOff = arith.muli %vKeyCol, %vTokWCol : tensor<{{BL}}x1xi32>
      %vKeyOffB = tile.broadcast %vKeyOff : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{VB}}xi32>
      %vOffs = arith.addi %vKeyOffB, %vColB : tensor<{{BL}}x{{VB}}xi32>
      %vOff = arith.muli %jh, %cV64 : i64
      %vBase = tile.addptr %v, %vOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
      %vPtrs = tile.addptr %vBase, %vOffs : !tile.ptr<f32>, tensor<{{BL}}x{{VB}}xi32> -> tensor<{{BL}}x{{VB}}x!tile.ptr<f32>>
      %vBlk = tile.load %vPtrs mask %vOkB : tensor<{{BL}}x{{VB}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{VB}}xf32>
      %accNew = tile.dot %p, %vBlk, %upd#2 : tensor<{{BM}}x{{BL}}xf32>, tensor<{{BL}}x{{VB}}xf32>, tensor<{{BM}}x{{VB}}xf32> -> tensor<{{BM}}x{{VB}}xf32>
      scf.yield %upd#0, %lNew, %accNew : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
    }

    // out = acc / l (rows that saw no key: 0); padding rows not stored.
    %lPos = arith.cmpf ogt, %res#1, %zeroM : tensor<{{BM}}xf32>
    %invL = arith.divf %oneM, %res#1 : tensor<{{BM}}xf32>
    %inv = arith.select %lPos, %invL, %zeroM : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
    %inv2 = tile.expand_dims %inv axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
    %invB = tile.broadcast %inv2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{VB}}xf32>
    %o = arith.mulf %res#2, %invB : tensor<{{BM}}x{{VB}}xf32>
    %oOff = arith.muli %qTh, %cV64 : i64
    %oBase = tile.addptr %out, %oOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %oTokWv = tile.splat %vTokW : i32 -> tensor<{{BM}}xi32>
    %oLaneOff = arith.muli %mLanes, %oTokWv : tensor<{{BM}}xi32>
    %oLaneOff2 = tile.expand_dims %oLaneOff axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %oRowB = tile.broadcast %oLaneOff2 : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{VB}}xi32>
    %oColB = tile.broadcast %vCol : tensor<1x{{VB}}xi32> -> tensor<{{BM}}x{{VB}}xi32>
    %oOffs = arith.addi %oRowB, %oColB : tensor<{{BM}}x{{VB}}xi32>
    %qOkV = tile.broadcast %qOk2 : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{VB}}xi1>
    %vOkO = tile.broadcast %vOk2 : tensor<1x{{VB}}xi1> -> tensor<{{BM}}x{{VB}}xi1>
    %oMask = arith.andi %qOkV, %vOkO : tensor<{{BM}}x{{VB}}xi1>
    %oPtrs = tile.addptr %oBase, %oOffs : !tile.ptr<f32>, tensor<{{BM}}x{{VB}}xi32> -> tensor<{{BM}}x{{VB}}x!tile.ptr<f32>>
    tile.store %oPtrs, %o mask %oMask : tensor<{{BM}}x{{VB}}x!tile.ptr<f32>>, tensor<{{BM}}x{{VB}}xf32>
    return
  }
}
