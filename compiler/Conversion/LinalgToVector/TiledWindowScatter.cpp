//===- TiledWindowScatter.cpp - Pooling gradients written row by row --------===//
//
// The gradient of pooling over windows that tile the input (2x2/2) is built
// as one elementwise pass per window offset (kh, kw), each writing the
// strided window x[:, :, kh::KH, kw::KW] of dx: every KW-th element, one
// scalar store at a time, and the first pass to touch each cache line reads
// it from memory only to fill half of it (LeNet-5's first layer: the first of
// its four passes took 270 us, the others 55). Here one forall iteration per
// window row (n, c, ph) runs all the passes' bodies on that row (vectors of
// PW lanes), interleaves the KW results of each window row kh with a shuffle
// and writes the KH rows of dx whole.
//
//===----------------------------------------------------------------------===//

#include "TiledWindowScatter.h"

#include "ElementwiseBodies.h"
#include "InsertChains.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;

std::optional<dnnc::TiledWindowScatter>
dnnc::matchTiledWindowScatter(tensor::InsertSliceOp last) {
  TiledWindowScatter scatter;
  scatter.empty = collectInsertChain(last, scatter.inserts).getDefiningOp<tensor::EmptyOp>();
  if (!scatter.empty || scatter.inserts.size() < 2)
    return std::nullopt;
  auto type = cast<RankedTensorType>(scatter.empty.getType());
  if (type.getRank() != 4 || type.isDynamicDim(2) || type.isDynamicDim(3))
    return std::nullopt;

  llvm::SmallDenseSet<int64_t> seen;
  for (tensor::InsertSliceOp insert : scatter.inserts) {
    std::optional<SmallVector<int64_t>> strides = getConstantIntValues(insert.getMixedStrides());
    std::optional<SmallVector<int64_t>> at = getConstantIntValues(insert.getMixedOffsets());
    if (!strides || !at || (*strides)[0] != 1 || (*strides)[1] != 1 || (*at)[0] || (*at)[1])
      return std::nullopt;
    if (!scatter.KH) {
      scatter.KH = (*strides)[2];
      scatter.KW = (*strides)[3];
    }
    if ((*strides)[2] != scatter.KH || (*strides)[3] != scatter.KW || (*at)[2] >= scatter.KH ||
        (*at)[3] >= scatter.KW || !seen.insert((*at)[2] * scatter.KW + (*at)[3]).second)
      return std::nullopt;
    auto part = insert.getSource().getDefiningOp<linalg::GenericOp>();
    if (!part || part->getNumResults() != 1 || !insert.getSource().hasOneUse() ||
        part.getNumLoops() != 4 || part.getNumParallelLoops() != 4 ||
        !part.hasPureTensorSemantics() ||
        llvm::any_of(part.getIndexingMapsArray(), [](AffineMap m) { return !m.isIdentity(); }) ||
        !hasScalarElementwiseBody(part))
      return std::nullopt;
    scatter.parts.push_back(part);
  }
  // Whole windows of one or two columns (two parts interleave by one
  // shuffle), every offset once, and windows that tile the result.
  int64_t KH = scatter.KH, KW = scatter.KW;
  if ((KW != 1 && KW != 2) || (int64_t)seen.size() != KH * KW ||
      (int64_t)scatter.inserts.size() != KH * KW)
    return std::nullopt;
  auto windowType = scatter.inserts.front().getSourceType();
  if (windowType.isDynamicDim(2) || windowType.isDynamicDim(3) ||
      windowType.getDimSize(2) * KH != type.getDimSize(2) ||
      windowType.getDimSize(3) * KW != type.getDimSize(3))
    return std::nullopt;
  // The partial results are read by nothing else than the next insert and
  // the slices that give the parts their (unread) outputs.
  SmallVector<Operation *> parts(scatter.parts.begin(), scatter.parts.end());
  if (!chainFeedsOnlyItself(scatter.inserts, parts))
    return std::nullopt;
  return scatter;
}

