//===- Reductions.cpp - Lower softmax, reductions, argmax and count ---------===//
//
// Reductions are linalg.generics with reduction iterators (buildReduction),
// softmax and log_softmax the numerically stable row statistics then one
// elementwise pass; dnn.count (the divisor of batch statistics in
// batch_norm's training mode) is the product of the reduced sizes.
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

struct SoftmaxOpLowering : OpConversionPattern<SoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(SoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = normalizeAxis(op.getAxis(), tensorTypeOf(input).getRank());
    auto [max, sum] = softmaxStatistics(rewriter, loc, input, axis);
    // exp(x - m) / s, with m and s broadcast back along the axis.
    rewriter.replaceOp(op, combineWithReduced(rewriter, loc, input, ValueRange{max, sum}, axis,
                                              [](OpBuilder &b, Location l, ValueRange xs) {
                                                Value e = math::ExpOp::create(
                                                    b, l, arith::SubFOp::create(b, l, xs[0], xs[1]));
                                                return arith::DivFOp::create(b, l, e, xs[2])
                                                    .getResult();
                                              }));
    return success();
  }
};

struct LogSoftmaxOpLowering : OpConversionPattern<LogSoftmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(LogSoftmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    int64_t axis = normalizeAxis(op.getAxis(), tensorTypeOf(input).getRank());
    Value lse = logSumExp(rewriter, loc, input, axis);
    rewriter.replaceOp(op, combineWithReduced(rewriter, loc, input, lse, axis,
                                              [](OpBuilder &b, Location l, ValueRange xs) {
                                                return arith::SubFOp::create(b, l, xs[0], xs[1])
                                                    .getResult();
                                              }));
    return success();
  }
};

/// Re-inserts unit dims at `axes` (keepdims=true).
Value keepDims(OpBuilder &b, Location loc, Value reduced, RankedTensorType resultType,
               ArrayRef<int64_t> axes) {
  int64_t rank = resultType.getRank();
  if (rank == tensorTypeOf(reduced).getRank())
    return reduced;
  SmallVector<ReassociationIndices> groups;
  int64_t reducedRank = tensorTypeOf(reduced).getRank();
  if (reducedRank == 0) {
    return tensor::ExpandShapeOp::create(b, loc, resultType, reduced,
                                         ArrayRef<ReassociationIndices>{},
                                         ArrayRef<OpFoldResult>(
                                             SmallVector<OpFoldResult>(rank, b.getIndexAttr(1))));
  }
  // Every kept dim starts a group; reduced dims join the group before them
  // (or the first group, if they lead).
  SmallVector<OpFoldResult> outputShape;
  int64_t kept = 0;
  for (int64_t i = 0; i < rank; ++i) {
    bool isReduced = llvm::is_contained(axes, i);
    outputShape.push_back(isReduced ? OpFoldResult(b.getIndexAttr(1))
                                    : dimOf(b, loc, reduced, kept));
    if (!isReduced) {
      if (groups.size() <= (size_t)kept)
        groups.resize(kept + 1);
      groups[kept].push_back(i);
      ++kept;
    } else if (kept == 0) {
      if (groups.empty())
        groups.resize(1);
      groups[0].push_back(i);
    } else {
      groups[kept - 1].push_back(i);
    }
  }
  for (auto &group : groups)
    llvm::sort(group);
  return tensor::ExpandShapeOp::create(b, loc, resultType, reduced, groups, outputShape);
}

template <typename OpTy>
struct ReduceLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    auto inputType = tensorTypeOf(input);
    Type elementType = inputType.getElementType();
    SmallVector<int64_t> axes(op.getAxes());
    if (axes.empty())
      axes = allAxes(inputType.getRank());
    llvm::sort(axes);
    Value result;
    if constexpr (std::is_same_v<OpTy, MaxOp>) {
      result = reduceOver(rewriter, loc, input, axes, lowestValue(rewriter, loc, elementType),
                          maxValues);
    } else if constexpr (std::is_same_v<OpTy, MinOp>) {
      result = reduceOver(rewriter, loc, input, axes, highestValue(rewriter, loc, elementType),
                          minValues);
    } else {
      Value zero = isFloat(elementType) ? floatConst(rewriter, loc, elementType, 0.0)
                                        : intConst(rewriter, loc, elementType, 0);
      result = reduceOver(rewriter, loc, input, axes, zero, addValues);
      if constexpr (std::is_same_v<OpTy, MeanOp>) {
        result = divideBy(rewriter, loc, result,
                          countAsFloat(rewriter, loc, input, axes, elementType));
      }
    }
    auto resultType = cast<RankedTensorType>(op.getType());
    if (op.getKeepdims())
      result = keepDims(rewriter, loc, result, resultType, axes);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct ArgmaxOpLowering : OpConversionPattern<ArgmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ArgmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Value input = adaptor.getInput();
    int64_t axis = normalizeAxis(op.getAxis(), tensorTypeOf(input).getRank());
    auto type = cast<RankedTensorType>(op.getType());
    rewriter.replaceOp(op, buildArgmax(rewriter, op.getLoc(), input, axis, type.getElementType()));
    return success();
  }
};

struct CountOpLowering : OpConversionPattern<CountOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CountOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Value count = countAsFloat(rewriter, loc, adaptor.getInput(), op.getAxes(),
                               type.getElementType());
    rewriter.replaceOpWithNewOp<tensor::FromElementsOp>(op, type, ValueRange{count});
    return success();
  }
};

} // namespace

void dnnc::lowering::populateReductionLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<SoftmaxOpLowering, LogSoftmaxOpLowering, ReduceLowering<SumOp>,
               ReduceLowering<MeanOp>, ReduceLowering<MaxOp>, ReduceLowering<MinOp>,
               ArgmaxOpLowering, CountOpLowering>(patterns.getContext());
}
