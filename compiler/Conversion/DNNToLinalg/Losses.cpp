//===- Losses.cpp - Lower losses and metrics --------------------------------===//
//
// mse, bce and bce_with_logits as one elementwise pass and a mean;
// cross_entropy from the row statistics of the logits (class indices or
// probabilities); accuracy as an argmax compared with the labels.
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

template <typename OpTy>
struct PointwiseLossLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value prediction = adaptor.getInput(), target = adaptor.getTarget();
    auto type = tensorTypeOf(prediction);
    Type t = type.getElementType();
    Value terms = buildElementwise(
        rewriter, loc, type, ValueRange{prediction, target},
        [&](OpBuilder &b, Location l, ValueRange xs) -> Value {
          Value p = xs[0], y = xs[1];
          if constexpr (std::is_same_v<OpTy, MseOp>) {
            Value d = arith::SubFOp::create(b, l, p, y);
            return arith::MulFOp::create(b, l, d, d);
          } else if constexpr (std::is_same_v<OpTy, BceOp>) {
            // Logs clamped at -100, as torch.nn.BCELoss does.
            Value floor = floatConst(b, l, t, -100.0), one = floatConst(b, l, t, 1.0);
            Value logP = arith::MaximumFOp::create(b, l, math::LogOp::create(b, l, p), floor);
            Value log1mP = arith::MaximumFOp::create(
                b, l, math::LogOp::create(b, l, arith::SubFOp::create(b, l, one, p)), floor);
            Value a = arith::MulFOp::create(b, l, y, logP);
            Value c = arith::MulFOp::create(b, l, arith::SubFOp::create(b, l, one, y), log1mP);
            return arith::NegFOp::create(b, l, arith::AddFOp::create(b, l, a, c));
          } else {
            // max(x, 0) - x*y + log1p(exp(-|x|)): never exponentiates a
            // positive number.
            Value zero = floatConst(b, l, t, 0.0);
            Value relu = arith::MaximumFOp::create(b, l, p, zero);
            Value xy = arith::MulFOp::create(b, l, p, y);
            Value negAbs = arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, p));
            Value softplus = math::Log1pOp::create(b, l, math::ExpOp::create(b, l, negAbs));
            return arith::AddFOp::create(b, l, arith::SubFOp::create(b, l, relu, xy), softplus);
          }
        });
    rewriter.replaceOp(op, meanOfAll(rewriter, loc, terms));
    return success();
  }
};

struct CrossEntropyOpLowering : OpConversionPattern<CrossEntropyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(CrossEntropyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getInput(), target = adaptor.getTarget();
    auto type = tensorTypeOf(logits);
    Type t = type.getElementType();
    MLIRContext *ctx = rewriter.getContext();
    Value lse = logSumExp(rewriter, loc, logits, 1); // [N]
    Value rows;
    if (isFloat(tensorTypeOf(target).getElementType())) {
      // Probability targets: sum_c t[n,c] * (lse[n] - x[n,c]).
      SmallVector<AffineMap> maps = {rewriter.getMultiDimIdentityMap(2),
                                     rewriter.getMultiDimIdentityMap(2),
                                     droppingAxesMap(ctx, 2, {1})};
      rows = buildReduction(rewriter, loc, ValueRange{logits, target, lse}, maps, {1},
                            floatConst(rewriter, loc, t, 0.0),
                            [](OpBuilder &b, Location l, Value acc, ValueRange xs) {
                              Value nll = arith::SubFOp::create(b, l, xs[2], xs[0]);
                              Value term = arith::MulFOp::create(b, l, xs[1], nll);
                              return arith::AddFOp::create(b, l, acc, term).getResult();
                            });
    } else {
      // Class indices: lse[n] - x[n, target[n]]. Out-of-range labels are
      // clamped into [0, C) so that a bad label cannot read out of bounds.
      Value classes = tensor::DimOp::create(rewriter, loc, logits, 1);
      auto rowType = tensorTypeOf(lse);
      rows = buildElementwise(
          rewriter, loc, rowType, ValueRange{lse, target},
          [&](OpBuilder &b, Location l, ValueRange xs) {
            Value n = linalg::IndexOp::create(b, l, 0);
            Value c = arith::IndexCastOp::create(b, l, b.getIndexType(), xs[1]);
            Value zero = indexConst(b, l, 0);
            Value last = arith::SubIOp::create(b, l, classes, indexConst(b, l, 1));
            c = arith::MaxSIOp::create(b, l, c, zero);
            c = arith::MinSIOp::create(b, l, c, last);
            Value picked = tensor::ExtractOp::create(b, l, logits, ValueRange{n, c});
            return arith::SubFOp::create(b, l, xs[0], picked).getResult();
          });
    }
    rewriter.replaceOp(op, meanOfAll(rewriter, loc, rows));
    return success();
  }
};

struct AccuracyOpLowering : OpConversionPattern<AccuracyOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(AccuracyOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value logits = adaptor.getInput(), labels = adaptor.getTarget();
    Type t = tensorTypeOf(logits).getElementType();
    Type labelType = tensorTypeOf(labels).getElementType();
    Value predicted = buildArgmax(rewriter, loc, logits, 1, labelType);
    auto rowType = RankedTensorType::get(tensorTypeOf(predicted).getShape(), t);
    Value hits = buildElementwise(rewriter, loc, rowType, ValueRange{predicted, labels},
                                  [&](OpBuilder &b, Location l, ValueRange xs) {
                                    Value eq = arith::CmpIOp::create(
                                        b, l, arith::CmpIPredicate::eq, xs[0], xs[1]);
                                    return arith::SelectOp::create(b, l, eq,
                                                                   floatConst(b, l, t, 1.0),
                                                                   floatConst(b, l, t, 0.0))
                                        .getResult();
                                  });
    rewriter.replaceOp(op, meanOfAll(rewriter, loc, hits));
    return success();
  }
};

} // namespace

void dnnc::lowering::populateLossLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<PointwiseLossLowering<MseOp>, PointwiseLossLowering<BceOp>,
               PointwiseLossLowering<BceWithLogitsOp>, CrossEntropyOpLowering,
               AccuracyOpLowering>(patterns.getContext());
}
