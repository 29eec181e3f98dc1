//===- DirectConvolution.h - Register-tiled direct 2-D convolution --------===//
//
// The direct convolution kernel of dnn-tile-and-vectorize (see the .cpp).
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_DIRECTCONVOLUTION_H
#define DNNC_CONVERSION_LINALGTOVECTOR_DIRECTCONVOLUTION_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// Whether `conv` can take the direct kernel: f32 on tensors, unit strides
/// and dilations, static channels, filter and planes (the batch may be
/// dynamic), and output rows of at most 4 vector registers.
bool canConvolveDirectly(mlir::linalg::Conv2DNchwFchwOp conv, int64_t vectorWidth);

/// Emits the direct kernel for `conv` (which canConvolveDirectly accepts)
/// before it and returns the value that replaces its result.
mlir::Value convolveDirectly(mlir::RewriterBase &rewriter, mlir::linalg::Conv2DNchwFchwOp conv,
                             int64_t vectorWidth);

/// Whether `op` is the filter gradient of a convolution with unit strides as
/// convert-dnn-to-linalg emits it: over (f, c, kh, kw, n, oh, ow),
/// dw[f, c, kh, kw] += x[n, c, oh + kh, ow + kw] * dy[n, f, oh, ow], f32,
/// static but for the batch.
bool isFilterGradient(mlir::linalg::GenericOp op);

/// Emits the direct filter gradient for `op` (isFilterGradient) and returns
/// the value that replaces its result: a forall over chunks of the batch,
/// each summing its images into a partial gradient of its own (vector rows
/// of dy times shifted rows of x, reduced once per chunk), then one
/// reduction of the partials into the accumulator.
mlir::Value filterGradientDirectly(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op,
                                   int64_t vectorWidth);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_DIRECTCONVOLUTION_H
