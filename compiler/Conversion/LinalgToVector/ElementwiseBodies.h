//===- ElementwiseBodies.h - linalg.generic bodies on vectors ---------------===//
//
// The kernels of dnn-tile-and-vectorize that compute an elementwise op's rows
// themselves (convolution fused with pooling, the pooling gradient's window
// scatter) run the op's scalar body on vectors of a row.
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_ELEMENTWISEBODIES_H
#define DNNC_CONVERSION_LINALGTOVECTOR_ELEMENTWISEBODIES_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// Whether `op`'s body is scalar arith/math code (constants and elementwise
/// ops, no regions) that does not read its outputs: code that runs on
/// vectors unchanged once its types are.
bool hasScalarElementwiseBody(mlir::linalg::GenericOp op);

/// Clones `op`'s body (hasScalarElementwiseBody) at the insertion point on
/// vectors of `lanes` elements, its block arguments (inputs) mapped in
/// `mapping` to such vectors; scalars from outside the body are broadcast.
/// Returns the yielded values, as vectors.
llvm::SmallVector<mlir::Value> cloneBodyOnVectors(mlir::RewriterBase &rewriter,
                                                  mlir::Location loc,
                                                  mlir::linalg::GenericOp op,
                                                  mlir::IRMapping &mapping, int64_t lanes);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_ELEMENTWISEBODIES_H
