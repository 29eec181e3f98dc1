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

/// Splits a sum whose trailing loop dims are static reductions over
/// contiguous rows, which also reduces a dynamic dim (the batch), and whose
/// innermost parallel dim is a unit dim (or absent), into partial sums over
/// the batch (those dims made parallel: whole rows in a vector accumulator)
/// and a final sum of the partials. Returns false, changing nothing, for
/// any other op.
bool splitInnerReduction(mlir::RewriterBase &rewriter, mlir::linalg::GenericOp op,
                         int64_t minLanes);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_INNERREDUCTIONS_H
