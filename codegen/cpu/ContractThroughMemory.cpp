//===- ContractThroughMemory.cpp - Matmul contractions as blocked loops ---===//
//
// Part of dsv2c. An f32 `vector.contract` of the matmul form becomes loops
// over stack copies of A, B and C. C is computed in blocks of R rows x W
// columns whose R accumulators (vector<W>) stay in registers for the whole
// K chain:
//
//   for m0 in 0..M step R, n0 in 0..N step W:
//     acc[r] = C[m0 + r, n0 : n0 + W]                      (r < R)
//     for k in 0..K:
//       b = B[k, n0 : n0 + W]                              one load ...
//       acc[r] = fma(splat(A[m0 + r, k]), b, acc[r])       ... R FMAs
//     C[m0 + r, n0 : n0 + W] = acc[r]
//
// Why blocks: one row of C per K chain (R = 1, W = N) is a dependent FMA
// chain K long; with N = 8 or 16 (the scores of a head group against a
// block of cache rows: K = 512) the loop runs at one FMA per FMA latency.
// R rows give R independent chains that share each load of B; a W-column
// chunk of a wide row (N = 512) keeps its accumulators out of the stack.
// R x W is at most half the vector registers in accumulators: 8 of AVX2's
// 16 ymm (64 floats), 16 of AVX-512's 32 zmm (256 floats; with 4 zmm, 2
// FMA ports and a 4-cycle FMA latency leave half the machine idle, and the
// P V dot of causal attention's row-dot form ran 1.4x slower; with 8, the
// [16 keys, 128] x [128, 16 queries] score dot of its key-row form is one
// FMA chain per latency and port). Every element of C still sees its fmas
// in K order: the results are bitwise those of one row at a time.
//
// Where A or B is the rows of unmasked whole-row loads with no write
// between them and the contraction (a tile.load of contiguous rows: the
// key and value blocks of the CPU attention kernels), the loops read those
// rows where they lie, through a small table of row addresses, instead of
// a stack copy of the whole operand; an operand defined outside the
// contraction's block (q^T, loaded once before a key loop) is copied once,
// where it is defined, not at every contraction, and when its columns are
// loads (a transposed tile.load), column by column from memory.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/UB/IR/UBOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

using namespace mlir;

