// latent_attention_grouped: latent_attention for a group of HG heads per
// program, so that each block of cache rows is read once for HG heads
// instead of once per head (the latent cache is one MQA key/value head
// shared by every query head: DeepSeek-V2 reads it 128 times per token one
// head per program).
//
// One program per (token t, head group g, share s); grid (tokens, GROUPS =
// HEADS / HG, SPLITS). Heads h0 .. h0+HG-1 (h0 = g*HG) of token t attend
// to the cache rows 0 .. past+t as in latent_attention, with the same
// semantics, masks, scale and online softmax, now per head (m, l: [HG];
// acc: [HG, CB]). Per block of BL cache rows c [BL, CB] and k_pe [BL, RB]:
//   s^T = c @ q_lat^T + k_pe @ q_pe^T          [BL, HG]   (tile.dot)
//   s   = trans(s^T) * SCALE, invisible rows -inf
//   acc = acc * alpha + p @ c                  [HG, CB]   (tile.dot)
// The scores are formed transposed so that the wide operand, the block, is
// the dot's A ([M, K] rows as loaded) and q^T, loaded transposed before
// the loop, its narrow B; only the small [BL, HG] tile is transposed per
// block.
//
// SPLITS = 1 writes out[t, h] = acc / l ([T, HEADS, C]); SPLITS > 1 writes
// the record [m, l, acc (C)] of each (t, h, s) at
// out + ((t*HEADS + h)*SPLITS + s) * (C + 2), the layout
// latent_attention_combine merges (as latent_attention's).
// DOT = bf16 (GPU engines over a bf16 cache: tensor cores) multiplies bf16
// operands: q_lat^T and q_pe^T rounded to bf16 once, the cache blocks as
// stored, p rounded to bf16 for p @ c (sums and the softmax stay f32, as
// flash attention does); DOT = f32 widens the blocks to f32 (exact).
// params: CT, DOT (f32, or bf16 with CT bf16), C, R, CB, RB, BL, HEADS, HG
// (a power of two dividing HEADS), GROUPS (HEADS / HG), SCALE, SPLITS.
module {
  func.func @{{KERNEL}}(%q: !tile.ptr<f32>, %cache: !tile.ptr<{{CT}}>,
                        %out: !tile.ptr<f32>, %past: i32) attributes {
      tile.kernel = #tile.kernel<grid = ()[s0] -> (s0, {{GROUPS}}, {{SPLITS}}),
                                 grid_symbols = ["tokens"],
                                 block = [{{HG}}, {{BL}}, {{CB}}, {{RB}}]>} {
    %c1 = arith.constant 1 : i32
    %cC = arith.constant {{C}} : i32
    %cR = arith.constant {{R}} : i32
    %cHeads = arith.constant {{HEADS}} : i32
    %cHG = arith.constant {{HG}} : i32
    %cBL = arith.constant {{BL}} : i32
    %scale = arith.constant {{SCALE}} : f32

    %t = tile.program_id x : i32
    %g = tile.program_id y : i32
    %split = tile.program_id z : i32
    // Query position and the number of visible cache rows.
    %pos = arith.addi %past, %t : i32
    %nKeys = arith.addi %pos, %c1 : i32
    // This program's rows [lo, hi): its share of the visible ones, whole
    // blocks of BL (all of them when SPLITS is 1).
    %cSplits = arith.constant {{SPLITS}} : i32
    %share0 = arith.addi %nKeys, %cSplits : i32
    %share1 = arith.subi %share0, %c1 : i32
    %shareRows = arith.divsi %share1, %cSplits : i32
    %shareB0 = arith.addi %shareRows, %cBL : i32
    %shareB1 = arith.subi %shareB0, %c1 : i32
    %shareBlocks = arith.divsi %shareB1, %cBL : i32
    %share = arith.muli %shareBlocks, %cBL : i32
    %lo = arith.muli %split, %share : i32
    %hiRaw = arith.addi %lo, %share : i32
    %hi = arith.minsi %hiRaw, %nKeys : i32
    %rowW = arith.addi %cC, %cR : i32
    %rowW64 = arith.extsi %rowW : i32 to i64
    %cC64 = arith.extsi %cC : i32 to i64

    // The group's first row (t, h0) of q and of out.
    %h0 = arith.muli %g, %cHG : i32
    %tHeads = arith.muli %t, %cHeads : i32
    %th0 = arith.addi %tHeads, %h0 : i32
    %th064 = arith.extsi %th0 : i32 to i64
    %qOff = arith.muli %th064, %rowW64 : i64
    %qRows = tile.addptr %q, %qOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>

    // Column lanes of the c part (CB) and the k_pe part (RB).
    %cLanes = tile.range <0, {{CB}}> : tensor<{{CB}}xi32>
    %cLimit = tile.splat %cC : i32 -> tensor<{{CB}}xi32>
    %cOk = arith.cmpi slt, %cLanes, %cLimit : tensor<{{CB}}xi32>
    %rLanes = tile.range <0, {{RB}}> : tensor<{{RB}}xi32>
    %rLimit = tile.splat %cR : i32 -> tensor<{{RB}}xi32>
    %rOk = arith.cmpi slt, %rLanes, %rLimit : tensor<{{RB}}xi32>
    %cCol = tile.expand_dims %cLanes axis 0 : tensor<{{CB}}xi32> -> tensor<1x{{CB}}xi32>
    %cLimitR = tile.splat %cC : i32 -> tensor<{{RB}}xi32>
    %rLanesC = arith.addi %rLanes, %cLimitR : tensor<{{RB}}xi32>
    %rCol = tile.expand_dims %rLanesC axis 0 : tensor<{{RB}}xi32> -> tensor<1x{{RB}}xi32>
    %cOk2 = tile.expand_dims %cOk axis 0 : tensor<{{CB}}xi1> -> tensor<1x{{CB}}xi1>
    %rOk2 = tile.expand_dims %rOk axis 0 : tensor<{{RB}}xi1> -> tensor<1x{{RB}}xi1>

    // q_lat^T [CB, HG] and q_pe^T [RB, HG] of the group's heads, loaded
    // transposed (element (k, i) is q[(th0 + i) * (C+R) + k]) once for
    // every block's score dots: transposing a loaded [HG, CB] tile instead
    // costs the CPU lowering thousands of lane moves.
    %gLanes = tile.range <0, {{HG}}> : tensor<{{HG}}xi32>
    %gRowW = tile.splat %rowW : i32 -> tensor<{{HG}}xi32>
    %gQOff = arith.muli %gLanes, %gRowW : tensor<{{HG}}xi32>
    %gQOff2 = tile.expand_dims %gQOff axis 0 : tensor<{{HG}}xi32> -> tensor<1x{{HG}}xi32>
    %gQOffC = tile.broadcast %gQOff2 : tensor<1x{{HG}}xi32> -> tensor<{{CB}}x{{HG}}xi32>
    %gQOffR = tile.broadcast %gQOff2 : tensor<1x{{HG}}xi32> -> tensor<{{RB}}x{{HG}}xi32>
    %cRow = tile.expand_dims %cLanes axis 1 : tensor<{{CB}}xi32> -> tensor<{{CB}}x1xi32>
    %cRowG = tile.broadcast %cRow : tensor<{{CB}}x1xi32> -> tensor<{{CB}}x{{HG}}xi32>
    %rRow = tile.expand_dims %rLanesC axis 1 : tensor<{{RB}}xi32> -> tensor<{{RB}}x1xi32>
    %rRowG = tile.broadcast %rRow : tensor<{{RB}}x1xi32> -> tensor<{{RB}}x{{HG}}xi32>
    %cOkT = tile.expand_dims %cOk axis 1 : tensor<{{CB}}xi1> -> tensor<{{CB}}x1xi1>
    %cOkTG = tile.broadcast %cOkT : tensor<{{CB}}x1xi1> -> tensor<{{CB}}x{{HG}}xi1>
    %rOkT = tile.expand_dims %rOk axis 1 : tensor<{{RB}}xi1> -> tensor<{{RB}}x1xi1>
    %rOkTG = tile.broadcast %rOkT : tensor<{{RB}}x1xi1> -> tensor<{{RB}}x{{HG}}xi1>
    %qcOffs = arith.addi %gQOffC, %cRowG : tensor<{{CB}}x{{HG}}xi32>
    %qcPtrs = tile.addptr %qRows, %qcOffs : !tile.ptr<f32>, tensor<{{CB}}x{{HG}}xi32> -> tensor<{{CB}}x{{HG}}x!tile.ptr<f32>>
    %qcT = tile.load %qcPtrs mask %cOkTG : tensor<{{CB}}x{{HG}}x!tile.ptr<f32>> -> tensor<{{CB}}x{{HG}}xf32>
    %qrOffs = arith.addi %gQOffR, %rRowG : tensor<{{RB}}x{{HG}}xi32>
    %qrPtrs = tile.addptr %qRows, %qrOffs : !tile.ptr<f32>, tensor<{{RB}}x{{HG}}xi32> -> tensor<{{RB}}x{{HG}}x!tile.ptr<f32>>
    %qrT = tile.load %qrPtrs mask %rOkTG : tensor<{{RB}}x{{HG}}x!tile.ptr<f32>> -> tensor<{{RB}}x{{HG}}xf32>
{{#DOT=bf16}}
    %qcD = arith.truncf %qcT : tensor<{{CB}}x{{HG}}xf32> to tensor<{{CB}}x{{HG}}xbf16>
    %qrD = arith.truncf %qrT : tensor<{{RB}}x{{HG}}xf32> to tensor<{{RB}}x{{HG}}xbf16>
{{/DOT=bf16}}
    %cColG = tile.broadcast %cCol : tensor<1x{{CB}}xi32> -> tensor<{{HG}}x{{CB}}xi32>
    %cOkG = tile.broadcast %cOk2 : tensor<1x{{CB}}xi1> -> tensor<{{HG}}x{{CB}}xi1>

    // Block-relative cache offsets: lane row * (C+R) + column (k_pe: + C).
    %lLanes = tile.range <0, {{BL}}> : tensor<{{BL}}xi32>
    %rowWv = tile.splat %rowW : i32 -> tensor<{{BL}}xi32>
    %lRowOff = arith.muli %lLanes, %rowWv : tensor<{{BL}}xi32>
    %lRowOff2 = tile.expand_dims %lRowOff axis 1 : tensor<{{BL}}xi32> -> tensor<{{BL}}x1xi32>
    %lRowOffC = tile.broadcast %lRowOff2 : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{CB}}xi32>
    %lRowOffR = tile.broadcast %lRowOff2 : tensor<{{BL}}x1xi32> -> tensor<{{BL}}x{{RB}}xi32>
    %cColB = tile.broadcast %cCol : tensor<1x{{CB}}xi32> -> tensor<{{BL}}x{{CB}}xi32>
    %cOffs = arith.addi %lRowOffC, %cColB : tensor<{{BL}}x{{CB}}xi32>
    %rColB = tile.broadcast %rCol : tensor<1x{{RB}}xi32> -> tensor<{{BL}}x{{RB}}xi32>
    %rOffs = arith.addi %lRowOffR, %rColB : tensor<{{BL}}x{{RB}}xi32>
    %cOkB = tile.broadcast %cOk2 : tensor<1x{{CB}}xi1> -> tensor<{{BL}}x{{CB}}xi1>
    %rOkB = tile.broadcast %rOk2 : tensor<1x{{RB}}xi1> -> tensor<{{BL}}x{{RB}}xi1>

    %hiV = tile.splat %hi : i32 -> tensor<{{BL}}xi32>
    %scaleV = tile.splat %scale : f32 -> tensor<{{HG}}x{{BL}}xf32>
    %negInfS = arith.constant dense<0xFF800000> : tensor<{{HG}}x{{BL}}xf32>
    %zeroS = arith.constant dense<0.0> : tensor<{{HG}}x{{BL}}xf32>
    %negInfH = arith.constant dense<0xFF800000> : tensor<{{HG}}xf32>
    %zeroH = arith.constant dense<0.0> : tensor<{{HG}}xf32>
    %sT0 = arith.constant dense<0.0> : tensor<{{BL}}x{{HG}}xf32>
    %acc0 = arith.constant dense<0.0> : tensor<{{HG}}x{{CB}}xf32>

    %res:3 = scf.for %j0 = %lo to %hi step %cBL
        iter_args(%m = %negInfH, %l = %zeroH, %acc = %acc0)
        -> (tensor<{{HG}}xf32>, tensor<{{HG}}xf32>, tensor<{{HG}}x{{CB}}xf32>) : i32 {
      // Cache rows j0 .. j0+BL-1, visible while < hi (<= past + t + 1).
      %j0v = tile.splat %j0 : i32 -> tensor<{{BL}}xi32>
      %rows = arith.addi %j0v, %lLanes : tensor<{{BL}}xi32>
      %visible = arith.cmpi slt, %rows, %hiV : tensor<{{BL}}xi32>
      %vis2 = tile.expand_dims %visible axis 1 : tensor<{{BL}}xi1> -> tensor<{{BL}}x1xi1>
      %visC = tile.broadcast %vis2 : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{CB}}xi1>
      %visR = tile.broadcast %vis2 : tensor<{{BL}}x1xi1> -> tensor<{{BL}}x{{RB}}xi1>
      %cMask = arith.andi %visC, %cOkB : tensor<{{BL}}x{{CB}}xi1>
      %rMask = arith.andi %visR, %rOkB : tensor<{{BL}}x{{RB}}xi1>
      %j064 = arith.extsi %j0 : i32 to i64
      %blockOff = arith.muli %j064, %rowW64 : i64
      %block = tile.addptr %cache, %blockOff : !tile.ptr<{{CT}}>, i64 -> !tile.ptr<{{CT}}>

      // c block [BL, CB] and k_pe block [BL, RB], widened to f32 (exact)
      // unless the dots take them as stored (DOT bf16).
      %cPtrs = tile.addptr %block, %cOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{CB}}xi32> -> tensor<{{BL}}x{{CB}}x!tile.ptr<{{CT}}>>
      %cRaw = tile.load %cPtrs mask %cMask : tensor<{{BL}}x{{CB}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{CB}}x{{CT}}>
      %rPtrs = tile.addptr %block, %rOffs : !tile.ptr<{{CT}}>, tensor<{{BL}}x{{RB}}xi32> -> tensor<{{BL}}x{{RB}}x!tile.ptr<{{CT}}>>
      %rRaw = tile.load %rPtrs mask %rMask : tensor<{{BL}}x{{RB}}x!tile.ptr<{{CT}}>> -> tensor<{{BL}}x{{RB}}x{{CT}}>
{{^DOT=bf16}}
      %cWide = arith.extf %cRaw : tensor<{{BL}}x{{CB}}x{{CT}}> to tensor<{{BL}}x{{CB}}xf64>
      %cBlk = arith.truncf %cWide : tensor<{{BL}}x{{CB}}xf64> to tensor<{{BL}}x{{CB}}xf32>
      %rWide = arith.extf %rRaw : tensor<{{BL}}x{{RB}}x{{CT}}> to tensor<{{BL}}x{{RB}}xf64>
      %rBlk = arith.truncf %rWide : tensor<{{BL}}x{{RB}}xf64> to tensor<{{BL}}x{{RB}}xf32>
{{/DOT=bf16}}

      // Scores of every (head, row): s^T = c @ q_lat^T + k_pe @ q_pe^T.
{{#DOT=bf16}}
      %sTc = tile.dot %cRaw, %qcD, %sT0 : tensor<{{BL}}x{{CB}}xbf16>, tensor<{{CB}}x{{HG}}xbf16>, tensor<{{BL}}x{{HG}}xf32> -> tensor<{{BL}}x{{HG}}xf32>
      %sT = tile.dot %rRaw, %qrD, %sTc : tensor<{{BL}}x{{RB}}xbf16>, tensor<{{RB}}x{{HG}}xbf16>, tensor<{{BL}}x{{HG}}xf32> -> tensor<{{BL}}x{{HG}}xf32>
{{/DOT=bf16}}{{^DOT=bf16}}
      %sTc = tile.dot %cBlk, %qcT, %sT0 : tensor<{{BL}}x{{CB}}xf32>, tensor<{{CB}}x{{HG}}xf32>, tensor<{{BL}}x{{HG}}xf32> -> tensor<{{BL}}x{{HG}}xf32>
      %sT = tile.dot %rBlk, %qrT, %sTc : tensor<{{BL}}x{{RB}}xf32>, tensor<{{RB}}x{{HG}}xf32>, tensor<{{BL}}x{{HG}}xf32> -> tensor<{{BL}}x{{HG}}xf32>
{{/DOT=bf16}}
      %sRaw = tile.trans %sT : tensor<{{BL}}x{{HG}}xf32> -> tensor<{{HG}}x{{BL}}xf32>
      %scaled = arith.mulf %sRaw, %scaleV : tensor<{{HG}}x{{BL}}xf32>
      %visRow = tile.expand_dims %visible axis 0 : tensor<{{BL}}xi1> -> tensor<1x{{BL}}xi1>
      %visS = tile.broadcast %visRow : tensor<1x{{BL}}xi1> -> tensor<{{HG}}x{{BL}}xi1>
      %s = arith.select %visS, %scaled, %negInfS : tensor<{{HG}}x{{BL}}xi1>, tensor<{{HG}}x{{BL}}xf32>

      // Online softmax per head: new running max (guarded: -inf -> 0 as
      // the shift), rescale factor exp(m_old - m_new) (0 while nothing was
      // seen).
      %bMax = tile.reduce max %s axis 1 : tensor<{{HG}}x{{BL}}xf32> -> tensor<{{HG}}xf32>
      %mNew = arith.maximumf %m, %bMax : tensor<{{HG}}xf32>
      %noMax = arith.cmpf oeq, %mNew, %negInfH : tensor<{{HG}}xf32>
      %mSafe = arith.select %noMax, %zeroH, %mNew : tensor<{{HG}}xi1>, tensor<{{HG}}xf32>
      %mDiff = arith.subf %m, %mSafe : tensor<{{HG}}xf32>
      %alphaE = math.exp %mDiff : tensor<{{HG}}xf32>
      %noOld = arith.cmpf oeq, %m, %negInfH : tensor<{{HG}}xf32>
      %alpha = arith.select %noOld, %zeroH, %alphaE : tensor<{{HG}}xi1>, tensor<{{HG}}xf32>
      %mSafe2 = tile.expand_dims %mSafe axis 1 : tensor<{{HG}}xf32> -> tensor<{{HG}}x1xf32>
      %mSafeS = tile.broadcast %mSafe2 : tensor<{{HG}}x1xf32> -> tensor<{{HG}}x{{BL}}xf32>
      %sShift = arith.subf %s, %mSafeS : tensor<{{HG}}x{{BL}}xf32>
      %pE = math.exp %sShift : tensor<{{HG}}x{{BL}}xf32>
      %p = arith.select %visS, %pE, %zeroS : tensor<{{HG}}x{{BL}}xi1>, tensor<{{HG}}x{{BL}}xf32>
      %pSum = tile.reduce sum %p axis 1 : tensor<{{HG}}x{{BL}}xf32> -> tensor<{{HG}}xf32>
      %lScaled = arith.mulf %l, %alpha : tensor<{{HG}}xf32>
      %lNew = arith.addf %lScaled, %pSum : tensor<{{HG}}xf32>

      // acc = acc * alpha + p @ c   (f32 accumulation).
      %alpha2 = tile.expand_dims %alpha axis 1 : tensor<{{HG}}xf32> -> tensor<{{HG}}x1xf32>
      %alphaC = tile.broadcast %alpha2 : tensor<{{HG}}x1xf32> -> tensor<{{HG}}x{{CB}}xf32>
      %accScaled = arith.mulf %acc, %alphaC : tensor<{{HG}}x{{CB}}xf32>
{{#DOT=bf16}}
      %pD = arith.truncf %p : tensor<{{HG}}x{{BL}}xf32> to tensor<{{HG}}x{{BL}}xbf16>
      %accNew = tile.dot %pD, %cRaw, %accScaled : tensor<{{HG}}x{{BL}}xbf16>, tensor<{{BL}}x{{CB}}xbf16>, tensor<{{HG}}x{{CB}}xf32> -> tensor<{{HG}}x{{CB}}xf32>
{{/DOT=bf16}}{{^DOT=bf16}}
      %accNew = tile.dot %p, %cBlk, %accScaled : tensor<{{HG}}x{{BL}}xf32>, tensor<{{BL}}x{{CB}}xf32>, tensor<{{HG}}x{{CB}}xf32> -> tensor<{{HG}}x{{CB}}xf32>
{{/DOT=bf16}}
      scf.yield %mNew, %lNew, %accNew : tensor<{{HG}}xf32>, tensor<{{HG}}xf32>, tensor<{{HG}}x{{CB}}xf32>
    }

{{^SPLITS=1}}
    // The records [m, l, acc] of (t, h0 + i, split), SPLITS * (C + 2)
    // floats apart, for latent_attention_combine.
    %c2w = arith.constant 2 : i64
    %recW = arith.addi %cC64, %c2w : i64
    %cSplits64 = arith.extsi %cSplits : i32 to i64
    %split64 = arith.extsi %split : i32 to i64
    %thSplits = arith.muli %th064, %cSplits64 : i64
    %recIndex = arith.addi %thSplits, %split64 : i64
    %recOff = arith.muli %recIndex, %recW : i64
    %rec = tile.addptr %out, %recOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %c2 = arith.constant 2 : i32
    %recW32 = arith.addi %cC, %c2 : i32
    %headRecs = arith.muli %recW32, %cSplits : i32
    %headRecsV = tile.splat %headRecs : i32 -> tensor<{{HG}}xi32>
    %gRec = arith.muli %gLanes, %headRecsV : tensor<{{HG}}xi32>
    %mPtrs = tile.addptr %rec, %gRec : !tile.ptr<f32>, tensor<{{HG}}xi32> -> tensor<{{HG}}x!tile.ptr<f32>>
    tile.store %mPtrs, %res#0 : tensor<{{HG}}x!tile.ptr<f32>>, tensor<{{HG}}xf32>
    %oneV = tile.splat %c1 : i32 -> tensor<{{HG}}xi32>
    %gRecL = arith.addi %gRec, %oneV : tensor<{{HG}}xi32>
    %lPtrs = tile.addptr %rec, %gRecL : !tile.ptr<f32>, tensor<{{HG}}xi32> -> tensor<{{HG}}x!tile.ptr<f32>>
    tile.store %lPtrs, %res#1 : tensor<{{HG}}x!tile.ptr<f32>>, tensor<{{HG}}xf32>
    %gRec2 = tile.expand_dims %gRec axis 1 : tensor<{{HG}}xi32> -> tensor<{{HG}}x1xi32>
    %gRecC = tile.broadcast %gRec2 : tensor<{{HG}}x1xi32> -> tensor<{{HG}}x{{CB}}xi32>
    %twoC = tile.splat %c2 : i32 -> tensor<{{HG}}x{{CB}}xi32>
    %accCol = arith.addi %cColG, %twoC : tensor<{{HG}}x{{CB}}xi32>
    %accOffs = arith.addi %gRecC, %accCol : tensor<{{HG}}x{{CB}}xi32>
    %accPtrs = tile.addptr %rec, %accOffs : !tile.ptr<f32>, tensor<{{HG}}x{{CB}}xi32> -> tensor<{{HG}}x{{CB}}x!tile.ptr<f32>>
    tile.store %accPtrs, %res#2 mask %cOkG : tensor<{{HG}}x{{CB}}x!tile.ptr<f32>>, tensor<{{HG}}x{{CB}}xf32>
{{/SPLITS=1}}{{#SPLITS=1}}
    // out[t, h0 + i] = acc / l (0 when no row was visible), rows C apart.
    %lPos = arith.cmpf ogt, %res#1, %zeroH : tensor<{{HG}}xf32>
    %oneH = arith.constant dense<1.0> : tensor<{{HG}}xf32>
    %invL = arith.divf %oneH, %res#1 : tensor<{{HG}}xf32>
    %inv = arith.select %lPos, %invL, %zeroH : tensor<{{HG}}xi1>, tensor<{{HG}}xf32>
    %inv2 = tile.expand_dims %inv axis 1 : tensor<{{HG}}xf32> -> tensor<{{HG}}x1xf32>
    %invC = tile.broadcast %inv2 : tensor<{{HG}}x1xf32> -> tensor<{{HG}}x{{CB}}xf32>
    %o = arith.mulf %res#2, %invC : tensor<{{HG}}x{{CB}}xf32>
    %oOff = arith.muli %th064, %cC64 : i64
    %oRows = tile.addptr %out, %oOff : !tile.ptr<f32>, i64 -> !tile.ptr<f32>
    %gC = tile.splat %cC : i32 -> tensor<{{HG}}xi32>
    %gOOff = arith.muli %gLanes, %gC : tensor<{{HG}}xi32>
    %gOOff2 = tile.expand_dims %gOOff axis 1 : tensor<{{HG}}xi32> -> tensor<{{HG}}x1xi32>
    %gOOffC = tile.broadcast %gOOff2 : tensor<{{HG}}x1xi32> -> tensor<{{HG}}x{{CB}}xi32>
    %oOffs = arith.addi %gOOffC, %cColG : tensor<{{HG}}x{{CB}}xi32>
    %oPtrs = tile.addptr %oRows, %oOffs : !tile.ptr<f32>, tensor<{{HG}}x{{CB}}xi32> -> tensor<{{HG}}x{{CB}}x!tile.ptr<f32>>
    tile.store %oPtrs, %o mask %cOkG : tensor<{{HG}}x{{CB}}x!tile.ptr<f32>>, tensor<{{HG}}x{{CB}}xf32>
{{/SPLITS=1}}
    return
  }
}
