//===- InnerReductions.cpp - Sums over contiguous rows, in lanes ----------===//
//
// batch_norm's statistics and their gradients sum [N, C, H, W] over
// (N, H, W) per channel, in a keepdims form ([N, 1, C, 1, 1, H, W] into
// [1, C, 1, 1]) whose innermost parallel dim is a unit dim: the tiles
// vectorized along it, which left one scalar add chain per channel. Here the
// trailing reduction dims (H, W: contiguous rows) become parallel: a generic
// that sums over the batch into [C, H, W] partials (per (c, h) tile, whole
// rows of W in a vector accumulator), then one that sums each channel's
// partials. (The sum's order changes: over the batch, then across the
// plane.)
//
//===----------------------------------------------------------------------===//

#include "InnerReductions.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;

namespace {

/// The body's addend when it is yield(out + v) (either order) with `out`
/// used nowhere else; null otherwise.
Value addend(linalg::GenericOp op) {
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  if (yield.getNumOperands() != 1)
    return {};
  auto add = yield.getOperand(0).getDefiningOp<arith::AddFOp>();
  BlockArgument out = body.getArgument(op.getNumDpsInputs());
  if (!add || add->getBlock() != &body || !out.hasOneUse())
    return {};
  if (add.getLhs() == out)
    return add.getRhs();
  if (add.getRhs() == out)
    return add.getLhs();
  return {};
}

/// The number of trailing loop dims that are static reductions read by
/// every input as its innermost indices, in order (the contiguous rows of
/// a sum over (N, H, W)), when the op is a sum that also reduces a dynamic
/// dim and its innermost dim has at least `minLanes` elements; else 0.
int64_t trailingRowDims(linalg::GenericOp op, int64_t minLanes) {
  if (!op.hasPureTensorSemantics() || op.getNumDpsInits() != 1 || op.getNumResults() != 1 ||
      op.getNumDpsInputs() == 0 || !addend(op))
    return 0;
  int64_t loops = op.getNumLoops();
  if (loops < 2)
    return 0;
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  if (ShapedType::isDynamic(ranges[loops - 1]) || ranges[loops - 1] < minLanes)
    return 0;
  SmallVector<AffineMap> inputMaps;
  for (OpOperand *input : op.getDpsInputOperands())
    inputMaps.push_back(op.getMatchingIndexingMap(input));
  int64_t rows = 0;
  for (int64_t d = loops - 1; d >= 0; --d, ++rows) {
    if (iterators[d] != utils::IteratorType::reduction || ShapedType::isDynamic(ranges[d]))
      break;
    AffineExpr dim = getAffineDimExpr(d, op.getContext());
    bool innermost = llvm::all_of(inputMaps, [&](AffineMap map) {
      int64_t position = (int64_t)map.getNumResults() - 1 - rows;
      return position >= 0 && map.getResult(position) == dim;
    });
    if (!innermost)
      break;
  }
  if (rows == 0)
    return 0;
  int64_t first = loops - rows;
  // Those dims nowhere else in the inputs, not in the result.
  for (AffineMap map : inputMaps)
    for (AffineExpr e : map.getResults().drop_back(rows))
      for (int64_t d = first; d < loops; ++d)
        if (e.isFunctionOfDim(d))
          return 0;
  AffineMap initMap = op.getMatchingIndexingMap(op.getDpsInitOperand(0));
  if (!initMap.isProjectedPermutation())
    return 0;
  for (int64_t d = first; d < loops; ++d)
    if (initMap.isFunctionOfDim(d))
      return 0;
  // Static reductions alone are vectorized whole; this is for the batch's.
  bool dynamicReduction = false;
  for (int64_t d = 0; d < first; ++d)
    dynamicReduction |=
        iterators[d] == utils::IteratorType::reduction && ShapedType::isDynamic(ranges[d]);
  // Where the innermost parallel dim has several elements, the tile is a
  // vector along it, which measured as fast or faster (convolution bias
  // gradients along their channels: LeNet-5's step 3.06-3.16 ms against
  // 3.19-3.29 split, cifar_cnn's 22.3-22.6 against 22.9-23.8); split only
  // where that vector would have one lane (the keepdims form of batch_norm's
  // statistics, [1, C, 1, 1]) or there is no parallel dim.
  for (int64_t d = first - 1; d >= 0; --d)
    if (iterators[d] == utils::IteratorType::parallel)
      return dynamicReduction && ranges[d] == 1 ? rows : 0;
  return dynamicReduction ? rows : 0;
}

} // namespace

bool dnnc::splitInnerReduction(RewriterBase &rewriter, linalg::GenericOp op, int64_t minLanes) {
  int64_t rows = trailingRowDims(op, minLanes);
  if (rows == 0)
    return false;
  MLIRContext *ctx = op.getContext();
  Location loc = op.getLoc();
  int64_t loops = op.getNumLoops(), first = loops - rows;
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  Value init = op.getDpsInits()[0];
  auto initType = cast<RankedTensorType>(init.getType());
  Type element = initType.getElementType();
  rewriter.setInsertionPoint(op);

  // Partial sums [init dims..., row dims...], from zero.
  SmallVector<int64_t> partialShape(initType.getShape());
  partialShape.append(ranges.begin() + first, ranges.end());
  SmallVector<Value> dynamicSizes;
  for (int64_t d = 0; d < initType.getRank(); ++d)
    if (initType.isDynamicDim(d))
      dynamicSizes.push_back(tensor::DimOp::create(rewriter, loc, init, d));
  auto partialType = RankedTensorType::get(partialShape, element);
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
  Value empty = tensor::EmptyOp::create(rewriter, loc, partialType, dynamicSizes);
  Value zeros = linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  SmallVector<AffineExpr> partialResults(maps.back().getResults());
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  for (int64_t d = first; d < loops; ++d) {
    partialResults.push_back(getAffineDimExpr(d, ctx));
    iterators[d] = utils::IteratorType::parallel;
  }
  maps.back() = AffineMap::get(loops, 0, partialResults, ctx);
  auto partial = linalg::GenericOp::create(rewriter, loc, TypeRange{partialType},
                                           op.getDpsInputs(), ValueRange{zeros}, maps, iterators);
  rewriter.cloneRegionBefore(op.getRegion(), partial.getRegion(), partial.getRegion().end());

  // The row dims summed into the op's own init.
  int64_t rank = initType.getRank(), sumLoops = rank + rows;
  SmallVector<AffineExpr> initDims;
  for (int64_t d = 0; d < rank; ++d)
    initDims.push_back(getAffineDimExpr(d, ctx));
  SmallVector<AffineMap> sumMaps = {AffineMap::getMultiDimIdentityMap(sumLoops, ctx),
                                    AffineMap::get(sumLoops, 0, initDims, ctx)};
  SmallVector<utils::IteratorType> sumIterators(rank, utils::IteratorType::parallel);
  sumIterators.append(rows, utils::IteratorType::reduction);
  auto sum = linalg::GenericOp::create(
      rewriter, loc, TypeRange{initType}, ValueRange{partial.getResult(0)}, ValueRange{init},
      sumMaps, sumIterators, [](OpBuilder &b, Location l, ValueRange args) {
        linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[1], args[0])});
      });
  rewriter.replaceOp(op, sum.getResults());
  return true;
}
