// causal_attention: decompressed MLA attention (prefill), flash style.
//
// One program per (block of BM query tokens, head h); grid
// (ceil(tokens/BM), HEADS). Query t (at position past+t) of head h is
// q[t, h] = [q_nope (P) | q_pe (R)]; key j of head h is
// [k_nope[j, h] (P) | k_pe[j] (R)], where k_pe is the one rope head all
// heads share, read from the latent cache rows (the k_pe argument points at
// column C of the cache; rows are C+R apart, elements of type CT, f32 or
// bf16); the value is v[j, h] (V). Query t sees keys 0 .. past+t:
//   S = (Q_nope K_nope^T + Q_pe K_pe^T) * SCALE      [BM, BL] per key block
// with tile.dot (f32 accumulation), then an online softmax over blocks of
// BL keys (running row max m, row sum l, accumulator rescaled by
// exp(m_old - m_new)) and acc += P V with tile.dot. K_nope blocks are
// loaded as key rows ([BL, PB]: contiguous, so the loads are wide) and the
// dot takes their transpose (tile.trans); K_pe^T blocks ([RB, BL]) are
// loaded transposed by pointer arithmetic (column j is key j): as rows too,
// ptxas capped this kernel at 128 registers on sm_80 and spilled (160
// without spills before; 145 now). The key loop stops
// at past + (last token of the block) + 1 (causal skip). Masked scores are
// -inf, their weights 0; the running max is guarded so a row that sees no
// key in a block (or at all) produces no NaN. Query rows at or past
// `tokens` read zeros and are not stored. k_pe is widened through f64
// (extf, truncf), which is exact and valid for CT = f32 as well. DOT = bf16
// (GPU engines over bf16 weights, whose GEMMs take bf16 operands) rounds
// q, the K blocks, V and P to bf16 for the three dots (tensor cores with
// BM 16; sums and softmax stay f32); DOT = f32 keeps f32 operands. Block
// base addresses are i64, lane offsets within a block i32.
module {
  func.func @{{KERNEL}}(%q: !tile.ptr<f32>, %kNope: !tile.ptr<f32>,
                        %kPe: !tile.ptr<{{CT}}>, %v: !tile.ptr<f32>,
                        %out: !tile.ptr<f32>, %past: i32,
                        %tokens: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0 ceildiv {{BM}}, {{HEADS}}, 1),
                                 grid_symbols = ["tokens"],
                                 block = [{{BM}}, {{BL}}, {{PB}}, {{RB}}, {{VB}}]>} {
    %c0 = arith.constant 0 : i32
    %cP = arith.constant {{P}} : i32
    %cR = arith.constant {{R}} : i32
    %cV = arith.constant {{V}} : i32
    %cC = arith.constant {{C}} : i32
    %cHeads = arith.constant {{HEADS}} : i32
    %cBM = arith.constant {{BM}} : i32
    %cBL = arith.constant {{BL}} : i32
    %scale = arith.constant {{SCALE}} : f32
    %negInf = arith.constant 0xFF800000 : f32

    %qb = tile.program_id x : i32
    %h = tile.program_id y : i32
    %t0 = arith.muli %qb, %cBM : i32
    %t0End = arith.addi %t0, %cBM : i32
    %tEnd = arith.minsi %t0End, %tokens : i32
    // Keys 0 .. kEnd-1 are visible to some query of this block.
    %kEnd = arith.addi %past, %tEnd : i32

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

    // Column lanes: P (PB), R (RB), V (VB).
    %pLanes = tile.range <0, {{PB}}> : tensor<{{PB}}xi32>
    %pLimit = tile.splat %cP : i32 -> tensor<{{PB}}xi32>
    %pOk = arith.cmpi slt, %pLanes, %pLimit : tensor<{{PB}}xi32>
    %rLanes = tile.range <0, {{RB}}> : tensor<{{RB}}xi32>
    %rLimit = tile.splat %cR : i32 -> tensor<{{RB}}xi32>
    %rOk = arith.cmpi slt, %rLanes, %rLimit : tensor<{{RB}}xi32>
    %vLanes = tile.range <0, {{VB}}> : tensor<{{VB}}xi32>
    %vLimit = tile.splat %cV : i32 -> tensor<{{VB}}xi32>
    %vOk = arith.cmpi slt, %vLanes, %vLimit : tensor<{{VB}}xi32>

    // Q blocks: q + ((t0 + i) * HEADS + h) * (P+R) + col, [BM, PB] and
    // [BM, RB] (the rope part at column P).
    %t064 = arith.extsi %t0 : i32 to i64
    %qTok = arith.muli %t064, %heads64 : i64
    %qTh = arith.addi %qTok, %h64 : i64
    %qOff = arith.muli %qTh, %qW64 : i64
    %qBase = tile.addptr %q, %qOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %qTokWv = tile.splat %qTokW : i32 -> tensor<{{BM}}xi32>
    %qLaneOff = arith.muli %mLanes, %qTokWv : tensor<{{BM}}xi32>
    %qLaneOff2 = tile.expand_dims %qLaneOff axis 1 : tensor<{{BM}}xi32> -> tensor<{{BM}}x1xi32>
    %pCol = tile.expand_dims %pLanes axis 0 : tensor<{{PB}}xi32> -> tensor<1x{{PB}}xi32>
    %qnRowB = tile.broadcast %qLaneOff2 : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{PB}}xi32>
    %pColB = tile.broadcast %pCol : tensor<1x{{PB}}xi32> -> tensor<{{BM}}x{{PB}}xi32>
    %qnOffs = arith.addi %qnRowB, %pColB : tensor<{{BM}}x{{PB}}xi32>
    %qOkP = tile.broadcast %qOk2 : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{PB}}xi1>
    %pOk2 = tile.expand_dims %pOk axis 0 : tensor<{{PB}}xi1> -> tensor<1x{{PB}}xi1>
    %pOkB = tile.broadcast %pOk2 : tensor<1x{{PB}}xi1> -> tensor<{{BM}}x{{PB}}xi1>
    %qnMask = arith.andi %qOkP, %pOkB : tensor<{{BM}}x{{PB}}xi1>
    %qnPtrs = tile.addptr %qBase, %qnOffs : !tile.ptr<f32>, tensor<{{BM}}x{{PB}}xi32> -> tensor<{{BM}}x{{PB}}x!tile.ptr<f32>>
    %qn = tile.load %qnPtrs mask %qnMask : tensor<{{BM}}x{{PB}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{PB}}xf32>
    %qPeBase = tile.addptr %qBase, %cP : !tile.ptr<f32>, i32 -> !tile.ptr<f32>
    %rCol = tile.expand_dims %rLanes axis 0 : tensor<{{RB}}xi32> -> tensor<1x{{RB}}xi32>
    %qrRowB = tile.broadcast %qLaneOff2 : tensor<{{BM}}x1xi32> -> tensor<{{BM}}x{{RB}}xi32>
    %rColB = tile.broadcast %rCol : tensor<1x{{RB}}xi32> -> tensor<{{BM}}x{{RB}}xi32>
    %qrOffs = arith.addi %qrRowB, %rColB : tensor<{{BM}}x{{RB}}xi32>
    %qOkR = tile.broadcast %qOk2 : tensor<{{BM}}x1xi1> -> tensor<{{BM}}x{{RB}}xi1>
    %rOk2 = tile.expand_dims %rOk axis 0 : tensor<{{RB}}xi1> -> tensor<1x{{RB}}xi1>
    %rOkB = tile.broadcast %rOk2 : tensor<1x{{RB}}xi1> -> tensor<{{BM}}x{{RB}}xi1>
    %qrMask = arith.andi %qOkR, %rOkB : tensor<{{BM}}x{{RB}}xi1>
    %qrPtrs = tile.addptr %qPeBase, %qrOffs : !tile.ptr<f32>, tensor<{{BM}}x{{RB}}xi32> -> tensor<{{BM}}x{{RB}}x!tile.ptr<f32>>
    %qr = tile.load %qrPtrs mask %qrMask : tensor<{{BM}}x{{RB}}x!tile.ptr<f32>> -> tensor<{{BM}}x{{RB}}xf32>
{{#DOT=bf16}}
    %qnD = arith.truncf %qn : tensor<{{BM}}x{{PB}}xf32> to tensor<{{BM}}x{{PB}}xbf16>
    %qrD = arith.truncf %qr : tensor<{{BM}}x{{RB}}xf32> to tensor<{{BM}}x{{RB}}xbf16>
{{/DOT=bf16}}

    // Key lanes of a block and the block-relative offsets of K_nope
    // [BL, PB] (key * HEADS*P + col), K_pe^T [RB, BL] (col + key * (C+R))
    // and V [BL, VB] (key * HEADS*V + col).
    %lLanes = tile.range <0, {{BL}}> : tensor<{{BL}}xi32>
    %kTokWv = tile.splat %kTokW : i32 -> tensor<{{BL}}xi32>
    %knKeyOff = arith.muli %lLanes, %kTokWv : tensor<{{BL}}xi32>
    %knKeyOff2 = tile.expand_dims %knKeyOff axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
    %knKeyOffB = tile.broadcast %knKeyOff2 : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{PB}}xi32>
    %pColK = tile.broadcast %pCol : tensor<1x{{PB}}xi32> -> tensor<{{BL}}x{{PB}}xi32>
    %knOffs = arith.addi %knKeyOffB, %pColK : tensor<{{BL}}x{{PB}}xi32>
    %pOkK = tile.broadcast %pOk2 : tensor<1x{{PB}}xi1> -> tensor<{{BL}}x{{PB}}xi1>
    %cacheWv = tile.splat %cacheW : i32 -> tensor<{{BL}}xi32>
    %krKeyOff = arith.muli %lLanes, %cacheWv : tensor<{{BL}}xi32>
    %krKeyOff2 = tile.expand_dims %krKeyOff axis 0 : tensor<{{BL}}xi32> -> tensor<1x{{BL}}xi32>
    %krKeyOffB = tile.broadcast %krKeyOff2 : tensor<1x{{BL}}xi32> -> tensor<{{RB}}x{{BL}}xi32>
    %rRow = tile.expand_dims %rLanes axis 1 : tensor<{{RB}}xi32> -> tensor<{{RB}}x1xi32>
    %rRowB = tile.broadcast %rRow : tensor<{{RB}}x1xi32> -> tensor<{{RB}}x{{BL}}xi32>
    %krOffs = arith.addi %rRowB, %krKeyOffB : tensor<{{RB}}x{{BL}}xi32>
    %rOkCol = tile.expand_dims %rOk axis 1 : tensor<{{RB}}xi1> -> tensor<{{RB}}x1xi1>
    %rOkT = tile.broadcast %rOkCol : tensor<{{RB}}x1xi1> -> tensor<{{RB}}x{{BL}}xi1>
    %vTokWv = tile.splat %vTokW : i32 -> tensor<{{BL}}xi32>
    %vKeyOff = arith.muli %lLanes, %vTokWv : tensor<{{BL}}xi32>
    %vKeyOff2 = tile.expand_dims %vKeyOff axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
    %vKeyOffB = tile.broadcast %vKeyOff2 : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{VB}}xi32>
    %vCol = tile.expand_dims %vLanes axis 0 : tensor<{{VB}}xi32> -> tensor<1x{{VB}}xi32>
    %vColB = tile.broadcast %vCol : tensor<1x{{VB}}xi32> -> tensor<{{BL}}x{{VB}}xi32>
    %vOffs = arith.addi %vKeyOffB, %vColB : tensor<{{BL}}x{{VB}}xi32>
    %vOk2 = tile.expand_dims %vOk axis 0 : tensor<{{VB}}xi1> -> tensor<1x{{VB}}xi1>
    %vOkB = tile.broadcast %vOk2 : tensor<1x{{VB}}xi1> -> tensor<{{BL}}x{{VB}}xi1>

    %kEndV = tile.splat %kEnd : i32 -> tensor<{{BL}}xi32>
    %scaleV = tile.splat %scale : f32 -> tensor<{{BM}}x{{BL}}xf32>
    %negInfS = tile.splat %negInf : f32 -> tensor<{{BM}}x{{BL}}xf32>
    %negInfM = tile.splat %negInf : f32 -> tensor<{{BM}}xf32>
    %zeroS = arith.constant dense<0.0> : tensor<{{BM}}x{{BL}}xf32>
    %zeroM = arith.constant dense<0.0> : tensor<{{BM}}xf32>
    %acc0 = arith.constant dense<0.0> : tensor<{{BM}}x{{VB}}xf32>

    %res:3 = scf.for %j0 = %c0 to %kEnd step %cBL
        iter_args(%m = %negInfM, %l = %zeroM, %acc = %acc0)
        -> (tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>) : i32 {
      %j0v = tile.splat %j0 : i32 -> tensor<{{BL}}xi32>
      %keys = arith.addi %j0v, %lLanes : tensor<{{BL}}xi32>
      %kOk = arith.cmpi slt, %keys, %kEndV : tensor<{{BL}}xi32>
      %kOkRow = tile.expand_dims %kOk axis 0 : tensor<{{BL}}xi1> -> tensor<1x{{BL}}xi1>
      %kOkCol = tile.expand_dims %kOk axis 1 : tensor<{{BL}}xi1> -> tensor<{{BL}}x1xi1>
      %j064 = arith.extsi %j0 : i32 to i64
      %jHeads = arith.muli %j064, %heads64 : i64
      %jh = arith.addi %jHeads, %h64 : i64

      // S = Q_nope K_nope^T + Q_pe K_pe^T   [BM, BL], f32.
      %knOff = arith.muli %jh, %cP64 : i64
      %knBase = tile.addptr %kNope, %knOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
      %kOkP = tile.broadcast %kOkCol : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{PB}}xi1>
      %knMask = arith.andi %pOkK, %kOkP : tensor<{{BL}}x{{PB}}xi1>
      %knPtrs = tile.addptr %knBase, %knOffs : !tile.ptr<f32>, tensor<{{BL}}x{{PB}}xi32> -> tensor<{{BL}}x{{PB}}x!tile.ptr<f32>>
      %kn = tile.load %knPtrs mask %knMask : tensor<{{BL}}x{{PB}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{PB}}xf32>
{{#DOT=bf16}}
      %knD = arith.truncf %kn : tensor<{{BL}}x{{PB}}xf32> to tensor<{{BL}}x{{PB}}xbf16>
      %knT = tile.trans %knD : tensor<{{BL}}x{{PB}}xbf16> -> tensor<{{PB}}x{{BL}}xbf16>
      %sNope = tile.dot %qnD, %knT, %zeroS : tensor<{{BM}}x{{PB}}xbf16>, tensor<{{PB}}x{{BL}}xbf16>, tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
{{/DOT=bf16}}{{^DOT=bf16}}
      %knT = tile.trans %kn : tensor<{{BL}}x{{PB}}xf32> -> tensor<{{PB}}x{{BL}}xf32>
      %sNope = tile.dot %qn, %knT, %zeroS : tensor<{{BM}}x{{PB}}xf32>, tensor<{{PB}}x{{BL}}xf32>, tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
{{/DOT=bf16}}
      %krOff = arith.muli %j064, %cacheW64 : i64
      %krBase = tile.addptr %kPe, %krOff : !tile.ptr<{{CT}}>, i64 -> !tile.ptr<{{CT}}>
      %kOkR = tile.broadcast %kOkRow : tensor<1x{{BL}}xi1> -> tensor<{{RB}}x{{BL}}xi1>
      %krMask = arith.andi %rOkT, %kOkR : tensor<{{RB}}x{{BL}}xi1>
      %krPtrs = tile.addptr %krBase, %krOffs : !tile.ptr<{{CT}}>, tensor<{{RB}}x{{BL}}xi32> -> tensor<{{RB}}x{{BL}}x!tile.ptr<{{CT}}>>
      %krRaw = tile.load %krPtrs mask %krMask : tensor<{{RB}}x{{BL}}x!tile.ptr<{{CT}}>> -> tensor<{{RB}}x{{BL}}x{{CT}}>
      %krWide = arith.extf %krRaw : tensor<{{RB}}x{{BL}}x{{CT}}> to tensor<{{RB}}x{{BL}}xf64>
      %krT = arith.truncf %krWide : tensor<{{RB}}x{{BL}}xf64> to tensor<{{RB}}x{{BL}}xf32>
{{#DOT=bf16}}
      %krD = arith.truncf %krT : tensor<{{RB}}x{{BL}}xf32> to tensor<{{RB}}x{{BL}}xbf16>
      %sQK = tile.dot %qrD, %krD, %sNope : tensor<{{BM}}x{{RB}}xbf16>, tensor<{{RB}}x{{BL}}xbf16>, tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
{{/DOT=bf16}}{{^DOT=bf16}}
      %sQK = tile.dot %qr, %krT, %sNope : tensor<{{BM}}x{{RB}}xf32>, tensor<{{RB}}x{{BL}}xf32>, tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}x{{BL}}xf32>
{{/DOT=bf16}}
      %sScaled = arith.mulf %sQK, %scaleV : tensor<{{BM}}x{{BL}}xf32>

      // The causal mask: past + t >= key (and the key exists).
      %keysRow = tile.expand_dims %keys axis 0 : tensor<{{BL}}xi32> -> tensor<1x{{BL}}xi32>
      %keysB = tile.broadcast %keysRow : tensor<1x{{BL}}xi32> -> tensor<{{BM}}x{{BL}}xi32>
      %causal = arith.cmpi sge, %qPosB, %keysB : tensor<{{BM}}x{{BL}}xi32>
      %kOkS = tile.broadcast %kOkRow : tensor<1x{{BL}}xi1> -> tensor<{{BM}}x{{BL}}xi1>
      %visible = arith.andi %causal, %kOkS : tensor<{{BM}}x{{BL}}xi1>
      %s = arith.select %visible, %sScaled, %negInfS : tensor<{{BM}}x{{BL}}xi1>, tensor<{{BM}}x{{BL}}xf32>

      // Online softmax per row, the shift guarded against -inf.
      %bMax = tile.reduce max %s axis 1 : tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}xf32>
      %mNew = arith.maximumf %m, %bMax : tensor<{{BM}}xf32>
      %noMax = arith.cmpf oeq, %mNew, %negInfM : tensor<{{BM}}xf32>
      %mSafe = arith.select %noMax, %zeroM, %mNew : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
      %mDiff = arith.subf %m, %mSafe : tensor<{{BM}}xf32>
      %alphaE = math.exp %mDiff : tensor<{{BM}}xf32>
      %noOld = arith.cmpf oeq, %m, %negInfM : tensor<{{BM}}xf32>
      %alpha = arith.select %noOld, %zeroM, %alphaE : tensor<{{BM}}xi1>, tensor<{{BM}}xf32>
      %mSafe2 = tile.expand_dims %mSafe axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
      %mSafeB = tile.broadcast %mSafe2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{BL}}xf32>
      %sShift = arith.subf %s, %mSafeB : tensor<{{BM}}x{{BL}}xf32>
      %pE = math.exp %sShift : tensor<{{BM}}x{{BL}}xf32>
      %p = arith.select %visible, %pE, %zeroS : tensor<{{BM}}x{{BL}}xi1>, tensor<{{BM}}x{{BL}}xf32>
      %pSum = tile.reduce sum %p axis 1 : tensor<{{BM}}x{{BL}}xf32> -> tensor<{{BM}}xf32>
      %lScaled = arith.mulf %l, %alpha : tensor<{{BM}}xf32>
      %lNew = arith.addf %lScaled, %pSum : tensor<{{BM}}xf32>

      // acc = acc * alpha + P V   (f32 accumulation).
      %alpha2 = tile.expand_dims %alpha axis 1 : tensor<{{BM}}xf32> -> tensor<{{BM}}x1xf32>
      %alphaB = tile.broadcast %alpha2 : tensor<{{BM}}x1xf32> -> tensor<{{BM}}x{{VB}}xf32>
      %accScaled = arith.mulf %acc, %alphaB : tensor<{{BM}}x{{VB}}xf32>
      %vOff = arith.muli %jh, %cV64 : i64
      %vBase = tile.addptr %v, %vOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
      %kOkV = tile.broadcast %kOkCol : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{VB}}xi1>
      %vMask = arith.andi %kOkV, %vOkB : tensor<{{BL}}x{{VB}}xi1>
      %vPtrs = tile.addptr %vBase, %vOffs : !tile.ptr<f32>, tensor<{{BL}}x{{VB}}xi32> -> tensor<{{BL}}x{{VB}}x!tile.ptr<f32>>
      %vBlk = tile.load %vPtrs mask %vMask : tensor<{{BL}}x{{VB}}x!tile.ptr<f32>> -> tensor<{{BL}}x{{VB}}xf32>
{{#DOT=bf16}}
      %pD = arith.truncf %p : tensor<{{BM}}x{{BL}}xf32> to tensor<{{BM}}x{{BL}}xbf16>
      %vD = arith.truncf %vBlk : tensor<{{BL}}x{{VB}}xf32> to tensor<{{BL}}x{{VB}}xbf16>
      %accNew = tile.dot %pD, %vD, %accScaled : tensor<{{BM}}x{{BL}}xbf16>, tensor<{{BL}}x{{VB}}xbf16>, tensor<{{BM}}x{{VB}}xf32> -> tensor<{{BM}}x{{VB}}xf32>
{{/DOT=bf16}}{{^DOT=bf16}}
      %accNew = tile.dot %p, %vBlk, %accScaled : tensor<{{BM}}x{{BL}}xf32>, tensor<{{BL}}x{{VB}}xf32>, tensor<{{BM}}x{{VB}}xf32> -> tensor<{{BM}}x{{VB}}xf32>
{{/DOT=bf16}}
      scf.yield %mNew, %lNew, %accNew : tensor<{{BM}}xf32>, tensor<{{BM}}xf32>, tensor<{{BM}}x{{VB}}xf32>
    }

    // out = acc / l (rows that saw no key: 0); padding rows not stored.
    %oneM = arith.constant dense<1.0> : tensor<{{BM}}xf32>
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