namespace {

/// Vector registers of accumulators one block keeps: half the register
/// file (16 on AVX-512, 8 with 16 registers).
int64_t blockRegisters(int64_t lanes) { return lanes >= 16 ? 16 : 8; }
/// Widest column chunk, in registers per row.
constexpr int64_t kChunkRegisters = 4;

/// The largest divisor of `extent` that is at most `limit` (>= 1).
int64_t largestDivisorAtMost(int64_t extent, int64_t limit) {
  for (int64_t d = std::min(extent, std::max<int64_t>(1, limit)); d > 1; --d)
    if (extent % d == 0)
      return d;
  return 1;
}

struct MatmulBlocks {
  int64_t rows, columns;
};

/// R and W for an M x N result with `lanes` floats per register: W the
/// widest chunk of at most 4 registers that divides N (all of N when only 1
/// does: a prime width), R as many rows dividing M as fit the register
/// budget beside it.
MatmulBlocks chooseMatmulBlocks(int64_t rows, int64_t columns,
                                int64_t lanes) {
  int64_t width = largestDivisorAtMost(columns, kChunkRegisters * lanes);
  if (width == 1)
    width = columns;
  int64_t height =
      largestDivisorAtMost(rows, blockRegisters(lanes) * lanes / width);
  return {height, width};
}

/// Whether `op` may write memory (ops that say nothing may).
bool mayWriteMemory(Operation *op) {
  if (isa<LLVM::LoadOp, LLVM::MaskedLoadOp>(op))
    return false;
  if (auto effects = dyn_cast<MemoryEffectOpInterface>(op))
    return effects.hasEffect<MemoryEffects::Write>();
  if (op->hasTrait<OpTrait::HasRecursiveMemoryEffects>()) {
    WalkResult nested = op->walk([&](Operation *inner) {
      return inner != op && mayWriteMemory(inner) ? WalkResult::interrupt()
                                                  : WalkResult::advance();
    });
    return nested.wasInterrupted();
  }
  return true;
}

/// The addresses of the unmasked whole-row loads (llvm.load, or
/// llvm.intr.masked.load under a constant all-true mask) that `matrix`
/// (2-D f32) is put together from element by element (vector.from_elements
/// of vector.to_elements: how dsv2-convert-tile-to-llvm lowers a tile.load
/// of contiguous rows), one per row, or with `transposed` one per column
/// (a tile.load whose contiguous runs go down the tile: q^T), when the
/// loads are in `point`'s block with nothing that may write memory between
/// them and `point`. Empty otherwise.
SmallVector<Value> loadedLines(Value matrix, Operation *point,
                               bool transposed) {
  auto gathered = matrix.getDefiningOp<vector::FromElementsOp>();
  auto type = cast<VectorType>(matrix.getType());
  if (!gathered || gathered->getBlock() != point->getBlock())
    return {};
  const int64_t rows = type.getDimSize(0), columns = type.getDimSize(1);
  const int64_t lines = transposed ? columns : rows,
                length = transposed ? rows : columns;
  auto element = [&](int64_t line, int64_t i) {
    return gathered.getElements()[transposed ? i * columns + line
                                             : line * columns + i];
  };
  auto lineType = VectorType::get({length}, type.getElementType());
  SmallVector<Value> addresses;
  Operation *firstLoad = nullptr;
  for (int64_t line = 0; line < lines; ++line) {
    auto split = element(line, 0).getDefiningOp<vector::ToElementsOp>();
    if (!split || split.getSource().getType() != lineType)
      return {};
    for (int64_t i = 0; i < length; ++i)
      if (element(line, i) != split.getResult(i))
        return {};
    Operation *load = split.getSource().getDefiningOp();
    if (!load || load->getBlock() != point->getBlock())
      return {};
    if (auto plain = dyn_cast<LLVM::LoadOp>(load))
      addresses.push_back(plain.getAddr());
    else if (auto masked = dyn_cast<LLVM::MaskedLoadOp>(load);
             masked && matchPattern(masked.getMask(), m_One()))
      addresses.push_back(masked.getData());
    else
      return {};
    if (!firstLoad || load->isBeforeInBlock(firstLoad))
      firstLoad = load;
  }
  for (Operation *op = firstLoad->getNextNode(); op != point;
       op = op->getNextNode())
    if (mayWriteMemory(op))
      return {};
  return addresses;
}

Value elementAddress(OpBuilder &builder, Location loc, Value base,
                     Value index) {
  return LLVM::GEPOp::create(builder, loc,
                             LLVM::LLVMPointerType::get(builder.getContext()),
                             builder.getF32Type(), base, ValueRange{index});
}

struct ContractThroughMemory : OpRewritePattern<vector::ContractionOp> {
  ContractThroughMemory(MLIRContext *context, int64_t vectorBits,
                        PatternBenefit benefit)
      : OpRewritePattern(context, benefit), lanes(std::max<int64_t>(
                                                1, vectorBits / 32)) {}
  LogicalResult matchAndRewrite(vector::ContractionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getKind() != vector::CombiningKind::ADD || op.isMasked())
      return rewriter.notifyMatchFailure(op, "not a plain sum of products");
    MLIRContext *context = getContext();
    AffineExpr m, n, k;
    bindDims(context, m, n, k);
    SmallVector<AffineMap> matmul = AffineMap::inferFromExprList(
        ArrayRef<ArrayRef<AffineExpr>>{{m, k}, {k, n}, {m, n}}, context);
    if (op.getIndexingMapsArray() != matmul)
      return rewriter.notifyMatchFailure(op, "not a row-major matmul");
    VectorType lhsType = op.getLhsType(), rhsType = op.getRhsType();
    auto accType = dyn_cast<VectorType>(op.getAccType());
    Type f32 = rewriter.getF32Type();
    if (!accType || lhsType.getElementType() != f32 ||
        rhsType.getElementType() != f32 || accType.getElementType() != f32)
      return rewriter.notifyMatchFailure(op, "not f32");

