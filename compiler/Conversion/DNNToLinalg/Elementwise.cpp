//===- Elementwise.cpp - Lower elementwise ops and their gradients ----------===//
//
// Arithmetic, activations and their derivatives (relu_grad, gelu_grad, sign,
// equal, maximum): each one broadcasting linalg.generic whose body computes
// one element (ElementwiseLowering), so that fusion and the vectorizer treat
// them all alike.
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

Value selectF(OpBuilder &b, Location loc, arith::CmpFPredicate pred, Value x, Value y,
              Value ifTrue, Value ifFalse) {
  Value cond = arith::CmpFOp::create(b, loc, pred, x, y);
  return arith::SelectOp::create(b, loc, cond, ifTrue, ifFalse);
}

template <typename OpTy, typename FloatOp, typename IntOp>
struct BinaryLowering : ElementwiseLowering<OpTy> {
  using ElementwiseLowering<OpTy>::ElementwiseLowering;
  Value element(OpTy, OpBuilder &b, Location loc, ValueRange xs) const override {
    if (isFloat(xs[0].getType()))
      return FloatOp::create(b, loc, xs[0], xs[1]);
    return IntOp::create(b, loc, xs[0], xs[1]);
  }
};

/// Unary elementwise ops whose body is a function of the element.
template <typename OpTy>
struct UnaryLowering : ElementwiseLowering<OpTy> {
  using ElementwiseLowering<OpTy>::ElementwiseLowering;
  virtual Value body(OpTy op, OpBuilder &b, Location loc, Value x) const = 0;
  Value element(OpTy op, OpBuilder &b, Location loc, ValueRange xs) const override {
    return body(op, b, loc, xs[0]);
  }
};

#define DNN_UNARY(OP, EXPR)                                                             \
  struct OP##Lowering : UnaryLowering<OP> {                                             \
    using UnaryLowering<OP>::UnaryLowering;                                             \
    Value body(OP op, OpBuilder &b, Location loc, Value x) const override {             \
      Type t = x.getType();                                                             \
      (void)t;                                                                          \
      (void)op;                                                                         \
      return EXPR;                                                                      \
    }                                                                                   \
  };

DNN_UNARY(NegOp, isFloat(t) ? arith::NegFOp::create(b, loc, x).getResult()
                            : arith::SubIOp::create(b, loc, intConst(b, loc, t, 0), x)
                                  .getResult())
DNN_UNARY(ReluOp, arith::MaximumFOp::create(b, loc, x, floatConst(b, loc, t, 0.0)).getResult())
DNN_UNARY(TanhOp, math::TanhOp::create(b, loc, x).getResult())
DNN_UNARY(ExpOp, math::ExpOp::create(b, loc, x).getResult())
DNN_UNARY(LogOp, math::LogOp::create(b, loc, x).getResult())
DNN_UNARY(SqrtOp, math::SqrtOp::create(b, loc, x).getResult())
// |x| for integers as max(x, -x): vectorizes where math.absi does not lower.
DNN_UNARY(AbsOp, isFloat(t) ? math::AbsFOp::create(b, loc, x).getResult()
                            : arith::MaxSIOp::create(
                                  b, loc, x,
                                  arith::SubIOp::create(b, loc, intConst(b, loc, t, 0), x))
                                  .getResult())
#undef DNN_UNARY

/// 1 + exp(-x), the denominator of sigmoid and silu: +inf for very negative
/// x, where exp overflows, which makes both 0.
static Value onePlusExpNeg(OpBuilder &b, Location loc, Value x) {
  Value e = math::ExpOp::create(b, loc, arith::NegFOp::create(b, loc, x));
  return arith::AddFOp::create(b, loc, floatConst(b, loc, x.getType(), 1.0), e);
}

struct SigmoidOpLowering : UnaryLowering<SigmoidOp> {
  using UnaryLowering::UnaryLowering;
  // 1 / (1 + exp(-x)).
  Value body(SigmoidOp, OpBuilder &b, Location loc, Value x) const override {
    Value denominator = onePlusExpNeg(b, loc, x);
    return arith::DivFOp::create(b, loc, floatConst(b, loc, x.getType(), 1.0), denominator);
  }
};

struct SiluOpLowering : UnaryLowering<SiluOp> {
  using UnaryLowering::UnaryLowering;
  // x / (1 + exp(-x)): one divide, no separate sigmoid and multiply.
  Value body(SiluOp, OpBuilder &b, Location loc, Value x) const override {
    return arith::DivFOp::create(b, loc, x, onePlusExpNeg(b, loc, x));
  }
};

