//===- InnerReductions.h - Sums over contiguous rows, in lanes -*- C++ -*-===//
//
// A dnn-tile-and-vectorize step (see the .cpp).
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_INNERREDUCTIONS_H
#define DNNC_CONVERSION_LINALGTOVECTOR_INNERREDUCTIONS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// Splits a sum whose innermost loop dim is a static reduction over
/// contiguous elements, and which also reduces a dynamic dim (the batch),
/// into per-lane partial sums (that dim made parallel: one vector
/// accumulator, contiguous loads) and a final sum of the lanes. Returns
/// false, changing nothing, for any other op.
bool splitInnerReduction(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op,
                         int64_t minLanes);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_INNERREDUCTIONS_H
