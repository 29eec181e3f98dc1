//===- DNNToLinalg.cpp - Lower dnn compute ops to linalg on tensors -------===//
//
// Every dnn compute op becomes linalg (named ops where they exist, generic
// otherwise), tensor, arith and math ops on tensors. Dynamic sizes come from
// the operands with tensor.dim, so one lowering serves every batch size.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"
#include "dnnc/Dialect/DNN/IR/DNNDialect.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "LoweringHelpers.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

#include <limits>

namespace dnnc {
#define GEN_PASS_DEF_CONVERTDNNTOLINALGPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;
using namespace dnnc::dnn;
using namespace dnnc::lowering;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Linear algebra, convolution and pooling
//===----------------------------------------------------------------------===//

struct MatmulOpLowering : OpConversionPattern<MatmulOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MatmulOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value lhs = adaptor.getLhs(), rhs = adaptor.getRhs();
    auto type = cast<RankedTensorType>(op.getType());
    auto lhsType = tensorTypeOf(lhs), rhsType = tensorTypeOf(rhs);
    int64_t rank = type.getRank();
    Value zero = floatConst(rewriter, loc, type.getElementType(), 0.0);

    // Result sizes: batch dims broadcast, then lhs rows and rhs columns.
    SmallVector<OpFoldResult> sizes;
    {
      auto batchType = RankedTensorType::get(type.getShape().drop_back(2), type.getElementType());
      SmallVector<OpFoldResult> batch;
      for (int64_t i = 0; i < rank - 2; ++i) {
        if (!batchType.isDynamicDim(i)) {
          batch.push_back(rewriter.getIndexAttr(batchType.getDimSize(i)));
          continue;
        }
        OpFoldResult size = rewriter.getIndexAttr(1);
        for (Value operand : {lhs, rhs}) {
          auto shape = tensorTypeOf(operand).getShape().drop_back(2);
          int64_t j = i - (rank - 2 - (int64_t)shape.size());
          if (j >= 0 && shape[j] != 1) {
            size = dimOf(rewriter, loc, operand, j);
            break;
          }
        }
        batch.push_back(size);
      }
      sizes = batch;
      sizes.push_back(dimOf(rewriter, loc, lhs, lhsType.getRank() - 2));
      sizes.push_back(dimOf(rewriter, loc, rhs, rhsType.getRank() - 1));
    }
    Value init = filledTensor(rewriter, loc, type, sizes, zero);

    if (lhsType.getRank() == 2 && rhsType.getRank() == 2) {
      rewriter.replaceOp(op, linalg::MatmulOp::create(rewriter, loc, TypeRange{type},
                                                      ValueRange{lhs, rhs}, ValueRange{init})
                                 .getResult(0));
      return success();
    }
    if (lhsType.getRank() == 3 && rhsType.getRank() == 3 &&
        lhsType.getDimSize(0) == rhsType.getDimSize(0) && lhsType.getDimSize(0) != 1) {
      rewriter.replaceOp(op, linalg::BatchMatmulOp::create(rewriter, loc, TypeRange{type},
                                                           ValueRange{lhs, rhs},
                                                           ValueRange{init})
                                 .getResult(0));
      return success();
    }

    // Broadcasting batch dims: a generic over (batch..., m, n, k).
    MLIRContext *ctx = rewriter.getContext();
    int64_t loops = rank + 1;
    auto operandMap = [&](RankedTensorType operandType, bool isLhs) {
      auto shape = operandType.getShape();
      int64_t batchRank = shape.size() - 2, offset = rank - 2 - batchRank;
      SmallVector<AffineExpr> exprs;
      for (int64_t j = 0; j < batchRank; ++j) {
        bool broadcast = shape[j] == 1 && type.getDimSize(offset + j) != 1;
        exprs.push_back(broadcast ? getAffineConstantExpr(0, ctx)
                                  : getAffineDimExpr(offset + j, ctx));
      }
      AffineExpr m = getAffineDimExpr(rank - 2, ctx), n = getAffineDimExpr(rank - 1, ctx),
                 k = getAffineDimExpr(rank, ctx);
      exprs.push_back(isLhs ? m : k);
      exprs.push_back(isLhs ? k : n);
      return AffineMap::get(loops, 0, exprs, ctx);
    };
    // The result reads every loop dim but the trailing reduction dim k.
    AffineMap resultMap = AffineMap::getMultiDimIdentityMap(loops, ctx).getMajorSubMap(rank);
    SmallVector<AffineMap> maps = {operandMap(lhsType, true), operandMap(rhsType, false),
                                   resultMap};
    SmallVector<utils::IteratorType> iterators = parallelIterators(loops);
    iterators.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{lhs, rhs}, ValueRange{init}, maps, iterators,
        [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[2], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }
};

