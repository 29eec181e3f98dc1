//===- TiledWindowScatter.h - Pooling gradients written row by row ----------===//
//
// A dnn-tile-and-vectorize kernel (see the .cpp).
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_TILEDWINDOWSCATTER_H
#define DNNC_CONVERSION_LINALGTOVECTOR_TILEDWINDOWSCATTER_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// A tensor built from tensor.empty by one strided insert_slice per window
/// offset (kh, kw) of windows that tile it, each inserting an elementwise
/// op's result: a pooling gradient over tiling windows as
/// convert-dnn-to-linalg emits it (scatterToTiledWindows).
struct TiledWindowScatter {
  mlir::tensor::EmptyOp empty;
  llvm::SmallVector<mlir::tensor::InsertSliceOp> inserts; // first to last
  llvm::SmallVector<mlir::linalg::GenericOp> parts;       // one per insert
  int64_t KH = 0, KW = 0;
};

/// The scatter that `last` (an insert whose result is no insert's
/// destination) ends, if the row kernel applies: windows of 1 or 2 columns,
/// static planes, scalar elementwise parts.
std::optional<TiledWindowScatter> matchTiledWindowScatter(mlir::tensor::InsertSliceOp last);

/// Replaces `scatter` (its last insert's result; the inserts, the parts and
/// the slices giving the parts their outputs are erased) with the row
/// kernel: one forall iteration per window row (n, c, ph) computes every
/// part's row of windows and writes the KH rows of the result whole, the KW
/// parts of a row interleaved by a shuffle, instead of one pass per window
/// offset writing every KW-th element.
void scatterWindowRows(mlir::RewriterBase &rewriter, TiledWindowScatter scatter);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_TILEDWINDOWSCATTER_H