struct GeluOpLowering : UnaryLowering<GeluOp> {
  using UnaryLowering::UnaryLowering;
  // 0.5 x (1 + erf(x / sqrt 2)), or 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
  Value body(GeluOp op, OpBuilder &b, Location loc, Value x) const override {
    Type t = x.getType();
    Value inner = op.getTanh() ? math::TanhOp::create(b, loc, tanhGeluArgument(b, loc, x)).getResult()
                               : math::ErfOp::create(b, loc,
                                                     arith::MulFOp::create(b, loc, x, floatConst(b, loc, t, M_SQRT1_2)))
                                     .getResult();
    Value half = arith::MulFOp::create(b, loc, x, floatConst(b, loc, t, 0.5));
    return arith::AddFOp::create(b, loc, half, arith::MulFOp::create(b, loc, half, inner));
  }
};

struct SoftplusOpLowering : UnaryLowering<SoftplusOp> {
  using UnaryLowering::UnaryLowering;
  // log(1 + exp(x)) as max(x, 0) + log1p(exp(-|x|)): exp never sees a
  // positive argument, so it cannot overflow.
  Value body(SoftplusOp, OpBuilder &b, Location loc, Value x) const override {
    Type t = x.getType();
    Value zero = floatConst(b, loc, t, 0.0);
    Value negAbs = arith::NegFOp::create(b, loc, math::AbsFOp::create(b, loc, x));
    Value tail = math::Log1pOp::create(b, loc, math::ExpOp::create(b, loc, negAbs));
    return arith::AddFOp::create(b, loc, arith::MaximumFOp::create(b, loc, x, zero), tail);
  }
};

/// log(sigmoid(x)) = -softplus(-x) = -(max(-x, 0) + log1p(exp(-|x|))):
/// finite for every x, where the composed form gives log(0) = -inf for
/// x below about -88.
struct LogOfSigmoidLowering : OpConversionPattern<LogOp> {
  LogOfSigmoidLowering(MLIRContext *ctx) : OpConversionPattern<LogOp>(ctx, /*benefit=*/2) {}
  LogicalResult matchAndRewrite(LogOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto sigmoid = op.getInput().getDefiningOp<SigmoidOp>();
    if (!sigmoid)
      return failure();
    Value x = rewriter.getRemappedValue(sigmoid.getInput());
    if (!x)
      return failure();
    auto type = cast<RankedTensorType>(op.getType());
    Value result = buildElementwise(
        rewriter, op.getLoc(), type, x, [](OpBuilder &b, Location l, ValueRange xs) {
          Type t = xs[0].getType();
          Value negX = arith::NegFOp::create(b, l, xs[0]);
          Value relu = arith::MaximumFOp::create(b, l, negX, floatConst(b, l, t, 0.0));
          Value negAbs = arith::NegFOp::create(b, l, math::AbsFOp::create(b, l, xs[0]));
          Value tail = math::Log1pOp::create(b, l, math::ExpOp::create(b, l, negAbs));
          return arith::NegFOp::create(b, l, arith::AddFOp::create(b, l, relu, tail)).getResult();
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct LeakyReluOpLowering : UnaryLowering<LeakyReluOp> {
  using UnaryLowering::UnaryLowering;
  Value body(LeakyReluOp op, OpBuilder &b, Location loc, Value x) const override {
    Type t = x.getType();
    Value slope = floatConst(b, loc, t, op.getSlope().convertToDouble());
    Value positive =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, x, floatConst(b, loc, t, 0));
    Value scaled = arith::MulFOp::create(b, loc, x, slope);
    return arith::SelectOp::create(b, loc, positive, x, scaled);
  }
};

struct PowOpLowering : UnaryLowering<PowOp> {
  using UnaryLowering::UnaryLowering;
  Value body(PowOp op, OpBuilder &b, Location loc, Value x) const override {
    Type t = x.getType();
    double exponent = op.getExponent().convertToDouble();
    if (exponent == 2.0)
      return arith::MulFOp::create(b, loc, x, x);
    if (exponent == 0.5)
      return math::SqrtOp::create(b, loc, x);
    if (exponent == std::trunc(exponent) && std::abs(exponent) <= 64) {
      // Integer powers by squaring: plain multiplies, which vectorize.
      int64_t n = std::abs((int64_t)exponent);
      Value result = floatConst(b, loc, t, 1.0), base = x;
      for (; n; n >>= 1) {
        if (n & 1)
          result = arith::MulFOp::create(b, loc, result, base);
        if (n > 1)
          base = arith::MulFOp::create(b, loc, base, base);
      }
      if (exponent < 0)
        result = arith::DivFOp::create(b, loc, floatConst(b, loc, t, 1.0), result);
      return result;
    }
    return math::PowFOp::create(b, loc, x, floatConst(b, loc, t, exponent));
  }
};

struct StopGradientOpLowering : OpConversionPattern<StopGradientOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(StopGradientOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    rewriter.replaceOp(op, adaptor.getInput());
    return success();
  }
};

struct ConstantOpLowering : OpConversionPattern<ConstantOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ConstantOp op, OpAdaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto value = dyn_cast<TypedAttr>(op.getValue());
    if (!value)
      return rewriter.notifyMatchFailure(op, "constant value is not typed");
    rewriter.replaceOpWithNewOp<arith::ConstantOp>(op, value);
    return success();
  }
};