    Location loc = op.getLoc();
    const int64_t rows = lhsType.getDimSize(0), depth = lhsType.getDimSize(1),
                  columns = rhsType.getDimSize(1);
    const MatmulBlocks block = chooseMatmulBlocks(rows, columns, lanes);
    auto pointerType = LLVM::LLVMPointerType::get(context);
    Type i64 = rewriter.getI64Type();
    auto constant = [&](OpBuilder &builder, Location at, int64_t value) {
      return arith::ConstantOp::create(builder, at, i64,
                                       builder.getI64IntegerAttr(value));
    };
    auto index = [&](int64_t value) {
      return arith::ConstantIndexOp::create(rewriter, loc, value);
    };
    // Element (row, column) of a row-major buffer `width` floats wide.
    auto flatIndex = [&](OpBuilder &builder, Location at, Value row,
                         int64_t width, Value column) -> Value {
      return arith::AddIOp::create(
          builder, at,
          arith::MulIOp::create(builder, at, row,
                                constant(builder, at, width)),
          column);
    };
    // Row r of a row-major buffer `width` floats wide.
    auto rowAddress = [&](Value buffer, int64_t r, int64_t width) -> Value {
      return LLVM::GEPOp::create(
          rewriter, loc, pointerType, f32, buffer,
          ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(r * width)});
    };
    // An operand's rows: in place (a table of their addresses) when they
    // are loads, else a stack copy.
    struct Rows {
      Value base;
      bool table;
      int64_t width;
    };
    // The address of row `row` (i64) of an operand.
    auto rowStart = [&](OpBuilder &builder, Location at, const Rows &rows,
                        Value row) -> Value {
      if (rows.table)
        return LLVM::LoadOp::create(
            builder, at, pointerType,
            LLVM::GEPOp::create(builder, at, pointerType, pointerType,
                                rows.base, ValueRange{row}),
            8);
      return elementAddress(
          builder, at, rows.base,
          arith::MulIOp::create(builder, at, row,
                                constant(builder, at, rows.width)));
    };
    // A stack table of `addresses`, filled at the insertion point.
    auto addressTable = [&](ArrayRef<Value> addresses) -> Value {
      Value table = dsv2::cpu::createEntryStackBuffer(
          rewriter, op, pointerType, static_cast<int64_t>(addresses.size()));
      for (auto [i, address] : llvm::enumerate(addresses))
        LLVM::StoreOp::create(
            rewriter, loc, address,
            LLVM::GEPOp::create(
                rewriter, loc, pointerType, pointerType, table,
                ArrayRef<LLVM::GEPArg>{static_cast<int32_t>(i)}),
            8);
      return table;
    };
    // Row by row: a 2-D vector is an array of 1-D rows once lowered, so
    // this is one store per row; a shape_cast to one long vector would be
    // a tree of shuffles that LLVM's InstCombine takes seconds over. An
    // operand only read (A, B) defined outside the contraction's block is
    // copied where it is defined (once, not per iteration of the loops
    // around it); C's buffer is overwritten with the results, so C is
    // copied at every contraction.
    auto toMemory = [&](Value value, bool readOnly) {
      auto type = cast<VectorType>(value.getType());
      const int64_t height = type.getDimSize(0), width = type.getDimSize(1);
      Value buffer = dsv2::cpu::createEntryStackBuffer(rewriter, op, f32,
                                                       type.getNumElements());
      OpBuilder::InsertionGuard guard(rewriter);
      Operation *definition = value.getDefiningOp();
      const bool once = readOnly && value.getParentBlock() != op->getBlock();
      if (once) {
        // Right after the definition (the buffer, made at the start of the
        // entry block, comes before it); a block argument of the entry
        // block right after the buffer.
        Operation *bufferOp = buffer.getDefiningOp();
        if (definition)
          rewriter.setInsertionPointAfter(definition);
        else if (value.getParentBlock() == bufferOp->getBlock())
          rewriter.setInsertionPointAfter(bufferOp);
        else
          rewriter.setInsertionPointToStart(value.getParentBlock());
      }
      // A copied-once operand whose columns are loads (q^T) is copied
      // column by column from where they lie, in loops: the shuffles that
      // would put the columns together as a value are a few thousand
      // instructions (seconds of LLVM) at the attention's [128, 32].
      SmallVector<Value> columns;
      if (once && definition)
        columns = loadedLines(value, definition, /*transposed=*/true);
      if (!columns.empty()) {
        const Rows sources{addressTable(columns), true, height};
        scf::ForOp::create(
            rewriter, loc, index(0), index(width), index(1), ValueRange{},
            [&](OpBuilder &outer, Location at, Value n, ValueRange) {
              Value n64 = arith::IndexCastOp::create(outer, at, i64, n);
              Value column = rowStart(outer, at, sources, n64);
              scf::ForOp::create(
                  outer, at, index(0), index(height), index(1), ValueRange{},
                  [&](OpBuilder &inner, Location innerAt, Value k,
                      ValueRange) {
                    Value k64 = arith::IndexCastOp::create(inner, innerAt,
                                                           i64, k);
                    Value element = LLVM::LoadOp::create(
                        inner, innerAt, f32,
                        elementAddress(inner, innerAt, column, k64), 4);
                    LLVM::StoreOp::create(
                        inner, innerAt, element,
                        elementAddress(inner, innerAt, buffer,
                                       flatIndex(inner, innerAt, k64, width,
                                                 n64)),
                        4);
                    scf::YieldOp::create(inner, innerAt);
                  });
              scf::YieldOp::create(outer, at);
            });
        return buffer;
      }
      for (int64_t r = 0; r < height; ++r) {
        Value row = vector::ExtractOp::create(rewriter, loc, value,
                                              ArrayRef<int64_t>{r});
        LLVM::StoreOp::create(rewriter, loc, row,
                              rowAddress(buffer, r, width), 4);
      }
      return buffer;
    };
    auto rowsOf = [&](Value value) -> Rows {
      const int64_t width = cast<VectorType>(value.getType()).getDimSize(1);
      SmallVector<Value> addresses =
          loadedLines(value, op, /*transposed=*/false);
      if (addresses.empty())
        return {toMemory(value, /*readOnly=*/true), false, width};
      return {addressTable(addresses), true, width};
    };
    const Rows a = rowsOf(op.getLhs()), b = rowsOf(op.getRhs());
    Value c = toMemory(op.getAcc(), /*readOnly=*/false);