/// y[n, f, oh, ow] = sum_{c, kh, kw} w[f, c, kh, kw] x[n, c, oh s + kh, ow s + kw]
/// (+ b[f]) as one matmul, w [F, C*KH*KW] @ im2col(x) [C*KH*KW, N*OH*OW],
/// which gets the register-tiled matmul code, then one copy that puts the
/// batch first again and adds the bias.
static Value convolutionAsMatmul(OpBuilder &b, Location loc, RankedTensorType type, Value padded,
                                 Value filter, Value bias, ArrayRef<int64_t> stride) {
  MLIRContext *ctx = b.getContext();
  Type elementType = type.getElementType();
  auto filterType = tensorTypeOf(filter);
  int64_t F = filterType.getDimSize(0), C = filterType.getDimSize(1);
  int64_t KH = filterType.getDimSize(2), KW = filterType.getDimSize(3);
  int64_t OH = type.getDimSize(2), OW = type.getDimSize(3), N = type.getDimSize(0);
  int64_t columns = ShapedType::isDynamic(N) ? ShapedType::kDynamic : N * OH * OW;
  Value cols = im2colColumns(b, loc, padded, KH, KW, OH, OW, stride);
  OpFoldResult n = dimOf(b, loc, padded, 0);
  Value filterMatrix = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({F, C * KH * KW}, elementType), filter,
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  auto productType = RankedTensorType::get({F, columns}, elementType);
  Value init = filledTensor(b, loc, productType, {b.getIndexAttr(F), timesConstant(b, loc, n, OH * OW)},
                            floatConst(b, loc, elementType, 0.0));
  Value product = linalg::MatmulOp::create(b, loc, TypeRange{productType},
                                           ValueRange{filterMatrix, cols}, ValueRange{init})
                      .getResult(0);
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({F, N, OH, OW}, elementType), product,
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}},
      SmallVector<OpFoldResult>{b.getIndexAttr(F), n, b.getIndexAttr(OH), b.getIndexAttr(OW)});
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<Value> inputs = {expanded};
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d(1), d(0), d(2), d(3)}, ctx)};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(AffineMap::get(4, 0, {d(1)}, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  Value empty = emptyTensor(b, loc, type,
                            {n, b.getIndexAttr(F), b.getIndexAttr(OH), b.getIndexAttr(OW)});
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, inputs, ValueRange{empty}, maps, parallelIterators(4),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value v = args[0];
               if (bias)
                 v = arith::AddFOp::create(nb, l, v, args[1]);
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

struct Conv2dOpLowering : OpConversionPattern<Conv2dOp> {
  /// `algorithm`: the pass's `convolutions` option (auto, im2col, direct).
  Conv2dOpLowering(MLIRContext *ctx, StringRef algorithm)
      : OpConversionPattern(ctx), algorithm(algorithm.str()) {}
  std::string algorithm;

  /// Whether a convolution with static planes becomes an im2col matmul
  /// rather than linalg.conv_2d_nchw_fchw (direct code where strides are 1).
  /// The direct kernel reads each input row in place, where im2col copies
  /// the input KH*KW times and the matmul streams the copies back (LeNet-5
  /// predict at batch 256, one thread: 10 ms -> 2.6-3.1 ms). That holds in
  /// training too, even where the filter gradient builds the same columns
  /// anyway: the matmul over them took 13.9 ms per cifar_cnn step at batch
  /// 64 where the direct kernel takes 5.9 ms (step 45-48 -> 35-40 ms, 5 runs), and
  /// LeNet-5's from 5.8-6.6 to 5.3-5.9 ms (3 runs, docs/performance.md).
  bool useIm2col(Conv2dOp op) const {
    if (algorithm == "im2col")
      return true;
    return llvm::any_of(op.getStride(), [](int64_t s) { return s != 1; });
  }

  LogicalResult matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), op.getPadding(),
                             floatConst(rewriter, loc, elementType, 0.0));
    auto filterType = tensorTypeOf(adaptor.getFilter());
    if (filterType.hasStaticShape() &&
        llvm::none_of(tensorTypeOf(input).getShape().drop_front(), ShapedType::isDynamic) &&
        useIm2col(op)) {
      rewriter.replaceOp(op, convolutionAsMatmul(rewriter, loc, type, input, adaptor.getFilter(),
                                                 adaptor.getBias(), op.getStride()));
      return success();
    }
    SmallVector<int64_t> window(filterType.getShape().drop_front(2));
    SmallVector<OpFoldResult> sizes =
        nchwSizes(rewriter, loc, type, adaptor.getInput(), dimOf(rewriter, loc, adaptor.getFilter(), 0),
                  window, op.getStride(), op.getPadding());
    Value init;
    if (Value bias = adaptor.getBias()) {
      // Start the accumulator at the bias, broadcast over N, H and W.
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx),
                                     rewriter.getMultiDimIdentityMap(4)};
      Value empty = emptyTensor(rewriter, loc, type, sizes);
      init = linalg::GenericOp::create(
                 rewriter, loc, TypeRange{type}, ValueRange{bias}, ValueRange{empty}, maps,
                 parallelIterators(4),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      init = filledTensor(rewriter, loc, type, sizes, floatConst(rewriter, loc, elementType, 0));
    }
    auto conv = linalg::Conv2DNchwFchwOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input, adaptor.getFilter()}, ValueRange{init},
        i64Vector(rewriter, op.getStride()), i64Vector(rewriter, {1, 1}));
    rewriter.replaceOp(op, conv.getResult(0));
    return success();
  }
};

