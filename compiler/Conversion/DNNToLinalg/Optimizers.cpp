//===- Optimizers.cpp - Lower dnn.apply_optimizer ---------------------------===//
//
// Each optimizer update (sgd, momentum, adam, with weight decay) is one
// elementwise generic with a result per updated tensor, so the parameter
// and its state are read and written in one pass.
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

struct ApplyOptimizerOpLowering : OpConversionPattern<ApplyOptimizerOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(ApplyOptimizerOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getNewParam().getType());
    Type f = type.getElementType();
    Type f64 = rewriter.getF64Type();
    auto hyper = [&](llvm::StringRef name) {
      return cast<FloatAttr>(op.getHyperparameters().get(name)).getValueAsDouble();
    };
    double weightDecay = hyper("weight_decay");
    OptimizerKind kind = op.getOptimizer();

    // Scalars, once per step: lr, and for adam the bias corrections in f64
    // as torch.optim computes them in Python.
    // sgd and momentum take -lr rounded to the param type, as torch's
    // add_(alpha=-lr) does.
    Value lr = tensor::ExtractOp::create(rewriter, loc, adaptor.getLr(), ValueRange{});
    Value negLr = arith::TruncFOp::create(rewriter, loc, f,
                                          arith::NegFOp::create(rewriter, loc, lr));
    Value stepSize, correction2Sqrt;
    if (kind == OptimizerKind::adam) {
      Value step = tensor::ExtractOp::create(rewriter, loc, adaptor.getStep(), ValueRange{});
      Value t = arith::SIToFPOp::create(rewriter, loc, f64, step);
      auto correction = [&](double beta) -> Value {
        Value power = math::PowFOp::create(rewriter, loc, floatConst(rewriter, loc, f64, beta), t);
        return arith::SubFOp::create(rewriter, loc, floatConst(rewriter, loc, f64, 1.0), power);
      };
      Value size = arith::DivFOp::create(rewriter, loc, lr, correction(hyper("beta1")));
      stepSize = arith::TruncFOp::create(rewriter, loc, f,
                                         arith::NegFOp::create(rewriter, loc, size));
      correction2Sqrt = arith::TruncFOp::create(
          rewriter, loc, f, math::SqrtOp::create(rewriter, loc, correction(hyper("beta2"))));
    }

    // The param and state are the generic's outs, read and overwritten
    // element by element: the update bufferizes in place into the step's
    // param and state arguments (tiles read the slice they write).
    SmallVector<Value> inputs = {adaptor.getGrad()};
    SmallVector<Value> inits = {adaptor.getParam()};
    llvm::append_range(inits, adaptor.getState());
    SmallVector<Type> types(op->getNumResults(), type);
    int64_t rank = type.getRank();
    SmallVector<AffineMap> maps(inputs.size() + inits.size(),
                                rewriter.getMultiDimIdentityMap(rank));
    auto generic = linalg::GenericOp::create(
        rewriter, loc, types, inputs, inits, maps, parallelIterators(rank),
        [&](OpBuilder &b, Location l, ValueRange args) {
          auto c = [&](double v) { return floatConst(b, l, f, v); };
          auto mul = [&](Value x, Value y) { return arith::MulFOp::create(b, l, x, y).getResult(); };
          auto add = [&](Value x, Value y) { return arith::AddFOp::create(b, l, x, y).getResult(); };
          Value g = args[0], p = args[1];
          ValueRange state = args.drop_front(2);
          if (weightDecay != 0.0)
            g = add(g, mul(p, c(weightDecay)));
          SmallVector<Value> results;
          switch (kind) {
          case OptimizerKind::sgd:
            results.push_back(add(p, mul(g, negLr)));
            break;
          case OptimizerKind::momentum: {
            Value v = add(mul(state[0], c(hyper("beta"))), g);
            results.append({add(p, mul(v, negLr)), v});
            break;
          }
          case OptimizerKind::adam: {
            double beta1 = hyper("beta1"), beta2 = hyper("beta2");
            Value m = add(mul(state[0], c(beta1)), mul(g, c(1.0 - beta1)));
            Value v = add(mul(state[1], c(beta2)), mul(mul(g, g), c(1.0 - beta2)));
            Value denom = add(arith::DivFOp::create(b, l, math::SqrtOp::create(b, l, v),
                                                    correction2Sqrt),
                              c(hyper("eps")));
            Value update = arith::DivFOp::create(b, l, m, denom);
            results.append({add(p, mul(update, stepSize)), m, v});
            break;
          }
          }
          linalg::YieldOp::create(b, l, results);
        });
    rewriter.replaceOp(op, generic.getResults());
    return success();
  }
};

} // namespace

void dnnc::lowering::populateOptimizerLoweringPatterns(RewritePatternSet &patterns) {
  patterns.add<ApplyOptimizerOpLowering>(patterns.getContext());
}
