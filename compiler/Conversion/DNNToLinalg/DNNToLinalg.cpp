//===- DNNToLinalg.cpp - Lower dnn compute ops to linalg on tensors -------===//
//
// Every dnn compute op becomes linalg (named ops where they exist, generic
// otherwise), tensor, arith and math ops on tensors. Dynamic sizes come from
// the operands with tensor.dim, so one lowering serves every batch size. The
// patterns live with their op family (DNNToLinalg.h); this file is the pass.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/DNNToLinalg/DNNToLinalg.h"
#include "dnnc/Conversion/Passes.h"
#include "dnnc/Dialect/DNN/IR/DNNDialect.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Transforms/DialectConversion.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace dnnc {
#define GEN_PASS_DEF_CONVERTDNNTOLINALGPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

void dnnc::lowering::populateDNNToLinalgPatterns(RewritePatternSet &patterns,
                                                 StringRef convolutions, int64_t vectorWidth) {
  populateElementwiseLoweringPatterns(patterns);
  populateMatmulLoweringPatterns(patterns);
  populateConvPoolLoweringPatterns(patterns, convolutions, vectorWidth);
  populateReductionLoweringPatterns(patterns);
  populateShapeOpLoweringPatterns(patterns);
  populateLossLoweringPatterns(patterns);
  populateNormalizationLoweringPatterns(patterns);
  populateOptimizerLoweringPatterns(patterns);
}

namespace {

struct ConvertDNNToLinalgPass
    : dnnc::impl::ConvertDNNToLinalgPassBase<ConvertDNNToLinalgPass> {
  using Base::Base;
  void runOnOperation() override {
    MLIRContext *ctx = &getContext();
    if (convolutions != "auto" && convolutions != "im2col" && convolutions != "direct") {
      getOperation().emitError() << "convert-dnn-to-linalg: convolutions='" << convolutions
                                 << "' is not one of auto, im2col, direct";
      return signalPassFailure();
    }
    RewritePatternSet patterns(ctx);
    if (vectorWidth < 1) {
      getOperation().emitError() << "convert-dnn-to-linalg: vector-width must be positive, got "
                                 << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }
    dnnc::lowering::populateDNNToLinalgPatterns(patterns, convolutions, vectorWidth);

    ConversionTarget target(*ctx);
    target.addIllegalDialect<dnnc::dnn::DNNDialect>();
    target.addLegalDialect<linalg::LinalgDialect, tensor::TensorDialect, arith::ArithDialect,
                           math::MathDialect, func::FuncDialect>();
    if (failed(applyPartialConversion(getOperation(), target, std::move(patterns))))
      return signalPassFailure();
    dnnc::lowering::foldTransposesIntoMatmuls(getOperation());
    // erf (gelu) has no LLVM intrinsic and libm's erff one element at a
    // time would not vectorize: upstream's polynomial approximation, in
    // arith ops that vectorize with the rest of the body.
    // (A walk, not the greedy driver, which would also fold and hoist every
    // constant of every body.)
    RewritePatternSet erf(ctx);
    populatePolynomialApproximateErfPattern(erf);
    walkAndApplyPatterns(getOperation(), FrozenRewritePatternSet(std::move(erf)));
  }
};

} // namespace