    VectorType chunkType = VectorType::get({block.columns}, f32);
    Value zero = index(0);
    scf::ForOp::create(
        rewriter, loc, zero, index(rows), index(block.rows), ValueRange{},
        [&](OpBuilder &builder, Location at, Value rowIndex, ValueRange) {
          Value row0 = arith::IndexCastOp::create(builder, at, i64, rowIndex);
          scf::ForOp::create(
              builder, at, zero, index(columns), index(block.columns),
              ValueRange{},
              [&](OpBuilder &chunkBuilder, Location chunkAt, Value colIndex,
                  ValueRange) {
                Value col0 = arith::IndexCastOp::create(chunkBuilder, chunkAt,
                                                        i64, colIndex);
                // C[m0 + r, n0 :] and A[m0 + r, 0] for each row r.
                SmallVector<Value> cAddress, aRow, initial;
                for (int64_t r = 0; r < block.rows; ++r) {
                  Value rowR = arith::AddIOp::create(
                      chunkBuilder, chunkAt, row0,
                      constant(chunkBuilder, chunkAt, r));
                  cAddress.push_back(elementAddress(
                      chunkBuilder, chunkAt, c,
                      flatIndex(chunkBuilder, chunkAt, rowR, columns, col0)));
                  aRow.push_back(rowStart(chunkBuilder, chunkAt, a, rowR));
                  initial.push_back(LLVM::LoadOp::create(
                      chunkBuilder, chunkAt, chunkType, cAddress.back(), 4));
                }
                auto chain = scf::ForOp::create(
                    chunkBuilder, chunkAt, zero, index(depth), index(1),
                    initial,
                    [&](OpBuilder &inner, Location innerAt, Value kIndex,
                        ValueRange acc) {
                      Value kk = arith::IndexCastOp::create(inner, innerAt,
                                                            i64, kIndex);
                      Value bChunk = LLVM::LoadOp::create(
                          inner, innerAt, chunkType,
                          elementAddress(inner, innerAt,
                                         rowStart(inner, innerAt, b, kk),
                                         col0),
                          4);
                      SmallVector<Value> next;
                      for (int64_t r = 0; r < block.rows; ++r) {
                        Value aValue = LLVM::LoadOp::create(
                            inner, innerAt, f32,
                            elementAddress(inner, innerAt, aRow[r], kk), 4);
                        Value splat = vector::BroadcastOp::create(
                            inner, innerAt, chunkType, aValue);
                        next.push_back(vector::FMAOp::create(
                            inner, innerAt, splat, bChunk, acc[r]));
                      }
                      scf::YieldOp::create(inner, innerAt, next);
                    });
                for (int64_t r = 0; r < block.rows; ++r)
                  LLVM::StoreOp::create(chunkBuilder, chunkAt,
                                        chain.getResult(r), cAddress[r], 4);
                scf::YieldOp::create(chunkBuilder, chunkAt);
              });
          scf::YieldOp::create(builder, at);
        });
    Value result = ub::PoisonOp::create(rewriter, loc, accType);
    VectorType rowType = VectorType::get({columns}, f32);
    for (int64_t r = 0; r < rows; ++r) {
      Value row = LLVM::LoadOp::create(rewriter, loc, rowType,
                                       rowAddress(c, r, columns), 4);
      result = vector::InsertOp::create(rewriter, loc, row, result,
                                        ArrayRef<int64_t>{r});
    }
    rewriter.replaceOp(op, result);
    return success();
  }

private:
  /// f32 lanes of the target's widest vector register.
  int64_t lanes;
};

} // namespace

void mlir::dsv2::cpu::populateContractThroughMemoryPatterns(
    RewritePatternSet &patterns, int64_t vectorBits, PatternBenefit benefit) {
  patterns.add<ContractThroughMemory>(patterns.getContext(), vectorBits,
                                      benefit);
}
