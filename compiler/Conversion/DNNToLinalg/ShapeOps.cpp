//===- ShapeOps.cpp - Lower reshapes, transposes, concat, slices and broadcasts ---===//
//
// The shape ops and their gradients' building blocks (dnn.slice for
// concat, dnn.broadcast_like for reductions): tensor reshapes where the
// layout allows, otherwise copies as generics; one_hot as an elementwise
// compare against the class index.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "dnnc/Conversion/DNNToLinalg/DNNToLinalg.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace dnnc::dnn;
using namespace dnnc::lowering;

namespace {

struct ReshapeOpLowering : OpConversionPattern<ReshapeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ReshapeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto type = cast<RankedTensorType>(op.getType());
    if (type.hasStaticShape() && tensorTypeOf(input).hasStaticShape() &&
        type.getRank() == 0) {
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, type, input,
                                                           ArrayRef<ReassociationIndices>{});
      return success();
    }
    // The target shape as a 1-D index tensor; -1 is the element count over
    // the product of the other sizes.
    ArrayRef<int64_t> target = op.getShape();
    SmallVector<Value> sizes;
    int64_t inferred = -1, known = 1;
    for (auto [i, d] : llvm::enumerate(target)) {
      if (d == -1) {
        inferred = i;
        sizes.push_back(Value());
      } else {
        known *= d;
        sizes.push_back(indexConst(rewriter, loc, d));
      }
    }
    if (inferred >= 0) {
      Value total = indexConst(rewriter, loc, 1);
      for (int64_t i = 0, e = tensorTypeOf(input).getRank(); i < e; ++i)
        total = arith::MulIOp::create(
            rewriter, loc, total,
            getValueOrCreateConstantIndexOp(rewriter, loc, dimOf(rewriter, loc, input, i)));
      sizes[inferred] = arith::DivUIOp::create(rewriter, loc, total, indexConst(rewriter, loc, known));
    }
    if (target.empty()) {
      rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, type, input,
                                                           ArrayRef<ReassociationIndices>{});
      return success();
    }
    Value shape = tensor::FromElementsOp::create(rewriter, loc, sizes);
    rewriter.replaceOpWithNewOp<tensor::ReshapeOp>(op, type, input, shape);
    return success();
  }
};

struct FlattenOpLowering : OpConversionPattern<FlattenOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(FlattenOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    int64_t rank = tensorTypeOf(input).getRank();
    if (rank < 2) {
      rewriter.replaceOp(op, input);
      return success();
    }
    ReassociationIndices rest = llvm::to_vector(llvm::seq<int64_t>(1, rank));
    SmallVector<ReassociationIndices> groups = {{0}, rest};
    rewriter.replaceOpWithNewOp<tensor::CollapseShapeOp>(op, op.getType(), input, groups);
    return success();
  }
};

struct TransposeOpLowering : OpConversionPattern<TransposeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(TransposeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    ArrayRef<int64_t> perm = op.getPerm();
    SmallVector<OpFoldResult> sizes;
    for (int64_t p : perm)
      sizes.push_back(dimOf(rewriter, loc, input, p));
    auto type = cast<RankedTensorType>(op.getType());
    Value init = emptyTensor(rewriter, loc, type, sizes);
    rewriter.replaceOp(op, linalg::TransposeOp::create(rewriter, loc, input, init, perm)
                               ->getResult(0));
    return success();
  }
};

