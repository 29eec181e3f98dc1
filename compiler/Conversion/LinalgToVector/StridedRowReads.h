//===- StridedRowReads.h - Strided vector reads as contiguous ones ---------===//
//
// A dnn-tile-and-vectorize cleanup (see the .cpp).
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_STRIDEDROWREADS_H
#define DNNC_CONVERSION_LINALGTOVECTOR_STRIDEDROWREADS_H

#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// Rewrites a vector.transfer_read of a row whose elements are a constant
/// stride s > 1 apart in its source tensor (a strided tensor.extract_slice,
/// such as one offset (kh, kw) of every 2x2 pooling window) into a read of
/// the contiguous span that holds them and a vector.shuffle that picks every
/// s-th lane.
void populateStridedRowReadPatterns(mlir::RewritePatternSet &patterns);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_STRIDEDROWREADS_H