template <typename OpTy, bool IsMax>
struct Pool2dLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    // Max pooling pads with -inf so that padding never wins; average pooling
    // pads with zeros that count in the mean (count_include_pad=True).
    // Windows that tile the input: one elementwise op over its strided
    // planes (vector code), not a reduction over each window.
    if (windowsTileInput(tensorTypeOf(adaptor.getInput()), type, op.getSize(), op.getStride(),
                         op.getPadding())) {
      SmallVector<OpFoldResult> sizes = nchwSizes(
          rewriter, loc, type, adaptor.getInput(), dimOf(rewriter, loc, adaptor.getInput(), 1),
          op.getSize(), op.getStride(), op.getPadding());
      rewriter.replaceOp(
          op, IsMax ? tiledWindowMaxima(rewriter, loc, adaptor.getInput(), op.getSize(), sizes).first
                    : tiledWindowMean(rewriter, loc, adaptor.getInput(), op.getSize(), sizes));
      return success();
    }
    Value padValue = IsMax ? lowestValue(rewriter, loc, elementType)
                           : floatConst(rewriter, loc, elementType, 0.0);
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), op.getPadding(), padValue);
    SmallVector<OpFoldResult> sizes =
        nchwSizes(rewriter, loc, type, adaptor.getInput(), dimOf(rewriter, loc, adaptor.getInput(), 1),
                  op.getSize(), op.getStride(), op.getPadding());
    Value init = filledTensor(rewriter, loc, type, sizes, padValue);
    ArrayRef<int64_t> size = op.getSize();
    Value window = tensor::EmptyOp::create(rewriter, loc, size, elementType);
    DenseIntElementsAttr strides = i64Vector(rewriter, op.getStride());
    DenseIntElementsAttr dilations = i64Vector(rewriter, {1, 1});
    Value pooled;
    if constexpr (IsMax) {
      pooled = linalg::PoolingNchwMaxOp::create(rewriter, loc, TypeRange{type},
                                                ValueRange{input, window}, ValueRange{init},
                                                strides, dilations)
                   .getResult(0);
    } else {
      pooled = linalg::PoolingNchwSumOp::create(rewriter, loc, TypeRange{type},
                                                ValueRange{input, window}, ValueRange{init},
                                                strides, dilations)
                   .getResult(0);
      pooled = divideBy(rewriter, loc, pooled,
                        floatConst(rewriter, loc, elementType, double(size[0] * size[1])));
    }
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// Losses and metrics
//===----------------------------------------------------------------------===//

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

//===----------------------------------------------------------------------===//
// The pass
//===----------------------------------------------------------------------===//

