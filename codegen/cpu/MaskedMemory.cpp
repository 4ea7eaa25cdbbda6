//===- MaskedMemory.cpp - Masked memory as lane loops through stack buffers ===//
//
// Part of dsv2c. Trades huge straight-line vector code for small loops over
// stack buffers in the function's entry block (ContractThroughMemory.cpp
// does the same for matmul contractions).
//
// LLVM legalizes a masked gather, scatter, or a masked load
// or store the target has no instruction for (16-bit elements on AVX2, any
// gather on most x86 cores) by scalarizing it into one branch per lane. For
// the 1024- and 2048-lane tiles of our kernels that makes functions of
// thousands of blocks that take llc minutes, so these ops become a loop over
// the lanes instead. Contiguous masked loads and stores first test the mask:
// when every lane is on (the interior blocks of a kernel), one plain vector
// load or store.
//
// Native masked loads wider than a register are split into 256-bit pieces
// first (SplitWideMaskedLoad: works around an x86 backend bug that reads
// past a buffer).
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"
#include "llvm/ADT/Sequence.h"

using namespace mlir;

namespace {

/// True for element types whose masked loads/stores x86 (AVX and later)
/// implements with vmaskmov: 32- and 64-bit elements.
bool hasNativeMaskedMove(Type element) {
  unsigned width = element.getIntOrFloatBitWidth();
  return width == 32 || width == 64;
}

unsigned bytesOf(Type element) {
  if (isa<LLVM::LLVMPointerType>(element))
    return 8;
  return std::max(1u, element.getIntOrFloatBitWidth() / 8);
}

Value entryBuffer(PatternRewriter &rewriter, Operation *op, Type element,
                  int64_t count) {
  return dsv2::cpu::createEntryStackBuffer(rewriter, op, element, count);
}

Value elementAddress(OpBuilder &builder, Location loc, Value base, Type element,
                     Value index) {
  return LLVM::GEPOp::create(builder, loc,
                             LLVM::LLVMPointerType::get(builder.getContext()),
                             element, base, ValueRange{index});
}

/// Writes the mask as one byte per lane into a stack buffer.
Value storeMask(PatternRewriter &rewriter, Operation *op, Value mask) {
  Location loc = op->getLoc();
  auto maskType = cast<VectorType>(mask.getType());
  Type i8 = rewriter.getI8Type();
  Value buffer = entryBuffer(rewriter, op, i8, maskType.getNumElements());
  Value bytes = arith::ExtUIOp::create(rewriter, loc, maskType.clone(i8), mask);
  LLVM::StoreOp::create(rewriter, loc, bytes, buffer, 1);
  return buffer;
}

/// for lane in [0, count): if (maskBytes[lane]) body(lane as i64).
void forEachActiveLane(PatternRewriter &rewriter, Location loc, int64_t count,
                       Value maskBytes,
                       function_ref<void(OpBuilder &, Location, Value)> body) {
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value end = arith::ConstantIndexOp::create(rewriter, loc, count);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  scf::ForOp::create(
      rewriter, loc, zero, end, one, ValueRange{},
      [&](OpBuilder &builder, Location at, Value lane, ValueRange) {
        Value index =
            arith::IndexCastOp::create(builder, at, builder.getI64Type(), lane);
        Type i8 = builder.getI8Type();
        Value byte = LLVM::LoadOp::create(
            builder, at, i8, elementAddress(builder, at, maskBytes, i8, index),
            1);
        Value zeroByte = arith::ConstantOp::create(
            builder, at, i8, builder.getIntegerAttr(i8, 0));
        Value active = arith::CmpIOp::create(
            builder, at, arith::CmpIPredicate::ne, byte, zeroByte);
        scf::IfOp::create(builder, at, active,
                          [&](OpBuilder &inner, Location innerLoc) {
                            body(inner, innerLoc, index);
                            scf::YieldOp::create(inner, innerLoc);
                          });
        scf::YieldOp::create(builder, at);
      });
}

/// The lanes of `vector` into a fresh stack buffer.
Value storeToBuffer(PatternRewriter &rewriter, Operation *op, Value vector) {
  auto type = cast<VectorType>(vector.getType());
  Value buffer =
      entryBuffer(rewriter, op, type.getElementType(), type.getNumElements());
  LLVM::StoreOp::create(rewriter, op->getLoc(), vector, buffer,
                        bytesOf(type.getElementType()));
  return buffer;
}

/// True when every lane of `mask` is set.
Value allLanesOn(PatternRewriter &rewriter, Location loc, Value mask) {
  return vector::ReductionOp::create(rewriter, loc, vector::CombiningKind::AND,
                                     mask);
}

struct ExpandMaskedGather : OpRewritePattern<LLVM::masked_gather> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LLVM::masked_gather op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(op.getType());
    Type element = type.getElementType();
    int64_t count = type.getNumElements();
    Value result = op.getPassThru().empty()
                       ? entryBuffer(rewriter, op, element, count)
                       : storeToBuffer(rewriter, op, op.getPassThru().front());
    Value pointers = storeToBuffer(rewriter, op, op.getPtrs());
    Value maskBytes = storeMask(rewriter, op, op.getMask());
    Type ptrType = LLVM::LLVMPointerType::get(getContext());
    unsigned alignment = bytesOf(element);
    forEachActiveLane(
        rewriter, loc, count, maskBytes,
        [&](OpBuilder &builder, Location at, Value lane) {
          Value pointer = LLVM::LoadOp::create(
              builder, at, ptrType,
              elementAddress(builder, at, pointers, ptrType, lane), 8);
          Value value =
              LLVM::LoadOp::create(builder, at, element, pointer, alignment);
          LLVM::StoreOp::create(
              builder, at, value,
              elementAddress(builder, at, result, element, lane), alignment);
        });
    rewriter.replaceOp(
        op, LLVM::LoadOp::create(rewriter, loc, type, result, alignment));
    return success();
  }
};

