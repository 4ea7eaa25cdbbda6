//===- MaskedMemory.cpp - Masked vector memory ops as lane loops ----------===//
//
// Part of dsv2c. LLVM legalizes a masked gather, scatter, or a masked load or
// store the target has no instruction for (16-bit elements on AVX2, any
// gather on most x86 cores) by scalarizing it into one branch per lane. For
// the 1024- and 2048-lane tiles of our kernels that makes functions of
// thousands of blocks that take llc minutes, so these ops become a loop over
// the lanes instead, through stack buffers in the function's entry block.
// Contiguous masked loads and stores first test the mask: when every lane is
// on (the interior blocks of a kernel), one plain vector load or store.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/Patterns.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/FunctionInterfaces.h"

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

/// Stack buffers of one expanded op: `count` elements of `element` each,
/// allocated once at the start of the enclosing function.
Value entryBuffer(PatternRewriter &rewriter, Operation *op, Type element,
                  int64_t count) {
  auto function = op->getParentOfType<FunctionOpInterface>();
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(&function.getFunctionBody().front());
  Location loc = op->getLoc();
  Value size = LLVM::ConstantOp::create(rewriter, loc, rewriter.getI64Type(),
                                        rewriter.getI64IntegerAttr(count));
  return LLVM::AllocaOp::create(rewriter, loc,
                                LLVM::LLVMPointerType::get(op->getContext()),
                                element, size, bytesOf(element));
}

Value elementAddress(OpBuilder &builder, Location loc, Value base,
                     Type element, Value index) {
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
  Value bytes =
      arith::ExtUIOp::create(rewriter, loc, maskType.clone(i8), mask);
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
        Value index = arith::IndexCastOp::create(builder, at,
                                                 builder.getI64Type(), lane);
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
  Value buffer = entryBuffer(rewriter, op, type.getElementType(),
                             type.getNumElements());
  LLVM::StoreOp::create(rewriter, op->getLoc(), vector, buffer,
                        bytesOf(type.getElementType()));
  return buffer;
}

/// True when every lane of `mask` is set.
Value allLanesOn(PatternRewriter &rewriter, Location loc, Value mask) {
  return vector::ReductionOp::create(rewriter, loc,
                                     vector::CombiningKind::AND, mask);
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
          LLVM::StoreOp::create(builder, at, value,
                                elementAddress(builder, at, result, element,
                                               lane),
                                alignment);
        });
    rewriter.replaceOp(op, LLVM::LoadOp::create(rewriter, loc, type, result,
                                                alignment));
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
    auto branch = scf::IfOp::create(
        rewriter, loc, TypeRange{type}, allLanesOn(rewriter, loc, op.getMask()),
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
      forEachActiveLane(rewriter, loc, count, maskBytes,
                        [&](OpBuilder &builder, Location at, Value lane) {
                          Value value = LLVM::LoadOp::create(
                              builder, at, element,
                              elementAddress(builder, at, base, element, lane),
                              alignment);
                          LLVM::StoreOp::create(
                              builder, at, value,
                              elementAddress(builder, at, result, element,
                                             lane),
                              alignment);
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
    auto branch =
        scf::IfOp::create(rewriter, loc, TypeRange{},
                          allLanesOn(rewriter, loc, op.getMask()),
                          /*withElseRegion=*/true);
    {
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(branch.thenBlock());
      LLVM::StoreOp::create(rewriter, loc, op.getValue(), base, alignment);

      rewriter.setInsertionPointToStart(branch.elseBlock());
      Value values = storeToBuffer(rewriter, op, op.getValue());
      Value maskBytes = storeMask(rewriter, op, op.getMask());
      forEachActiveLane(rewriter, loc, type.getNumElements(), maskBytes,
                        [&](OpBuilder &builder, Location at, Value lane) {
                          Value value = LLVM::LoadOp::create(
                              builder, at, element,
                              elementAddress(builder, at, values, element,
                                             lane),
                              alignment);
                          LLVM::StoreOp::create(
                              builder, at, value,
                              elementAddress(builder, at, base, element, lane),
                              alignment);
                        });
    }
    rewriter.eraseOp(op);
    return success();
  }

  bool nativeMaskedOps;
};

} // namespace

void mlir::dsv2::cpu::populateExpandMaskedMemoryPatterns(
    RewritePatternSet &patterns, bool nativeMaskedOps) {
  MLIRContext *context = patterns.getContext();
  patterns.add<ExpandMaskedGather, ExpandMaskedScatter>(context);
  patterns.add<ExpandMaskedLoad, ExpandMaskedStore>(context, nativeMaskedOps);
}
