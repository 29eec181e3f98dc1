//===- StridedRowReads.cpp - Strided vector reads as contiguous ones -------===//
//
// Elementwise ops over the strided planes of a tensor (one plane per offset
// (kh, kw) of the 2x2 max-pooling windows: x[n, c, 2 oh + kh, 2 ow + kw])
// vectorize to vector.transfer_read of rows whose elements are s = 2 apart.
// Upstream lowers such a read to one scalar load per lane. Here it reads the
// contiguous span of the source row that holds the lanes and picks every
// s-th lane with one vector.shuffle; where the span can start at a multiple
// of s (a window's first column), the planes of all offsets kw read the same
// span, which CSE then reads once.
//
//===----------------------------------------------------------------------===//

#include "StridedRowReads.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

namespace {

struct ReadStridedRowContiguously : OpRewritePattern<vector::TransferReadOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(vector::TransferReadOp read,
                                PatternRewriter &rewriter) const override {
    auto sourceType = dyn_cast<RankedTensorType>(read.getBase().getType());
    VectorType vectorType = read.getVectorType();
    int64_t rank = vectorType.getRank();
    if (!sourceType || rank == 0 || sourceType.getRank() != rank || read.getMask() ||
        isa<vector::MaskOp>(read->getParentOp()) || !read.getPermutationMap().isIdentity() ||
        llvm::any_of(read.getInBoundsValues(), [](bool inBounds) { return !inBounds; }))
      return failure();
    // A row: one lane along every dim but the last.
    ArrayRef<int64_t> shape = vectorType.getShape();
    int64_t lanes = shape.back();
    if (lanes < 2 || llvm::any_of(shape.drop_back(), [](int64_t d) { return d != 1; }))
      return failure();

    // The chain of (not rank-reducing, statically strided) slices the row
    // reads through, and the stride of its lanes in the chain's source.
    SmallVector<tensor::ExtractSliceOp> chain;
    Value source = read.getBase();
    int64_t stride = 1;
    while (auto slice = source.getDefiningOp<tensor::ExtractSliceOp>()) {
      if (slice.getSourceType().getRank() != rank)
        break;
      std::optional<SmallVector<int64_t>> strides = getConstantIntValues(slice.getMixedStrides());
      if (!strides)
        break;
      chain.push_back(slice);
      stride *= strides->back();
      source = slice.getSource();
    }
    if (stride < 2)
      return failure();

    // The row's first element in `source`, dim by dim, composing the slices'
    // offsets and strides from the innermost slice (next to the read) out.
    Location loc = read.getLoc();
    SmallVector<OpFoldResult> offsets = getAsOpFoldResult(read.getIndices());
    AffineExpr outer, inner;
    bindSymbols(rewriter.getContext(), outer, inner);
    for (tensor::ExtractSliceOp slice : chain) {
      SmallVector<OpFoldResult> sliceOffsets = slice.getMixedOffsets();
      SmallVector<int64_t> sliceStrides = *getConstantIntValues(slice.getMixedStrides());
      for (int64_t d = 0; d < rank; ++d)
        offsets[d] = affine::makeComposedFoldedAffineApply(
            rewriter, loc, outer + inner * sliceStrides[d], {sliceOffsets[d], offsets[d]});
    }

    // The span starts at the row's first element, or at the start of its
    // stride-aligned group when the whole groups fit in the source row.
    int64_t first = 0, span = stride * (lanes - 1) + 1;
    auto sourceTensor = cast<RankedTensorType>(source.getType());
    std::optional<int64_t> column = getConstantIntValue(offsets.back());
    int64_t width = sourceTensor.getShape().back();
    if (column && !ShapedType::isDynamic(width)) {
      int64_t base = *column - *column % stride;
      if (base + stride * lanes <= width) {
        first = *column - base;
        span = stride * lanes;
        offsets.back() = rewriter.getIndexAttr(base);
      }
    }
    SmallVector<Value> indices;
    for (OpFoldResult offset : offsets)
      indices.push_back(getValueOrCreateConstantIndexOp(rewriter, loc, offset));
    SmallVector<int64_t> spanShape(rank, 1);
    spanShape.back() = span;
    auto spanType = VectorType::get(spanShape, vectorType.getElementType());
    Value contiguous = vector::TransferReadOp::create(
        rewriter, loc, spanType, source, indices, read.getPadding(),
        SmallVector<bool>(rank, true));
    auto flatSpan = VectorType::get({span}, vectorType.getElementType());
    Value flat = vector::ShapeCastOp::create(rewriter, loc, flatSpan, contiguous);
    SmallVector<int64_t> picked;
    for (int64_t lane = 0; lane < lanes; ++lane)
      picked.push_back(first + lane * stride);
    Value row = vector::ShuffleOp::create(rewriter, loc, flat, flat, picked);
    rewriter.replaceOpWithNewOp<vector::ShapeCastOp>(read, vectorType, row);
    return success();
  }
};

} // namespace

void dnnc::populateStridedRowReadPatterns(RewritePatternSet &patterns) {
  patterns.add<ReadStridedRowContiguously>(patterns.getContext());
}