struct ConvertDNNToLinalgPass
    : dnnc::impl::ConvertDNNToLinalgPassBase<ConvertDNNToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    RewritePatternSet patterns(ctx);
    patterns.add<BinaryLowering<AddOp, arith::AddFOp, arith::AddIOp>,
                 BinaryLowering<SubOp, arith::SubFOp, arith::SubIOp>,
                 BinaryLowering<MulOp, arith::MulFOp, arith::MulIOp>,
                 BinaryLowering<DivOp, arith::DivFOp, arith::DivSIOp>, NegOpLowering,
                 ReluOpLowering, SigmoidOpLowering, SiluOpLowering, GeluOpLowering, SoftplusOpLowering,
                 TanhOpLowering, ExpOpLowering,
                 LogOpLowering, SqrtOpLowering, AbsOpLowering, LeakyReluOpLowering,
                 PowOpLowering, StopGradientOpLowering, ConstantOpLowering, MatmulOpLowering,
                 Pool2dLowering<MaxPool2dOp, true>,
                 Pool2dLowering<AvgPool2dOp, false>, SoftmaxOpLowering, LogSoftmaxOpLowering,
                 ReduceLowering<SumOp>, ReduceLowering<MeanOp>, ReduceLowering<MaxOp>,
                 ReduceLowering<MinOp>, ArgmaxOpLowering, ReshapeOpLowering,
                 FlattenOpLowering, TransposeOpLowering, ConcatOpLowering, OneHotOpLowering,
                 PointwiseLossLowering<MseOp>, PointwiseLossLowering<BceOp>,
                 PointwiseLossLowering<BceWithLogitsOp>, CrossEntropyOpLowering,
                 AccuracyOpLowering, LogOfSigmoidLowering>(ctx);
    if (convolutions != "auto" && convolutions != "im2col" && convolutions != "direct") {
      getOperation().emitError() << "convert-dnn-to-linalg: convolutions='" << convolutions
                                 << "' is not one of auto, im2col, direct";
      return signalPassFailure();
    }
    populateGradientOpLoweringPatterns(patterns, convolutions);
    populateTrainingModeOpLoweringPatterns(patterns);
    patterns.add<Conv2dOpLowering>(ctx, convolutions);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<DNNDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, func::FuncDialect>();
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    readTransposedOperandsInPlace();
    // erf (gelu) has no LLVM intrinsic and libm's erff one element at a
    // time would not vectorize: upstream's polynomial approximation, in
    // arith ops that vectorize with the rest of the body.
    // (A walk, not the greedy driver, which would also fold and hoist every
    // constant of every body.)
    RewritePatternSet erf(ctx);
    populatePolynomialApproximateErfPattern(erf);
    walkAndApplyPatterns(getOperation(), FrozenRewritePatternSet(std::move(erf)));
  }

  /// matmul(transpose(a), b) -> matmul with lhs map (m, n, k) -> (k, m) on
  /// a: the weight gradients x^T @ dy of every dense layer then read x as
  /// it is stored instead of materializing its transpose, and the register
  /// tiles load a's columns, contiguous in that layout, as vectors.
  void readTransposedOperandsInPlace() {
    MLIRContext *ctx = &getContext();
    SmallVector<linalg::MatmulOp> matmuls;
    getOperation().walk([&](linalg::MatmulOp m) { matmuls.push_back(m); });
    for (linalg::MatmulOp matmul : matmuls) {
      auto transpose = matmul.getInputs()[0].getDefiningOp<linalg::TransposeOp>();
      if (!transpose || transpose.getPermutation() != ArrayRef<int64_t>{1, 0} ||
          !matmul.hasPureTensorSemantics() ||
          matmul.getIndexingMapsArray() != linalg::MatmulOp::getDefaultIndexingMaps(ctx))
        continue;
      AffineExpr m, n, k;
      bindDims(ctx, m, n, k);
      auto maps = ArrayAttr::get(
          ctx, {AffineMapAttr::get(AffineMap::get(3, 0, {k, m}, ctx)),
                AffineMapAttr::get(AffineMap::get(3, 0, {k, n}, ctx)),
                AffineMapAttr::get(AffineMap::get(3, 0, {m, n}, ctx))});
      OpBuilder b(matmul);
      auto transposed = linalg::MatmulOp::create(
          b, matmul.getLoc(), matmul.getResultTypes(),
          ValueRange{transpose.getInput(), matmul.getInputs()[1]}, matmul.getOutputs(),
          {b.getNamedAttr("indexing_maps", maps)});
      matmul.replaceAllUsesWith(transposed.getResults());
      matmul.erase();
      if (transpose->use_empty())
        transpose.erase();
    }
  }
};

} // namespace
