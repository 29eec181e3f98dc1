//===- InsertChains.h - Tensors built by a chain of inserts ----------------===//
//
// The window kernels of dnn-tile-and-vectorize (TiledWindowScatter,
// WindowColumns) each replace a tensor that convert-dnn-to-linalg builds by
// one insert_slice per window offset; these are the parts they share.
//
//===----------------------------------------------------------------------===//

#ifndef DNNC_CONVERSION_LINALGTOVECTOR_INSERTCHAINS_H
#define DNNC_CONVERSION_LINALGTOVECTOR_INSERTCHAINS_H

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"

namespace dnnc {

/// The inserts that end in `last`, each writing into the previous one's
/// result, first to last; returns what the first one writes into.
mlir::Value collectInsertChain(mlir::tensor::InsertSliceOp last,
                               llvm::SmallVectorImpl<mlir::tensor::InsertSliceOp> &inserts);

/// Whether the partial results of `inserts` (all but the last one's) are
/// read only by the next insert and by slices that only `parts` read.
bool chainFeedsOnlyItself(llvm::ArrayRef<mlir::tensor::InsertSliceOp> inserts,
                          llvm::ArrayRef<mlir::Operation *> parts);

/// Erases a chain whose last insert has been replaced: `parts`, the partial
/// results and the slices of them the parts read (references cut first, as
/// they read each other), then each op of `alsoDead` that nothing reads.
void eraseInsertChain(mlir::RewriterBase &rewriter,
                      llvm::ArrayRef<mlir::tensor::InsertSliceOp> inserts,
                      llvm::ArrayRef<mlir::Operation *> parts,
                      llvm::ArrayRef<mlir::Operation *> alsoDead = {});

/// An scf.forall from 0 to `upper` in steps of 1 sharing `out`, created at
/// the rewriter's insertion point.
mlir::scf::ForallOp forallSharing(mlir::RewriterBase &rewriter, mlir::Location loc,
                                  llvm::ArrayRef<mlir::OpFoldResult> upper, mlir::Value out);

} // namespace dnnc

#endif // DNNC_CONVERSION_LINALGTOVECTOR_INSERTCHAINS_H
