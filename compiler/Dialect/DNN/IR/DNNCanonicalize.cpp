//===- DNNCanonicalize.cpp - Folders and canonicalization patterns --------===//
//
// Algebraic identities (x + 0, x * 1, x / 1, x ** 1, -(-x)), idempotent ops
// (relu, stop_gradient), and shape-op chains (reshape of reshape, transpose
// of transpose) that collapse to one op or to nothing. A fold only replaces a
// value by one of the same type, so broadcasting is never lost.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace dnnc::dnn;

namespace {
/// True if `attr` is a splat tensor whose every element equals `value`.
bool isSplatOf(Attribute attr, double value) {
  auto splat = dyn_cast_or_null<SplatElementsAttr>(attr);
  if (!splat)
    return false;
  Type elem = splat.getElementType();
  if (isa<FloatType>(elem))
    return splat.getSplatValue<APFloat>().convertToDouble() == value;
  if (elem.isInteger())
    return (double)splat.getSplatValue<APInt>().getSExtValue() == value;
  return false;
}

/// `x op identity` -> x, when x already has the result's type.
OpFoldResult foldIdentityOperand(Value result, Value x, Attribute other,
                                 double identity) {
  if (x.getType() == result.getType() && isSplatOf(other, identity))
    return x;
  return {};
}

/// Folds an op of two splat constants into a splat of the (static) result type.
template <typename FloatFn, typename IntFn>
OpFoldResult foldSplats(Value result, Attribute lhs, Attribute rhs, FloatFn floatFn,
                        IntFn intFn) {
  auto a = dyn_cast_or_null<SplatElementsAttr>(lhs);
  auto b = dyn_cast_or_null<SplatElementsAttr>(rhs);
  auto type = cast<RankedTensorType>(result.getType());
  if (!a || !b || !type.hasStaticShape())
    return {};
  if (isa<FloatType>(type.getElementType())) {
    APFloat x = a.getSplatValue<APFloat>(), y = b.getSplatValue<APFloat>();
    return DenseElementsAttr::get(type, floatFn(x, y));
  }
  APInt x = a.getSplatValue<APInt>(), y = b.getSplatValue<APInt>();
  std::optional<APInt> r = intFn(x, y);
  if (!r)
    return {};
  return DenseElementsAttr::get(type, *r);
}
} // namespace

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

OpFoldResult AddOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentityOperand(getResult(), getLhs(), adaptor.getRhs(), 0))
    return r;
  if (auto r = foldIdentityOperand(getResult(), getRhs(), adaptor.getLhs(), 0))
    return r;
  return foldSplats(
      getResult(), adaptor.getLhs(), adaptor.getRhs(),
      [](APFloat x, const APFloat &y) { x.add(y, APFloat::rmNearestTiesToEven); return x; },
      [](const APInt &x, const APInt &y) -> std::optional<APInt> { return x + y; });
}

OpFoldResult SubOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentityOperand(getResult(), getLhs(), adaptor.getRhs(), 0))
    return r;
  return foldSplats(
      getResult(), adaptor.getLhs(), adaptor.getRhs(),
      [](APFloat x, const APFloat &y) { x.subtract(y, APFloat::rmNearestTiesToEven); return x; },
      [](const APInt &x, const APInt &y) -> std::optional<APInt> { return x - y; });
}

OpFoldResult MulOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentityOperand(getResult(), getLhs(), adaptor.getRhs(), 1))
    return r;
  if (auto r = foldIdentityOperand(getResult(), getRhs(), adaptor.getLhs(), 1))
    return r;
  return foldSplats(
      getResult(), adaptor.getLhs(), adaptor.getRhs(),
      [](APFloat x, const APFloat &y) { x.multiply(y, APFloat::rmNearestTiesToEven); return x; },
      [](const APInt &x, const APInt &y) -> std::optional<APInt> { return x * y; });
}

OpFoldResult DivOp::fold(FoldAdaptor adaptor) {
  if (auto r = foldIdentityOperand(getResult(), getLhs(), adaptor.getRhs(), 1))
    return r;
  return foldSplats(
      getResult(), adaptor.getLhs(), adaptor.getRhs(),
      [](APFloat x, const APFloat &y) { x.divide(y, APFloat::rmNearestTiesToEven); return x; },
      // Integer division by zero is left for run time to report.
      [](const APInt &x, const APInt &y) -> std::optional<APInt> {
        if (y.isZero())
          return std::nullopt;
        return x.sdiv(y);
      });
}

OpFoldResult NegOp::fold(FoldAdaptor adaptor) {
  if (auto inner = getInput().getDefiningOp<NegOp>())
    return inner.getInput();
  if (auto splat = dyn_cast_or_null<SplatElementsAttr>(adaptor.getInput())) {
    if (isa<FloatType>(splat.getElementType()))
      return DenseElementsAttr::get(splat.getType(), -splat.getSplatValue<APFloat>());
    return DenseElementsAttr::get(splat.getType(), -splat.getSplatValue<APInt>());
  }
  return {};
}

OpFoldResult ReluOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<ReluOp>())
    return inner.getResult();
  return {};
}

OpFoldResult StopGradientOp::fold(FoldAdaptor) {
  if (auto inner = getInput().getDefiningOp<StopGradientOp>())
    return inner.getResult();
  return {};
}

OpFoldResult PowOp::fold(FoldAdaptor) {
  if (getExponent().convertToDouble() == 1.0)
    return getInput();
  return {};
}

OpFoldResult ReshapeOp::fold(FoldAdaptor) {
  // With at most one dynamic dimension, equal types mean equal shapes.
  auto type = cast<RankedTensorType>(getType());
  if (getInput().getType() == type && type.getNumDynamicDims() <= 1)
    return getInput();
  return {};
}

OpFoldResult FlattenOp::fold(FoldAdaptor) {
  if (getInput().getType() == getType())
    return getInput();
  return {};
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  for (auto [i, p] : llvm::enumerate(getPerm()))
    if ((int64_t)i != p)
      return {};
  return getInput();
}

OpFoldResult ConcatOp::fold(FoldAdaptor) {
  if (getInputs().size() == 1 && getInputs()[0].getType() == getType())
    return getInputs()[0];
  return {};
}

namespace {
/// reshape(reshape(x, s1), s2) -> reshape(x, s2).
struct FoldReshapeChain : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<ReshapeOp>();
    if (!inner)
      return failure();
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), inner.getInput(),
                                           op.getShapeAttr());
    return success();
  }
};

/// transpose(transpose(x, p1), p2) -> transpose(x, p1[p2[i]]).
struct FoldTransposeChain : OpRewritePattern<TransposeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(TransposeOp op, PatternRewriter &rewriter) const override {
    auto inner = op.getInput().getDefiningOp<TransposeOp>();
    if (!inner)
      return failure();
    SmallVector<int64_t> perm;
    for (int64_t p : op.getPerm())
      perm.push_back(inner.getPerm()[p]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), inner.getInput(),
                                             rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
};
} // namespace

void ReshapeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<FoldReshapeChain>(context);
}

void TransposeOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<FoldTransposeChain>(context);
}
