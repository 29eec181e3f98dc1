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

/// The elementwise op that pools `conv`'s result over windows that tile it,
/// if that is all the result is used for and the fused kernel applies: the
/// op's inputs are the KH * KW strided planes of the result (extract_slices
/// with strides [1, 1, KH, KW]; their window offsets in `offsets`), its body
/// scalar arith/math (the maxima, their offsets, a relu), rows of at most
/// two registers. Null otherwise.
mlir::linalg::GenericOp
findTiledPooling(mlir::linalg::Conv2DNchwFchwOp conv, int64_t vectorWidth,
                 llvm::SmallVectorImpl<std::pair<int64_t, int64_t>> &offsets);

/// Emits the direct kernel for `conv` fused with `pool` (findTiledPooling)
/// before `pool` and returns the values that replace the pooling's results:
/// one forall iteration per pooled row (n, ph) computes the KH output rows
/// of its windows in registers, picks each window offset's lanes with a
/// shuffle and runs the pooling's body on them; the convolution's output is
/// never stored.
llvm::SmallVector<mlir::Value>
convolveAndPoolDirectly(mlir::RewriterBase &rewriter, mlir::linalg::Conv2DNchwFchwOp conv,
                        mlir::linalg::GenericOp pool,
                        llvm::ArrayRef<std::pair<int64_t, int64_t>> offsets, int64_t vectorWidth);

/// Whether `op` is the filter gradient of a convolution with unit strides as
/// convert-dnn-to-linalg emits it: over (f, c, kh, kw, n, oh, ow),
/// dw[f, c, kh, kw] += x[n, c, oh + kh, ow + kw] * dy[n, f, oh, ow], f32,
/// static but for the batch.
bool isFilterGradient(mlir::linalg::GenericOp op);

/// Emits the direct filter gradient for `op` (isFilterGradient) and returns
/// the value that replaces its result: a forall over chunks of the batch,
/// each summing its images into a partial gradient of its own, then one
/// reduction of the partials into the accumulator. Each chunk takes vector
/// rows of dy times shifted rows of x, reduced once per chunk, or, where the
/// output channels fill whole registers and the rows would not
/// (filterGradientAlongChannels), vectors of dy's channels times broadcast
/// elements of x, one accumulator per window offset.
mlir::Value filterGradientDirectly(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op,
                                   int64_t vectorWidth);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_DIRECTCONVOLUTION_H
