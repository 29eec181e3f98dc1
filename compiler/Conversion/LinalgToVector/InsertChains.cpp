//===- InsertChains.cpp - Tensors built by a chain of inserts --------------===//

#include "InsertChains.h"

using namespace mlir;

Value dnnc::collectInsertChain(tensor::InsertSliceOp last,
                               SmallVectorImpl<tensor::InsertSliceOp> &inserts) {
  Value value = last.getResult();
  while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>()) {
    inserts.push_back(insert);
    value = insert.getDest();
  }
  std::reverse(inserts.begin(), inserts.end());
  return value;
}

bool dnnc::chainFeedsOnlyItself(ArrayRef<tensor::InsertSliceOp> inserts,
                                ArrayRef<Operation *> parts) {
  for (tensor::InsertSliceOp insert : inserts.drop_back())
    for (Operation *user : insert->getUsers()) {
      if (isa<tensor::InsertSliceOp>(user) && user->getOperand(1) == insert.getResult())
        continue;
      auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
      if (!slice || llvm::any_of(slice->getUsers(),
                                 [&](Operation *u) { return !llvm::is_contained(parts, u); }))
        return false;
    }
  return true;
}

void dnnc::eraseInsertChain(RewriterBase &rewriter, ArrayRef<tensor::InsertSliceOp> inserts,
                            ArrayRef<Operation *> parts, ArrayRef<Operation *> alsoDead) {
  SmallVector<Operation *> dead(parts.begin(), parts.end());
  for (tensor::InsertSliceOp insert : inserts.drop_back()) {
    dead.push_back(insert);
    for (Operation *user : insert->getUsers())
      if (isa<tensor::ExtractSliceOp>(user))
        dead.push_back(user);
  }
  for (Operation *op : dead)
    op->dropAllReferences();
  for (Operation *op : dead)
    rewriter.eraseOp(op);
  for (Operation *op : alsoDead)
    if (op->use_empty())
      rewriter.eraseOp(op);
}

scf::ForallOp dnnc::forallSharing(RewriterBase &rewriter, Location loc,
                                  ArrayRef<OpFoldResult> upper, Value out) {
  SmallVector<OpFoldResult> lower(upper.size(), rewriter.getIndexAttr(0));
  SmallVector<OpFoldResult> steps(upper.size(), rewriter.getIndexAttr(1));
  return scf::ForallOp::create(rewriter, loc, lower, upper, steps, ValueRange{out},
                               /*mapping=*/std::nullopt);
}