struct ExpandMaskedScatter : OpRewritePattern<LLVM::masked_scatter> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(LLVM::masked_scatter op,
                                PatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<VectorType>(op.getValue().getType());
    Type element = type.getElementType();
    Value values = storeToBuffer(rewriter, op, op.getValue());
    Value pointers = storeToBuffer(rewriter, op, op.getPtrs());
    Value maskBytes = storeMask(rewriter, op, op.getMask());
    Type ptrType = LLVM::LLVMPointerType::get(getContext());
    unsigned alignment = bytesOf(element);
    forEachActiveLane(
        rewriter, loc, type.getNumElements(), maskBytes,
        [&](OpBuilder &builder, Location at, Value lane) {
          Value pointer = LLVM::LoadOp::create(
              builder, at, ptrType,
              elementAddress(builder, at, pointers, ptrType, lane), 8);
          Value value = LLVM::LoadOp::create(
              builder, at, element,
              elementAddress(builder, at, values, element, lane), alignment);
          LLVM::StoreOp::create(builder, at, value, pointer, alignment);
        });
    rewriter.eraseOp(op);
    return success();
  }
};

struct ExpandMaskedLoad : OpRewritePattern<LLVM::MaskedLoadOp> {
  ExpandMaskedLoad(MLIRContext *context, bool nativeMaskedOps)
      : OpRewritePattern(context), nativeMaskedOps(nativeMaskedOps) {}

  LogicalResult matchAndRewrite(LLVM::MaskedLoadOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(op.getType());
    Type element = type.getElementType();
    if (nativeMaskedOps && hasNativeMaskedMove(element))
      return rewriter.notifyMatchFailure(op, "the target has masked moves");
    Location loc = op.getLoc();
    unsigned alignment = bytesOf(element);
    Value base = op.getData();
    auto branch = scf::IfOp::create(rewriter, loc, TypeRange{type},
                                    allLanesOn(rewriter, loc, op.getMask()),
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(branch.thenBlock());
      Value whole = LLVM::LoadOp::create(rewriter, loc, type, base, alignment);
      scf::YieldOp::create(rewriter, loc, whole);

      rewriter.setInsertionPointToStart(branch.elseBlock());
      int64_t count = type.getNumElements();
      Value result = op.getPassThru()
                         ? storeToBuffer(rewriter, op, op.getPassThru())
                         : entryBuffer(rewriter, op, element, count);
      Value maskBytes = storeMask(rewriter, op, op.getMask());
      forEachActiveLane(
          rewriter, loc, count, maskBytes,
          [&](OpBuilder &builder, Location at, Value lane) {
            Value value = LLVM::LoadOp::create(
                builder, at, element,
                elementAddress(builder, at, base, element, lane), alignment);
            LLVM::StoreOp::create(
                builder, at, value,
                elementAddress(builder, at, result, element, lane), alignment);
          });
      Value partial =
          LLVM::LoadOp::create(rewriter, loc, type, result, alignment);
      scf::YieldOp::create(rewriter, loc, partial);
    }
    rewriter.replaceOp(op, branch.getResults());
    return success();
  }

  bool nativeMaskedOps;
};

struct ExpandMaskedStore : OpRewritePattern<LLVM::MaskedStoreOp> {
  ExpandMaskedStore(MLIRContext *context, bool nativeMaskedOps)
      : OpRewritePattern(context), nativeMaskedOps(nativeMaskedOps) {}

