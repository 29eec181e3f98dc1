//===- WindowColumns.h - im2col and col2im in one pass each -----------------===//
//
// Two dnn-tile-and-vectorize kernels (see the .cpp).
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_WINDOWCOLUMNS_H
#define DNNC_CONVERSION_LINALGTOVECTOR_WINDOWCOLUMNS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// The im2col columns of a convolution as convert-dnn-to-linalg builds them
/// (im2colColumns): a [C, KH, KW, N, OH, OW] tensor filled from tensor.empty
/// by one insert per window offset (kh, kw), each a transpose of the strided
/// window x[:, :, kh::s0, kw::s1] of the [N, C, H, W] input.
struct WindowGather {
  mlir::tensor::EmptyOp empty;
  mlir::Value input;
  llvm::SmallVector<mlir::tensor::InsertSliceOp> inserts; // first to last
  llvm::SmallVector<mlir::linalg::TransposeOp> copies;    // one per insert
  int64_t KH = 0, KW = 0, strideH = 1, strideW = 1;
};

/// The gather that `last` (an insert whose result is no insert's
/// destination) ends, if the row kernel applies: static channels, window
/// and planes, output rows of at most `maxLanes` elements.
std::optional<WindowGather> matchWindowGather(mlir::tensor::InsertSliceOp last,
                                              int64_t maxLanes);

/// Replaces `gather` (its last insert's result; the chain is erased) with one
/// forall iteration per output row (c, n, oh) that copies the KH * KW input
/// rows of its windows into their columns: one pass over the input instead
/// of one per window offset.
void gatherWindowRows(mlir::RewriterBase &rewriter, WindowGather gather);

/// col2im as convert-dnn-to-linalg builds it (the input gradient of an
/// im2col convolution): a zero-filled [N, C, PH, PW] tensor to which one
/// elementwise pass per window offset (kh, kw) adds the columns' plane
/// cols[:, kh, kw] ([C, KH, KW, N, OH, OW]) in the strided window
/// [:, :, kh::s0, kw::s1].
struct WindowAccumulation {
  mlir::linalg::FillOp fill;
  mlir::Value columns;
  llvm::SmallVector<mlir::tensor::InsertSliceOp> inserts; // first to last
  llvm::SmallVector<mlir::linalg::GenericOp> parts;       // one per insert
  int64_t KH = 0, KW = 0, strideH = 1, strideW = 1;
  /// Set by matchColumnProduct: the columns are the product w^T @ dy' of
  /// the filter [F, C, KH, KW] and the output gradient [N, F, OH, OW], and
  /// the kernel computes each column row from them instead of reading it;
  /// `product` lists the ops that computed the columns (erased after).
  mlir::Value filter, grad;
  llvm::SmallVector<mlir::Operation *> product;
};

/// The accumulation that `last` ends, if the row kernel applies: static
/// channels, window and planes, rows of at most `maxLanes` elements, a row
/// stride of at most KH, and the KH accumulator rows within 16 registers of
/// `vectorWidth` lanes.
std::optional<WindowAccumulation> matchWindowAccumulation(mlir::tensor::InsertSliceOp last,
                                                          int64_t maxLanes, int64_t vectorWidth);

/// Whether `accumulation`'s columns are the column gradients of a
/// convolution's input gradient as convert-dnn-to-linalg builds them: a
/// zero-filled matmul of the filter [F, C * KH * KW] (read transposed) and
/// the [F, N * OH * OW] transpose of dy, used only by the accumulation,
/// with dy's rows for every output channel and the KH accumulator rows
/// within the registers. If so, records the filter, dy and those ops in it.
bool matchColumnProduct(WindowAccumulation &accumulation, int64_t vectorWidth);
/// Replaces `accumulation` (its last insert's result; the chain and the fill
/// are erased) with one forall iteration per plane (n, c) that walks the
/// output rows oh, adding each window offset's column row into KH rows of
/// the result held in registers, and stores each row of the result once,
/// when no later window reaches it. With a column product (above), each
/// column row is computed in registers from dy's rows and the filter, and
/// the column gradients are never stored.
void accumulateWindowRows(mlir::RewriterBase &rewriter, WindowAccumulation accumulation);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_WINDOWCOLUMNS_H