void dnnc::scatterWindowRows(RewriterBase &rewriter, TiledWindowScatter scatter) {
  tensor::InsertSliceOp last = scatter.inserts.back();
  Location loc = last.getLoc();
  auto type = cast<RankedTensorType>(scatter.empty.getType());
  int64_t KH = scatter.KH, KW = scatter.KW;
  int64_t W = type.getDimSize(3), PH = type.getDimSize(2) / KH, PW = W / KW;
  auto index = [&](int64_t v) { return arith::ConstantIndexOp::create(rewriter, loc, v); };

  rewriter.setInsertionPoint(last);
  SmallVector<OpFoldResult> upper = {tensor::getMixedSize(rewriter, loc, scatter.empty, 0),
                                     tensor::getMixedSize(rewriter, loc, scatter.empty, 1),
                                     rewriter.getIndexAttr(PH)};
  auto forall = forallSharing(rewriter, loc, upper, scatter.empty.getResult());
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = forall.getBody();
    rewriter.setInsertionPointToStart(body);
    Value n = body->getArgument(0), c = body->getArgument(1), ph = body->getArgument(2);
    Value shared = forall.getRegionIterArgs()[0];
    Value h0 = arith::MulIOp::create(rewriter, loc, ph, index(KH));
    SmallVector<OpFoldResult> rowsAt = {n, c, h0, rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> rowsSize = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(1),
                                          rewriter.getIndexAttr(KH), rewriter.getIndexAttr(W)};
    SmallVector<OpFoldResult> unit(4, rewriter.getIndexAttr(1));
    auto tileType = RankedTensorType::get({1, 1, KH, W}, type.getElementType());
    Value tile =
        tensor::ExtractSliceOp::create(rewriter, loc, tileType, shared, rowsAt, rowsSize, unit);
    AffineMap lastDim = AffineMap::get(4, 0, {rewriter.getAffineDimExpr(3)}, rewriter.getContext());
    Value zero = index(0);

    // Each part's row of windows: its inputs' rows, its body on them.
    SmallVector<SmallVector<Value>> rows(KH, SmallVector<Value>(KW));
    for (auto [insert, part] : llvm::zip(scatter.inserts, scatter.parts)) {
      SmallVector<int64_t> at = *getConstantIntValues(insert.getMixedOffsets());
      IRMapping mapping;
      for (auto [arg, input] :
           llvm::zip(part.getRegion().front().getArguments(), part.getDpsInputs())) {
        Type element = cast<RankedTensorType>(input.getType()).getElementType();
        Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
        mapping.map(arg, vector::TransferReadOp::create(
                             rewriter, loc, VectorType::get({PW}, element), input,
                             ValueRange{n, c, ph, zero}, AffineMapAttr::get(lastDim), padding,
                             /*mask=*/Value(), rewriter.getBoolArrayAttr({true})));
      }
      rows[at[2]][at[3]] = cloneBodyOnVectors(rewriter, loc, part, mapping, PW).front();
    }
    // Row kh of the windows: element j of part (kh, kw) at column j * KW + kw.
    for (int64_t kh = 0; kh < KH; ++kh) {
      Value row = rows[kh][0];
      if (KW == 2) {
        SmallVector<int64_t> lanes;
        for (int64_t j = 0; j < PW; ++j)
          lanes.append({j, PW + j});
        row = vector::ShuffleOp::create(rewriter, loc, rows[kh][0], rows[kh][1], lanes);
      }
      tile = vector::TransferWriteOp::create(rewriter, loc, row, tile,
                                             ValueRange{zero, zero, index(kh), zero},
                                             AffineMapAttr::get(lastDim), /*mask=*/Value(),
                                             rewriter.getBoolArrayAttr({true}))
                 .getResult();
    }
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, tile, shared, rowsAt, rowsSize, unit);
  }
  rewriter.replaceOp(last, forall.getResult(0));
  // The rest of the chain only feeds itself (the parts' results go to the
  // inserts, the partial results to the next insert and to the slices the
  // parts write into).
  SmallVector<Operation *> parts(scatter.parts.begin(), scatter.parts.end());
  eraseInsertChain(rewriter, scatter.inserts, parts);
}