  LogicalResult matchAndRewrite(LLVM::MaskedStoreOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(op.getValue().getType());
    Type element = type.getElementType();
    if (nativeMaskedOps && hasNativeMaskedMove(element))
      return rewriter.notifyMatchFailure(op, "the target has masked moves");
    Location loc = op.getLoc();
    unsigned alignment = bytesOf(element);
    Value base = op.getData();
    auto branch = scf::IfOp::create(rewriter, loc, TypeRange{},
                                    allLanesOn(rewriter, loc, op.getMask()),
                                    /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(branch.thenBlock());
      LLVM::StoreOp::create(rewriter, loc, op.getValue(), base, alignment);

      rewriter.setInsertionPointToStart(branch.elseBlock());
      Value values = storeToBuffer(rewriter, op, op.getValue());
      Value maskBytes = storeMask(rewriter, op, op.getMask());
      forEachActiveLane(
          rewriter, loc, type.getNumElements(), maskBytes,
          [&](OpBuilder &builder, Location at, Value lane) {
            Value value = LLVM::LoadOp::create(
                builder, at, element,
                elementAddress(builder, at, values, element, lane), alignment);
            LLVM::StoreOp::create(
                builder, at, value,
                elementAddress(builder, at, base, element, lane), alignment);
          });
    }
    rewriter.eraseOp(op);
    return success();
  }

  bool nativeMaskedOps;
};

/// Splits a masked load wider than a 256-bit register into 256-bit pieces.
/// LLVM 22's x86 backend splits a wide masked load itself, and a part whose
/// mask is constant false after the split (lanes 24..31 of a <32 x float>
/// under `and(splat(c), <20 x true, 12 x false>)`) comes out as an
/// unmasked vmovups: an out-of-bounds read past the end of a buffer.
/// Register-wide masked loads are lowered correctly (vmaskmovps), and a
/// piece whose mask folds to false is dropped.
struct SplitWideMaskedLoad : OpRewritePattern<LLVM::MaskedLoadOp> {
  using OpRewritePattern::OpRewritePattern;
  static constexpr int64_t kPieceBits = 256;

  LogicalResult matchAndRewrite(LLVM::MaskedLoadOp op,
                                PatternRewriter &rewriter) const override {
    auto type = cast<VectorType>(op.getType());
    Type element = type.getElementType();
    if (!hasNativeMaskedMove(element))
      return rewriter.notifyMatchFailure(op, "expanded into lane loops");
    int64_t count = type.getNumElements();
    int64_t lanes = kPieceBits / element.getIntOrFloatBitWidth();
    if (count <= lanes)
      return rewriter.notifyMatchFailure(op, "fits one register");
    Location loc = op.getLoc();
    Value passThru = op.getPassThru();
    if (!passThru)
      passThru = arith::ConstantOp::create(
          rewriter, loc, type, cast<TypedAttr>(rewriter.getZeroAttr(type)));
    SmallVector<Value> pieces;
    for (int64_t first = 0; first < count; first += lanes) {
      int64_t width = std::min(lanes, count - first);
      auto slice = [&](Value vector) {
        return vector::ExtractStridedSliceOp::create(
            rewriter, loc, vector, ArrayRef<int64_t>{first},
            ArrayRef<int64_t>{width}, ArrayRef<int64_t>{1});
      };
      Value address = elementAddress(
          rewriter, loc, op.getData(), element,
          arith::ConstantOp::create(rewriter, loc, rewriter.getI64Type(),
                                    rewriter.getI64IntegerAttr(first)));
      pieces.push_back(LLVM::MaskedLoadOp::create(
          rewriter, loc, VectorType::get({width}, element), address,
          slice(op.getMask()), slice(passThru), op.getAlignment(),
          op.getNontemporal()));
    }
    // Concatenate pairwise (a balanced tree of shuffles, not one full-width
    // insert per piece).
    while (pieces.size() > 1) {
      SmallVector<Value> joined;
      for (size_t i = 0; i + 1 < pieces.size(); i += 2) {
        int64_t total =
            cast<VectorType>(pieces[i].getType()).getNumElements() +
            cast<VectorType>(pieces[i + 1].getType()).getNumElements();
        joined.push_back(vector::ShuffleOp::create(
            rewriter, loc, pieces[i], pieces[i + 1],
            llvm::to_vector(llvm::seq<int64_t>(0, total))));
      }
      if (pieces.size() % 2)
        joined.push_back(pieces.back());
      pieces = std::move(joined);
    }
    Value result = pieces.front();
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

Value mlir::dsv2::cpu::createEntryStackBuffer(OpBuilder &builder, Operation *op,
                                              Type element, int64_t count) {
  auto function = op->getParentOfType<FunctionOpInterface>();
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(&function.getFunctionBody().front());
  Location loc = op->getLoc();
  Value size = LLVM::ConstantOp::create(builder, loc, builder.getI64Type(),
                                        builder.getI64IntegerAttr(count));
  return LLVM::AllocaOp::create(builder, loc,
                                LLVM::LLVMPointerType::get(op->getContext()),
                                element, size, bytesOf(element));
}

void mlir::dsv2::cpu::populateExpandMaskedMemoryPatterns(
    RewritePatternSet &patterns, bool nativeMaskedOps) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ExpandMaskedGather, ExpandMaskedScatter>(context);
  patterns.add<ExpandMaskedLoad, ExpandMaskedStore>(context, nativeMaskedOps);
  if (nativeMaskedOps)
    patterns.add<SplitWideMaskedLoad>(context);
}
