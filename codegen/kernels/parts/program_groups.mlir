  // Part `program_groups` (codegen/kernels/parts): the program's row block
  // %pm and column block %pn in groups of GROUP row blocks. The linear
  // program id walks the row blocks of a group for one column block, then
  // the next column block, so a group's rows stay in L2 while the weight
  // rows of a column block are reused from L1 (without it, every column
  // block re-read all rows: at 2032 tokens the dispatch rows of the experts
  // do not fit the L3 and the grouped down projection ran at a third of
  // the speed).
  %pid = tile.program_id x : i32
  %pidY = tile.program_id y : i32
  %gridM = tile.num_programs x : i32
  %gridN = tile.num_programs y : i32
  %cGroup = arith.constant {{GROUP}} : i32
  %pidRows = arith.muli %gridM, %pidY : i32
  %linear = arith.addi %pid, %pidRows : i32
  %groupSpan = arith.muli %cGroup, %gridN : i32
  %groupIndex = arith.divsi %linear, %groupSpan : i32
  %groupFirst = arith.muli %groupIndex, %cGroup : i32
  %blocksLeft = arith.subi %gridM, %groupFirst : i32
  %groupBlocks = arith.minsi %blocksLeft, %cGroup : i32
  %inGroup = arith.remsi %linear, %groupSpan : i32
  %blockInGroup = arith.remsi %inGroup, %groupBlocks : i32
  %pm = arith.addi %groupFirst, %blockInGroup : i32
  %pn = arith.divsi %inGroup, %groupBlocks : i32
