  // Part `panel_pair` (codegen/kernels/parts): the first two weight panels
  // of a program that reads %cP (1 or 2) side by side, %cP*%pn and
  // %cP*%pn + 1, the second clamped to the last of the %panels (i64) so
  // that it reads valid memory where their count is odd. %col0, %col1:
  // their first output columns; %readCol1: the first column of the panel
  // read second (unused, and folded away, where %cP is 1).
  // Uses %pn, %panels, %c1, %cP and %cBN.
  %pair = arith.muli %pn, %cP : i32
  %col0 = arith.muli %pair, %cBN : i32
  %col1 = arith.addi %col0, %cBN : i32
  %panels32 = arith.trunci %panels : i64 to i32
  %lastPanel = arith.subi %panels32, %c1 : i32
  %next = arith.addi %pair, %c1 : i32
  %panel1 = arith.minsi %next, %lastPanel : i32
  %readCol1 = arith.muli %panel1, %cBN : i32
