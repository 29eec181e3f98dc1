//===- DNNToLinalg.h - Patterns lowering dnn ops to linalg -----*- C++ -*-===//
//
// The lowering of dnn compute ops to linalg, tensor, arith and math on
// tensors, by op family: each family's file (compiler/Conversion/DNNToLinalg/
// <Family>.cpp) lowers its forward ops and the gradient ops that autodiff
// builds for them together. convert-dnn-to-linalg applies all of them; a
// pipeline or a test may take any subset.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_CONVERSION_DNNTOLINALG_DNNTOLINALG_H
#define DNNC_CONVERSION_DNNTOLINALG_DNNTOLINALG_H

#include "mlir/IR/PatternMatch.h"

namespace dnnc::lowering {

/// Arithmetic, activations, constants; relu_grad, gelu_grad, sign, equal,
/// maximum.
void populateElementwiseLoweringPatterns(mlir::RewritePatternSet &patterns);

/// dnn.matmul.
void populateMatmulLoweringPatterns(mlir::RewritePatternSet &patterns);

/// conv2d, maxpool2d, avgpool2d, maxpool2d_argmax and the convolution and
/// pooling gradients. `convolutions` and `vectorWidth`: convert-dnn-to-linalg's
/// options (auto, im2col, direct; the f32 lanes of the target's vectors, which
/// decide which filter gradients take a direct kernel).
void populateConvPoolLoweringPatterns(mlir::RewritePatternSet &patterns,
                                      llvm::StringRef convolutions, int64_t vectorWidth);

/// softmax, log_softmax, sum, mean, max, min, argmax, count.
void populateReductionLoweringPatterns(mlir::RewritePatternSet &patterns);

/// reshape, flatten, transpose, concat, one_hot, slice, broadcast_like.
void populateShapeOpLoweringPatterns(mlir::RewritePatternSet &patterns);

/// mse, bce, bce_with_logits, cross_entropy, accuracy.
void populateLossLoweringPatterns(mlir::RewritePatternSet &patterns);

/// dropout (batch_norm and layer_norm are composites of the ops above).
void populateNormalizationLoweringPatterns(mlir::RewritePatternSet &patterns);

/// apply_optimizer (sgd, momentum, adam).
void populateOptimizerLoweringPatterns(mlir::RewritePatternSet &patterns);

/// Every family above: the patterns of convert-dnn-to-linalg.
void populateDNNToLinalgPatterns(mlir::RewritePatternSet &patterns,
                                 llvm::StringRef convolutions, int64_t vectorWidth);

/// Rewrites matmul(transpose(a), b) under `root` into a matmul that reads a
/// in place through its lhs map (m, n, k) -> (k, m); run after the
/// conversion.
void foldTransposesIntoMatmuls(mlir::Operation *root);

} // namespace dnnc::lowering

#endif // DNNC_CONVERSION_DNNTOLINALG_DNNTOLINALG_H