struct ConcatOpLowering : OpConversionPattern<ConcatOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConcatOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    ValueRange inputs = adaptor.getInputs();
    int64_t rank = type.getRank();
    int64_t axis = normalizeAxis(op.getAxis(), rank);
    // Offsets along the axis are running sums of the inputs' sizes, which
    // may be dynamic.
    SmallVector<OpFoldResult> offsetsAlongAxis;
    OpFoldResult total = rewriter.getIndexAttr(0);
    auto add = [&](OpFoldResult a, OpFoldResult b) -> OpFoldResult {
      auto ca = getConstantIntValue(a), cb = getConstantIntValue(b);
      if (ca && cb)
        return rewriter.getIndexAttr(*ca + *cb);
      return arith::AddIOp::create(rewriter, loc, getValueOrCreateConstantIndexOp(rewriter, loc, a),
                                   getValueOrCreateConstantIndexOp(rewriter, loc, b))
          .getResult();
    };
    for (Value input : inputs) {
      offsetsAlongAxis.push_back(total);
      total = add(total, dimOf(rewriter, loc, input, axis));
    }
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, inputs.front());
    sizes[axis] = total;
    Value result = emptyTensor(rewriter, loc, type, sizes);
    for (auto [input, offset] : llvm::zip(inputs, offsetsAlongAxis)) {
      SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0));
      offsets[axis] = offset;
      SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
      result = tensor::InsertSliceOp::create(rewriter, loc, input, result, offsets,
                                             tensor::getMixedSizes(rewriter, loc, input), strides);
    }
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct OneHotOpLowering : OpConversionPattern<OneHotOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(OneHotOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value labels = adaptor.getLabels();
    auto type = cast<RankedTensorType>(op.getType());
    int64_t rank = type.getRank();
    MLIRContext *ctx = rewriter.getContext();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(rewriter, loc, labels);
    sizes.push_back(rewriter.getIndexAttr(type.getDimSize(rank - 1)));
    Value init = emptyTensor(rewriter, loc, type, sizes);
    SmallVector<AffineMap> maps = {droppingAxesMap(ctx, rank, {rank - 1}),
                                   rewriter.getMultiDimIdentityMap(rank)};
    Type elementType = type.getElementType();
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{labels}, ValueRange{init}, maps,
        parallelIterators(rank), [&](OpBuilder &b, Location l, ValueRange args) {
          Value c = linalg::IndexOp::create(b, l, rank - 1);
          Value label = arith::IndexCastOp::create(b, l, b.getIndexType(), args[0]);
          Value hit = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, label, c);
          Value one = floatConst(b, l, elementType, 1.0), zero = floatConst(b, l, elementType, 0);
          linalg::YieldOp::create(b, l, ValueRange{arith::SelectOp::create(b, l, hit, one, zero)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct BroadcastLikeOpLowering : OpConversionPattern<BroadcastLikeOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(BroadcastLikeOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput(), like = adaptor.getLike();
    int64_t rank = type.getRank();
    ArrayRef<int64_t> axes = op.getAxes();
    bool keptDims = tensorTypeOf(input).getRank() == rank;
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d) {
      if (!llvm::is_contained(axes, d))
        exprs.push_back(getAffineDimExpr(d, ctx));
      else if (keptDims)
        exprs.push_back(getAffineConstantExpr(0, ctx));
    }
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(dimOf(rewriter, loc, like, d));
    Value init = emptyTensor(rewriter, loc, type, sizes);
    Value count;
    if (op.getDivideByCount())
      count = countAsFloat(rewriter, loc, like, axes, type.getElementType());
    SmallVector<AffineMap> maps = {AffineMap::get(rank, 0, exprs, ctx),
                                   rewriter.getMultiDimIdentityMap(rank)};
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input}, ValueRange{init}, maps,
        parallelIterators(rank), [&](OpBuilder &b, Location l, ValueRange args) {
          Value v = args[0];
          if (count)
            v = arith::DivFOp::create(b, l, v, count);
          linalg::YieldOp::create(b, l, v);
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

struct SliceOpLowering : OpConversionPattern<SliceOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SliceOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value input = adaptor.getInput();
    int64_t rank = type.getRank(), axis = op.getAxis();
    SmallVector<OpFoldResult> offsets(rank, rewriter.getIndexAttr(0)), sizes,
        strides(rank, rewriter.getIndexAttr(1));
    offsets[axis] = rewriter.getIndexAttr(op.getStart());
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(d == axis ? rewriter.getIndexAttr(type.getDimSize(d))
                                : dimOf(rewriter, loc, input, d));
    Value slice =
        tensor::ExtractSliceOp::create(rewriter, loc, type, input, offsets, sizes, strides);
    rewriter.replaceOp(op, slice);
    return success();
  }
};

} // namespace

void dnnc::lowering::populateShapeOpLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ReshapeOpLowering, FlattenOpLowering, TransposeOpLowering, ConcatOpLowering,
               OneHotOpLowering, BroadcastLikeOpLowering, SliceOpLowering>(
      patterns.getContext());
}