struct ReluGradOpLowering : ElementwiseLowering<ReluGradOp> {
  using ElementwiseLowering::ElementwiseLowering;
  // grad where input > 0, else slope * grad.
  Value element(ReluGradOp op, OpBuilder &b, Location loc, ValueRange xs) const override {
    Type t = xs[0].getType();
    double slope = op.getSlope().convertToDouble();
    Value zero = floatConst(b, loc, t, 0.0);
    Value other = slope == 0.0
                      ? zero
                      : arith::MulFOp::create(b, loc, xs[1], floatConst(b, loc, t, slope))
                            .getResult();
    return selectF(b, loc, arith::CmpFPredicate::OGT, xs[0], zero, xs[1], other);
  }
};

struct GeluGradOpLowering : ElementwiseLowering<GeluGradOp> {
  using ElementwiseLowering::ElementwiseLowering;
  // grad * (Phi(x) + x phi(x)) = grad * (0.5 (1 + erf(x / sqrt 2)) + x exp(-x^2 / 2) / sqrt(2 pi));
  // tanh form, u = sqrt(2/pi) (x + 0.044715 x^3), t = tanh(u):
  // grad * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)).
  Value element(GeluGradOp op, OpBuilder &b, Location loc, ValueRange xs) const override {
    Value x = xs[0], g = xs[1];
    Type t = x.getType();
    auto c = [&](double v) { return floatConst(b, loc, t, v); };
    auto mul = [&](Value l, Value r) { return arith::MulFOp::create(b, loc, l, r).getResult(); };
    auto add = [&](Value l, Value r) { return arith::AddFOp::create(b, loc, l, r).getResult(); };
    Value x2 = mul(x, x), derivative;
    if (op.getTanh()) {
      Value th = math::TanhOp::create(b, loc, tanhGeluArgument(b, loc, x));
      Value slope = mul(c(kTanhGeluScale), add(c(1.0), mul(x2, c(3 * kTanhGeluCubic))));
      Value oneMinusT2 = arith::SubFOp::create(b, loc, c(1.0), mul(th, th));
      derivative = add(mul(c(0.5), add(c(1.0), th)), mul(mul(c(0.5), x), mul(oneMinusT2, slope)));
    } else {
      Value cdf = mul(c(0.5), add(c(1.0), math::ErfOp::create(b, loc, mul(x, c(M_SQRT1_2)))));
      Value pdf = mul(c(0.3989422804014327), math::ExpOp::create(b, loc, mul(x2, c(-0.5))));
      derivative = add(cdf, mul(x, pdf));
    }
    return mul(g, derivative);
  }
};

struct SignOpLowering : ElementwiseLowering<SignOp> {
  using ElementwiseLowering::ElementwiseLowering;
  Value element(SignOp, OpBuilder &b, Location loc, ValueRange xs) const override {
    Type t = xs[0].getType();
    Value zero = floatConst(b, loc, t, 0.0);
    Value negative = selectF(b, loc, arith::CmpFPredicate::OLT, xs[0], zero,
                             floatConst(b, loc, t, -1.0), zero);
    return selectF(b, loc, arith::CmpFPredicate::OGT, xs[0], zero, floatConst(b, loc, t, 1.0),
                   negative);
  }
};

struct EqualOpLowering : ElementwiseLowering<EqualOp> {
  using ElementwiseLowering::ElementwiseLowering;
  Value element(EqualOp, OpBuilder &b, Location loc, ValueRange xs) const override {
    Type t = xs[0].getType();
    return selectF(b, loc, arith::CmpFPredicate::OEQ, xs[0], xs[1], floatConst(b, loc, t, 1.0),
                   floatConst(b, loc, t, 0.0));
  }
};

struct MaximumOpLowering : ElementwiseLowering<MaximumOp> {
  using ElementwiseLowering::ElementwiseLowering;
  Value element(MaximumOp, OpBuilder &b, Location loc, ValueRange xs) const override {
    if (isa<IntegerType>(xs[0].getType()))
      return arith::MaxSIOp::create(b, loc, xs[0], xs[1]);
    return arith::MaximumFOp::create(b, loc, xs[0], xs[1]); // propagates NaN
  }
};

} // namespace

void dnnc::lowering::populateElementwiseLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<BinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
               BinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
               BinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
               BinaryLowering<DivOp, arith::DivFOp, arith::DivSIOp>, NegOpLowering, ReluOpLowering,
               SigmoidOpLowering, SiluOpLowering, GeluOpLowering, SoftplusOpLowering,
               TanhOpLowering, ExpOpLowering, LogOpLowering, SqrtOpLowering, AbsOpLowering,
               LeakyReluOpLowering, PowOpLowering, StopGradientOpLowering, ConstantOpLowering,
               LogOfSigmoidLowering, ReluGradOpLowering, GeluGradOpLowering, SignOpLowering,
               EqualOpLowering, MaximumOpLowering>(patterns.getContext());
}
