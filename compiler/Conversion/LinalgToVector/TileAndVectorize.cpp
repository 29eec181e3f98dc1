//===- TileAndVectorize.cpp - Tile linalg ops and vectorize the tiles -----===//
//
// A first CPU code-generation strategy, one linalg op at a time:
//  1. tile the parallel loops with scf.forall: one row per iteration, the
//     innermost parallel dim in vector-sized chunks; the forall becomes a
//     runtime thread-pool loop later;
//  2. vectorize the tile at its tile sizes, masking partial tiles.
// Matmuls get register tiles instead (see vectorizeMatmul): split so that no
// tile is partial, the reduction in steps of 8 with the accumulator held in
// registers across it, and vector.contract lowered to outer products (FMAs).
// The fill of a matmul's accumulator and its elementwise consumer (the
// epilogue: bias, activation, relu_grad) are fused into those tiles, so a
// dense layer is one kernel that stores each output element once.
// Transposes get square register tiles transposed by shuffles.
// Convolutions with unit strides get a direct kernel (DirectConvolution.cpp);
// other convolutions and poolings are first cut to one output row and one
// filter row, so that upstream's 1-D convolution vectorizer applies.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Conversion/Passes.h"

#include "DirectConvolution.h"
#include "InnerReductions.h"
#include "StridedRowReads.h"
#include "TiledWindowScatter.h"
#include "WindowColumns.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/CSE.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"
#include "mlir/IR/Dominance.h"

namespace dnnc {
#define GEN_PASS_DEF_TILEANDVECTORIZEPASS
#include "dnnc/Conversion/Passes.h.inc"
} // namespace dnnc

using namespace mlir;

namespace {

/// Vector sizes for a tile: the tile size of tiled dims, the static extent
/// of untiled ones. Fails if an untiled dim is dynamic or too large.
std::optional<SmallVector<int64_t>> vectorSizes(ArrayRef<int64_t> ranges,
                                                ArrayRef<int64_t> tiles) {
  SmallVector<int64_t> sizes;
  int64_t elements = 1;
  for (auto [range, tile] : llvm::zip(ranges, tiles)) {
    int64_t size = tile;
    if (tile == 0) {
      if (ShapedType::isDynamic(range))
        return std::nullopt;
      size = range;
    }
    if (!ShapedType::isDynamic(range))
      size = std::min(size, range);
    sizes.push_back(std::max<int64_t>(size, 1));
    elements *= sizes.back();
  }
  // Huge vectors would only spill: leave such ops to scalar loops.
  if (elements > 4096)
    return std::nullopt;
  return sizes;
}

/// The longest row the im2col / col2im row kernels keep in registers
/// (longer ones would spill: those keep a pass per window offset).
constexpr int64_t kMaxWindowRowLanes = 64;

struct TileAndVectorizePass : dnnc::impl::TileAndVectorizePassBase<TileAndVectorizePass> {
  using Base::Base;

  /// Every op's canonicalization patterns, gathered once per pass rather than
  /// once per matmul piece.
  FrozenRewritePatternSet canonicalization;
  /// The same with strided row reads made contiguous (StridedRowReads.h),
  /// which match only once canonicalization has made the rows' masks and
  /// sizes static.
  FrozenRewritePatternSet finalCleanup;

  LogicalResult initialize(MLIRContext *ctx) override {
    auto collect = [&](RewritePatternSet &patterns) {
      for (Dialect *dialect : ctx->getLoadedDialects())
        dialect->getCanonicalizationPatterns(patterns);
      for (RegisteredOperationName op : ctx->getRegisteredOperations())
        op.getCanonicalizationPatterns(patterns, ctx);
    };
    RewritePatternSet patterns(ctx), cleanup(ctx);
    collect(patterns);
    collect(cleanup);
    dnnc::populateStridedRowReadPatterns(cleanup);
    canonicalization = FrozenRewritePatternSet(std::move(patterns));
    finalCleanup = FrozenRewritePatternSet(std::move(cleanup));
    return success();
  }

  /// The inserts that end chains of inserts outside foralls (an insert whose
  /// result is no other insert's destination).
  SmallVector<tensor::InsertSliceOp> lastInsertsOfChains() {
    SmallVector<tensor::InsertSliceOp> lastInserts;
    getOperation().walk([&](tensor::InsertSliceOp insert) {
      if (!insert->getParentOfType<scf::ForallOp>() &&
          llvm::none_of(insert->getUsers(), [&](Operation *user) {
            return isa<tensor::InsertSliceOp>(user) && user->getOperand(1) == insert.getResult();
          }))
        lastInserts.push_back(insert);
    });
    return lastInserts;
  }

  void runOnOperation() override {
    IRRewriter rewriter(&getContext());
    // col2im whose column gradients are a matmul of the filter and dy (the
    // input gradient of an im2col convolution) computes each column row in
    // registers from dy's rows, first, as it erases the matmul: the column
    // gradients (LeNet-5's second layer: 7.7 MB at batch 128) are never
    // stored and read back, and dy is not transposed.
    for (tensor::InsertSliceOp last : lastInsertsOfChains()) {
      std::optional<dnnc::WindowAccumulation> accumulation =
          dnnc::matchWindowAccumulation(last, kMaxWindowRowLanes, vectorWidth);
      if (accumulation && dnnc::matchColumnProduct(*accumulation, vectorWidth))
        dnnc::accumulateWindowRows(rewriter, *accumulation);
    }
    SmallVector<linalg::LinalgOp> ops;
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && !op->getParentOfType<scf::ForallOp>())
        ops.push_back(op);
    });
    // An op with several results (relu(x@w+b) keeping x@w+b) needs a buffer
    // per result; from tensor.empty ops, which CSE merges with each other and
    // with other ops' destinations, one-shot bufferization gets them by
    // copying. Distinct allocations it uses in place.
    for (linalg::LinalgOp op : ops) {
      if (op->getNumResults() < 2)
        continue;
      for (OpOperand &init : op.getDpsInitsMutable()) {
        auto empty = init.get().getDefiningOp<tensor::EmptyOp>();
        if (!empty)
          continue;
        rewriter.setInsertionPoint(op);
        init.set(bufferization::AllocTensorOp::create(rewriter, empty.getLoc(), empty.getType(),
                                                      empty.getDynamicSizes()));
      }
    }
    // Matmuls go first, so that the fills of their accumulators are still
    // there to be fused. A matmul's elementwise consumer is computed on the
    // matmul's register tiles (its epilogue), not by a pass of its own.
    // Fusing a matmul erases ops (its epilogue, split pieces, fills it
    // absorbed), so `ops` is not read again: the matmuls are listed first,
    // and what is left is listed afresh after them.
    SmallVector<linalg::MatmulOp> matmuls;
    for (linalg::LinalgOp op : ops)
      if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation());
          matmul && op.getNumLoops() == 3)
        matmuls.push_back(matmul);
    llvm::DenseSet<Operation *> done;
    for (linalg::MatmulOp matmul : matmuls) {
      if (done.contains(matmul))
        continue;
      linalg::GenericOp epilogue = findEpilogue(matmul);
      done.insert(matmul);
      if (epilogue)
        done.insert(epilogue);
      vectorizeMatmul(rewriter, matmul, epilogue);
    }
    // Row kernels (softmax, its gradient with cross-entropy): the row
    // statistics are fused into the rows of their elementwise consumer.
    SmallVector<linalg::GenericOp> rowConsumers;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<scf::ForallOp>() && readsRowReduction(op))
        rowConsumers.push_back(op);
    });
    for (linalg::GenericOp op : rowConsumers)
      fuseRowReductions(rewriter, op);
    if (!rowConsumers.empty()) {
      // Each statistic was fused once per reader and every copy yielded;
      // canonicalization drops the unused results and CSE merges the copies,
      // and only then is it clear which slice each yielded tile goes to.
      (void)applyPatternsGreedily(getOperation(), canonicalization);
      DominanceInfo dominance(getOperation());
      eliminateCommonSubExpressions(rewriter, dominance, getOperation());
      getOperation().walk(
          [&](scf::ForallOp forall) { writeYieldedTilesInPlace(rewriter, forall); });
    }
    // Direct convolutions, before the fill or bias broadcast that starts
    // their accumulator gets code of its own: the kernel starts its
    // registers from it, and the op is then dead.
    SmallVector<linalg::Conv2DNchwFchwOp> directConvs;
    getOperation().walk([&](linalg::Conv2DNchwFchwOp conv) {
      if (!conv->getParentOfType<scf::ForallOp>() && dnnc::canConvolveDirectly(conv, vectorWidth))
        directConvs.push_back(conv);
    });
    for (linalg::Conv2DNchwFchwOp conv : directConvs) {
      // A convolution whose output only feeds pooling over tiling windows
      // is pooled in registers (conv + bias + pooling + relu in one pass).
      SmallVector<std::pair<int64_t, int64_t>> offsets;
      if (linalg::GenericOp pool = dnnc::findTiledPooling(conv, vectorWidth, offsets)) {
        SmallVector<Value> pooled =
            dnnc::convolveAndPoolDirectly(rewriter, conv, pool, offsets, vectorWidth);
        SmallVector<Operation *> planes(conv->getUsers());
        rewriter.replaceOp(pool, pooled);
        for (Operation *plane : planes)
          rewriter.eraseOp(plane);
        rewriter.eraseOp(conv);
        continue;
      }
      rewriter.replaceOp(conv, dnnc::convolveDirectly(rewriter, conv, vectorWidth));
    }
    SmallVector<linalg::GenericOp> filterGradients;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<scf::ForallOp>() && dnnc::isFilterGradient(op))
        filterGradients.push_back(op);
    });
    for (linalg::GenericOp op : filterGradients)
      rewriter.replaceOp(op, dnnc::filterGradientDirectly(rewriter, op, vectorWidth));
    // Pooling gradients over tiling windows: whole rows of dx per window
    // row, instead of a strided pass per window offset.
    SmallVector<tensor::InsertSliceOp> lastInserts = lastInsertsOfChains();
    // Likewise im2col columns (one pass per output row over all window
    // offsets) and col2im (one per plane, its rows summed in registers).
    for (tensor::InsertSliceOp last : lastInserts) {
      if (std::optional<dnnc::TiledWindowScatter> scatter = dnnc::matchTiledWindowScatter(last))
        dnnc::scatterWindowRows(rewriter, *scatter);
      else if (std::optional<dnnc::WindowGather> gather =
                   dnnc::matchWindowGather(last, kMaxWindowRowLanes))
        dnnc::gatherWindowRows(rewriter, *gather);
      else if (std::optional<dnnc::WindowAccumulation> accumulation =
                   dnnc::matchWindowAccumulation(last, kMaxWindowRowLanes, vectorWidth))
        dnnc::accumulateWindowRows(rewriter, *accumulation);
    }

    // Sums over (N, H, W) per channel (batch statistics, their gradients,
    // convolution bias gradients): lane partials along the contiguous W,
    // then the lanes, instead of a tile along the channels.
    SmallVector<linalg::GenericOp> innerReductions;
    getOperation().walk([&](linalg::GenericOp op) {
      if (!op->getParentOfType<scf::ForallOp>())
        innerReductions.push_back(op);
    });
    for (linalg::GenericOp op : innerReductions)
      (void)dnnc::splitInnerReduction(rewriter, op, /*minLanes=*/8);

    ops.clear();
    getOperation().walk([&](linalg::LinalgOp op) {
      if (op.hasPureTensorSemantics() && !op->getParentOfType<scf::ForallOp>())
        ops.push_back(op);
    });
    for (linalg::LinalgOp op : ops) {
      if (op->use_empty()) {
        rewriter.eraseOp(op);
        continue;
      }
      process(rewriter, op);
    }

    // Masks become operands of the transfers they guard, so that the
    // cleanups below can fold around them.
    {
      RewritePatternSet masks(&getContext());
      vector::populateVectorMaskLoweringPatternsForSideEffectingOps(masks);
      (void)applyPatternsGreedily(getOperation(), std::move(masks));
    }
    // Cleanups that let the vector ops fold into whole-register accesses.
    RewritePatternSet patterns(&getContext());
    vector::TransferReadOp::getCanonicalizationPatterns(patterns, &getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(patterns, &getContext());
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(patterns);
    (void)applyPatternsGreedily(getOperation(), std::move(patterns));

    // Matmul accumulators: the read and write of the output tile move out of
    // the reduction loop, which then carries the tile as a vector.
    hoistAccumulators(rewriter);
    // With the accumulator out of the loop, its first read folds into the
    // fill's broadcast and the epilogue's read into the final accumulator:
    // a fused tile never goes through memory.
    forwardTransfers();
    // vector.contract as one outer product (broadcast-FMAs) per step of K,
    // rather than upstream's default of a horizontal reduction per element.
    RewritePatternSet contracts(&getContext());
    vector::populateVectorContractLoweringPatterns(contracts,
                                                   vector::VectorContractLowering::OuterProduct);
    (void)applyPatternsGreedily(getOperation(), std::move(contracts));
    (void)applyPatternsGreedily(getOperation(), finalCleanup);
    // Accumulators that reached their loop through a whole-tile slice (the
    // lane sums of InnerReductions.cpp) are hoisted once the cleanup has
    // folded the slice away.
    hoistAccumulators(rewriter);
    forwardTransfers();
  }

  void hoistAccumulators(IRRewriter &rewriter) {
    SmallVector<scf::ForOp> loops;
    getOperation().walk([&](scf::ForOp loop) { loops.push_back(loop); });
    for (scf::ForOp loop : loops)
      hoistLoopInvariantSubsets(rewriter, loop);
  }

  void forwardTransfers() {
    RewritePatternSet forwarding(&getContext());
    vector::TransferReadOp::getCanonicalizationPatterns(forwarding, &getContext());
    vector::TransferWriteOp::getCanonicalizationPatterns(forwarding, &getContext());
    (void)applyPatternsGreedily(getOperation(), std::move(forwarding));
  }

  /// Tiles `op` with `sizes` (0 = untiled) and returns the tiled op.
  FailureOr<Operation *> tile(IRRewriter &rewriter, Operation *op, ArrayRef<int64_t> sizes,
                              scf::SCFTilingOptions::LoopType loopType) {
    if (llvm::all_of(sizes, [](int64_t s) { return s == 0; }))
      return op;
    scf::SCFTilingOptions options;
    options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
    options.setLoopType(loopType);
    rewriter.setInsertionPoint(op);
    auto tiled = scf::tileUsingSCF(rewriter, cast<TilingInterface>(op), options);
    if (failed(tiled) || tiled->tiledOps.size() != 1)
      return failure();
    rewriter.replaceOp(op, tiled->replacements);
    return tiled->tiledOps.front();
  }

  /// Vectorizes `op` at `sizes`; `contraction` keeps a matmul one
  /// vector.contract (for the outer-product lowering) rather than
  /// multiply + multi_reduction.
  void vectorizeTile(IRRewriter &rewriter, Operation *op, ArrayRef<int64_t> sizes,
                     bool contraction = false) {
    rewriter.setInsertionPoint(op);
    SmallVector<bool> scalable(sizes.size(), false);
    auto result = linalg::vectorize(rewriter, op, sizes, scalable,
                                    /*vectorizeNDExtract=*/false,
                                    /*flatten1DDepthwiseConv=*/false,
                                    /*assumeDynamicDimsMatchVecSizes=*/false, contraction);
    if (succeeded(result)) {
      if (op->getNumResults())
        rewriter.replaceOp(op, result->replacements);
      else
        rewriter.eraseOp(op);
    }
  }

  void process(IRRewriter &rewriter, linalg::LinalgOp op) {
    SmallVector<int64_t> ranges = op.getStaticLoopRanges();
    SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
    int64_t loops = ranges.size();
    if (loops == 0)
      return;
    int64_t chunk = 4 * vectorWidth;

    if (auto matmul = dyn_cast<linalg::MatmulOp>(op.getOperation()); matmul && loops == 3) {
      vectorizeMatmul(rewriter, matmul);
      return;
    }

    if (isa<linalg::TransposeOp>(op) && loops == 2) {
      // Square register tiles: rows are read and written whole, and the
      // transpose between them is a shuffle network in registers rather
      // than one strided scalar load per element.
      SmallVector<int64_t> sizes = {vectorWidth, vectorWidth};
      auto vecSizes = vectorSizes(ranges, sizes);
      auto tiled = tile(rewriter, op, sizes, scf::SCFTilingOptions::LoopType::ForallOp);
      if (failed(tiled) || !vecSizes)
        return;
      Operation *forall = (*tiled)->getParentOp();
      vectorizeTile(rewriter, *tiled, *vecSizes);
      // The vectorizer reads the tile through a transposing map; as a plain
      // read of rows and a vector.transpose it becomes row loads and
      // shuffles (16x16: the AVX-512 unpack/permute network).
      RewritePatternSet patterns(&getContext());
      vector::populateVectorTransferPermutationMapLoweringPatterns(patterns);
      vector::populateVectorTransposeLoweringPatterns(
          patterns, vectorWidth == 16 ? vector::VectorTransposeLowering::Shuffle16x16
                                      : vector::VectorTransposeLowering::Shuffle1D);
      (void)applyPatternsGreedily(forall, std::move(patterns));
      return;
    }

    if (isa<linalg::ConvolutionOpInterface>(op.getOperation()) && (loops == 7 || loops == 6)) {
      // conv_2d_nchw_fchw (n, f, oh, ow, c, kh, kw) and pooling_nchw
      // (n, c, oh, ow, kh, kw) both start with (batch, channel, oh, ow) and
      // end with (kh, kw): one output row and one filter row per tile, so
      // that the 1-D vectorizer applies after decomposition. A convolution
      // keeps all its output channels in the tile: the 1-D vectorizer's
      // FMAs run along them (vector<F>), where one channel per tile left
      // vector<1>, i.e. scalar code (LeNet-5's second convolution: 2.6 ms ->
      // 0.73 ms, its input gradient 8.3 ms -> 1.25 ms, batch 64, one thread).
      SmallVector<int64_t> parallel(loops, 0);
      parallel[0] = parallel[2] = 1;
      parallel[1] = loops == 7 ? 0 : 1;
      auto tiled = tile(rewriter, op, parallel, scf::SCFTilingOptions::LoopType::ForallOp);
      if (failed(tiled))
        return;
      SmallVector<int64_t> rows(loops, 0);
      rows[loops - 2] = 1;
      auto inner = tile(rewriter, *tiled, rows, scf::SCFTilingOptions::LoopType::ForOp);
      if (succeeded(inner))
        decomposeAndVectorize(rewriter, *inner);
      return;
    }

    // Everything else: parallel dims one at a time except the innermost
    // parallel one, cut into vector chunks; reductions stay whole.
    int64_t innermostParallel = -1;
    for (int64_t i = 0; i < loops; ++i)
      if (iterators[i] == utils::IteratorType::parallel)
        innermostParallel = i;
    SmallVector<int64_t> sizes(loops, 0);
    for (int64_t i = 0; i < loops; ++i)
      if (iterators[i] == utils::IteratorType::parallel)
        sizes[i] = i == innermostParallel ? chunk : 1;
    // Ops that gather (tensor.extract in the body) stay scalar; both still
    // get their parallel tiling.
    bool gathers = !op->getRegion(0).empty() &&
                   !op->getRegion(0).getOps<tensor::ExtractOp>().empty();
    auto vecSizes = vectorSizes(ranges, sizes);
    auto tiled = tile(rewriter, op, sizes, scf::SCFTilingOptions::LoopType::ForallOp);
    if (failed(tiled) || gathers)
      return;
    if (vecSizes) {
      vectorizeTile(rewriter, *tiled, *vecSizes);
      return;
    }
    // A dynamic (or long) reduction, e.g. a bias gradient summed over the
    // batch: one step of each reduction dim at a time, so that every step
    // adds a vector of the chunk; the accumulator tile moves out of the loop
    // with the matmuls' (hoistLoopInvariantSubsets). Rows are summed in the
    // same order as by scalar loops.
    if (innermostParallel < 0)
      return;
    SmallVector<int64_t> steps(loops, 0);
    for (int64_t i = 0; i < loops; ++i)
      if (iterators[i] == utils::IteratorType::reduction)
        steps[i] = 1;
    SmallVector<int64_t> stepSizes = sizes;
    for (int64_t i = 0; i < loops; ++i)
      if (steps[i])
        stepSizes[i] = 1;
    auto stepVecSizes = vectorSizes(ranges, stepSizes);
    if (!stepVecSizes)
      return;
    auto inner = tile(rewriter, *tiled, steps, scf::SCFTilingOptions::LoopType::ForOp);
    if (succeeded(inner))
      vectorizeTile(rewriter, *inner, *stepVecSizes);
  }

  /// A generic over [rows, C] that reduces C into a result over rows
  /// (a row maximum, a sum of exponentials), with C static.
  static bool isRowReduction(Operation *op) {
    auto generic = dyn_cast_or_null<linalg::GenericOp>(op);
    if (!generic || !generic.hasPureTensorSemantics() || generic.getNumLoops() != 2 ||
        generic.getNumDpsInits() != 1 || ShapedType::isDynamic(generic.getStaticLoopRanges()[1]))
      return false;
    SmallVector<utils::IteratorType> iterators = generic.getIteratorTypesArray();
    AffineMap out = generic.getMatchingIndexingMap(generic.getDpsInitOperand(0));
    return iterators[0] == utils::IteratorType::parallel &&
           iterators[1] == utils::IteratorType::reduction && out.getNumResults() == 1 &&
           out.getResult(0) == getAffineDimExpr(0, generic.getContext()) &&
           generic->getRegion(0).getOps<tensor::ExtractOp>().empty();
  }

  /// An elementwise op over [rows, C] (C static, small enough for one
  /// vector tile) that reads a row reduction.
  static bool readsRowReduction(linalg::GenericOp op) {
    if (!op.hasPureTensorSemantics() || op.getNumLoops() != 2 || op.getNumParallelLoops() != 2)
      return false;
    int64_t columns = op.getStaticLoopRanges()[1];
    if (ShapedType::isDynamic(columns) || columns > 4096)
      return false;
    return llvm::any_of(op.getDpsInputs(),
                        [](Value v) { return isRowReduction(v.getDefiningOp()); });
  }

  /// A yielded producer's tile is computed into a slice of the producer's
  /// original init, not of the loop's shared output it is inserted into, so
  /// bufferization would give it a buffer of its own per iteration (a malloc
  /// per row) and copy it over: point the chain's first destination at the
  /// shared output's slice instead.
  static void writeYieldedTilesInPlace(IRRewriter &rewriter, scf::ForallOp forall) {
    for (Operation &op : forall.getTerminator().getYieldingOps()) {
      auto insert = dyn_cast<tensor::ParallelInsertSliceOp>(&op);
      auto shared = insert ? dyn_cast<BlockArgument>(insert.getDest()) : BlockArgument();
      if (!shared)
        continue;
      // The init and what it was written into (the fill's empty tensor).
      llvm::SmallPtrSet<Value, 4> inits;
      for (Value init = forall.getTiedOpOperand(shared)->get(); inits.insert(init).second;) {
        auto result = dyn_cast<OpResult>(init);
        auto dps = result ? dyn_cast<DestinationStyleOpInterface>(result.getOwner()) : nullptr;
        if (!dps || !dps.getTiedOpOperand(result))
          break;
        init = dps.getTiedOpOperand(result)->get();
      }
      OpOperand *destination = nullptr;
      Value value = insert.getSource();
      while (auto result = dyn_cast<OpResult>(value)) {
        auto dps = dyn_cast<DestinationStyleOpInterface>(result.getOwner());
        if (!dps || !dps.getTiedOpOperand(result))
          break;
        destination = dps.getTiedOpOperand(result);
        value = destination->get();
      }
      auto slice = value.getDefiningOp<tensor::ExtractSliceOp>();
      if (!destination || !slice || !inits.contains(slice.getSource()) ||
          !isEqualConstantIntOrValueArray(slice.getMixedOffsets(), insert.getMixedOffsets()) ||
          !isEqualConstantIntOrValueArray(slice.getMixedSizes(), insert.getMixedSizes()) ||
          !isEqualConstantIntOrValueArray(slice.getMixedStrides(), insert.getMixedStrides()))
        continue;
      rewriter.setInsertionPoint(destination->getOwner());
      Value inPlace = tensor::ExtractSliceOp::create(
          rewriter, slice.getLoc(), slice.getType(), shared, slice.getMixedOffsets(),
          slice.getMixedSizes(), slice.getMixedStrides());
      rewriter.modifyOpInPlace(destination->getOwner(), [&] { destination->set(inPlace); });
    }
  }

  /// `reader` and the ops between it and `consumer` that depend on it, in
  /// block order, if they can all move after `consumer`: free of memory
  /// effects and not read by the consumer.
  static std::optional<SmallVector<Operation *>> movableDependents(Operation *reader,
                                                                   Operation *consumer) {
    Block *block = reader->getBlock();
    llvm::SmallPtrSet<Operation *, 8> set;
    SmallVector<Operation *> order;
    auto dependsOnSet = [&](Operation *op) {
      WalkResult walk = op->walk([&](Operation *nested) {
        for (Value operand : nested->getOperands()) {
          Operation *def = operand.getDefiningOp();
          Operation *ancestor = def ? block->findAncestorOpInBlock(*def) : nullptr;
          if (ancestor && set.contains(ancestor))
            return WalkResult::interrupt();
        }
        return WalkResult::advance();
      });
      return walk.wasInterrupted();
    };
    for (Operation *op = reader; op != consumer; op = op->getNextNode()) {
      if (op != reader && !dependsOnSet(op))
        continue;
      if (!isMemoryEffectFree(op))
        return std::nullopt;
      set.insert(op);
      order.push_back(op);
    }
    if (dependsOnSet(consumer))
      return std::nullopt;
    return order;
  }

  /// Softmax and its gradient: `consumer` is tiled one row at a time and
  /// the row reductions it reads (max, then sum of exp(x - max)), with their
  /// fills, are computed inside each row's iteration, so a row is read from
  /// cache by every statistic instead of streamed once per statistic by
  /// separate loops. Statistics also read elsewhere (the cross-entropy loss
  /// reads log-sum-exp) are yielded from the loop for those readers.
  void fuseRowReductions(IRRewriter &rewriter, linalg::GenericOp consumer) {
    Block *block = consumer->getBlock();
    llvm::SetVector<Operation *> toMove;
    // What the fusion below will pull into the loop: the row reductions the
    // consumer reads, transitively, and their fills.
    llvm::SmallPtrSet<Operation *, 8> fused;
    SmallVector<Operation *> worklist{consumer};
    while (!worklist.empty()) {
      Operation *op = worklist.pop_back_val();
      for (Value operand : op->getOperands()) {
        Operation *def = operand.getDefiningOp();
        if (def && (isRowReduction(def) || isa<linalg::FillOp>(def)) && fused.insert(def).second)
          worklist.push_back(def);
      }
    }
    scf::SCFTileAndFuseOptions options;
    scf::SCFTilingOptions tiling;
    tiling.setTileSizes(getAsIndexOpFoldResult(&getContext(), {1, 0}));
    tiling.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    options.setTilingOptions(tiling);
    options.setFusionControlFn(
        [&](tensor::ExtractSliceOp, OpResult producer,
            bool) -> std::optional<scf::SCFTileAndFuseOptions::ControlFnResult> {
          Operation *op = producer.getOwner();
          // A fill is recomputed where it is fused; its other readers (the
          // argmax's initial maximum) keep reading the original.
          if (isa<linalg::FillOp>(op))
            return scf::SCFTileAndFuseOptions::ControlFnResult{false};
          if (!isRowReduction(op))
            return std::nullopt;
          // Read outside the fused ops too: yield the row statistics. A
          // reader before the consumer (the loss, before the gradient) moves
          // after the loop with what depends on it, where that is safe.
          bool outside = false;
          for (Operation *user : producer.getUsers()) {
            if (user == consumer || fused.contains(user) ||
                user->getParentOfType<scf::ForallOp>())
              continue;
            Operation *reader = block->findAncestorOpInBlock(*user);
            if (!reader)
              return std::nullopt;
            if (reader->isBeforeInBlock(consumer)) {
              std::optional<SmallVector<Operation *>> dependents =
                  movableDependents(reader, consumer);
              if (!dependents)
                return std::nullopt;
              toMove.insert(dependents->begin(), dependents->end());
            }
            outside = true;
          }
          return scf::SCFTileAndFuseOptions::ControlFnResult{outside};
        });
    rewriter.setInsertionPoint(consumer);
    auto result = scf::tileConsumerAndFuseProducersUsingSCF(
        rewriter, cast<TilingInterface>(consumer.getOperation()), options);
    if (failed(result) || result->loops.empty())
      return;
    for (auto [original, replacement] : result->replacements)
      rewriter.replaceAllUsesWith(original, replacement);
    Operation *forall = result->loops.front().getOperation();
    forall->setLoc(consumer.getLoc());
    SmallVector<Operation *> moved = toMove.takeVector();
    llvm::sort(moved, [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });
    Operation *after = forall;
    for (Operation *op : moved) {
      op->moveAfter(after);
      after = op;
    }
    for (Operation *producer : result->fusedProducers)
      if (producer->use_empty())
        rewriter.eraseOp(producer);
    // A statistic read by both the consumer and a later statistic (the max,
    // by exp(x - max) and its sum) was fused twice: CSE keeps one.
    (void)applyPatternsGreedily(forall, canonicalization);
    {
      DominanceInfo dominance(forall);
      eliminateCommonSubExpressions(rewriter, dominance, forall);
    }
    SmallVector<linalg::LinalgOp> tiles;
    forall->walk([&](linalg::LinalgOp op) { tiles.push_back(op); });
    for (linalg::LinalgOp op : tiles) {
      SmallVector<int64_t> ranges = op.getStaticLoopRanges();
      if (llvm::any_of(ranges, ShapedType::isDynamic))
        continue;
      vectorizeTile(rewriter, op, ranges);
    }
  }

  /// A piece of a matmul and the register tile [M, N, K] it gets.
  struct MatmulPart {
    TilingInterface op;
    SmallVector<int64_t, 3> tiles;
  };

  /// Splits `part` along `dim` into a piece whose extent is a multiple of its
  /// tile and a remainder smaller than one tile, which gets a tile of its
  /// static size, or 1 where dynamic. No tile is then partial and the vector
  /// code needs no masks (masked n-D transfers lower to scalar code).
  void splitForTile(IRRewriter &rewriter, MatmulPart part, unsigned dim,
                    SmallVectorImpl<MatmulPart> &parts) {
    int64_t tile = part.tiles[dim];
    int64_t extent = cast<linalg::LinalgOp>(part.op.getOperation()).getStaticLoopRanges()[dim];
    bool dynamic = ShapedType::isDynamic(extent);
    if (tile == 1 || (!dynamic && extent % tile == 0)) {
      parts.push_back(part);
      return;
    }
    if (!dynamic && extent < tile) {
      part.tiles[dim] = extent;
      parts.push_back(part);
      return;
    }
    rewriter.setInsertionPoint(part.op);
    OpFoldResult splitPoint;
    if (dynamic) {
      Range range = part.op.getIterationDomain(rewriter)[dim];
      AffineExpr size = rewriter.getAffineSymbolExpr(0);
      splitPoint = affine::makeComposedFoldedAffineApply(
          rewriter, part.op.getLoc(), size.floorDiv(tile) * tile, {range.size});
    } else {
      splitPoint = rewriter.getIndexAttr(extent / tile * tile);
    }
    auto [whole, rest] = linalg::splitOp(rewriter, part.op, dim, splitPoint);
    parts.push_back({whole, part.tiles});
    MatmulPart remainder{rest, part.tiles};
    remainder.tiles[dim] = dynamic ? 1 : extent % tile;
    // The last rows of a dynamic batch (all of them at batch 1) one at a
    // time: a row of 8 registers rather than 2, so that 8 independent FMA
    // chains hide the FMA latency and each step of K reads 512 contiguous
    // bytes of the weights (MLP predict at batch 1, one thread: 57 -> 34 us,
    // near the 30 us it takes this core just to read the 2.1 MB of weights).
    if (dim == 0 && dynamic)
      remainder.tiles[1] = std::max<int64_t>(remainder.tiles[1], 8 * vectorWidth);
    parts.push_back(remainder);
  }

  /// Whether `value` is a piece of a split matmul (`pieces`) or an insert of
  /// one into another value.
  static bool isPieceResult(Value value, const llvm::SmallPtrSetImpl<Operation *> &pieces) {
    while (auto insert = value.getDefiningOp<tensor::InsertSliceOp>())
      value = insert.getSource();
    return pieces.contains(value.getDefiningOp());
  }

  /// Whether `init` (a split piece's accumulator) is a slice of `fill`'s
  /// result, possibly with other pieces inserted (linalg::splitOp slices the
  /// second piece's accumulator from the first piece's insert), which it
  /// does not overlap.
  static bool slicesFill(Value init, linalg::FillOp fill,
                         const llvm::SmallPtrSetImpl<Operation *> &pieces) {
    while (true) {
      if (init.getDefiningOp() == fill.getOperation())
        return true;
      if (auto slice = init.getDefiningOp<tensor::ExtractSliceOp>())
        init = slice.getSource();
      else if (auto insert = init.getDefiningOp<tensor::InsertSliceOp>();
               insert && isPieceResult(insert.getSource(), pieces))
        init = insert.getDest();
      else
        return false;
    }
  }

  /// Whether every use of `value` (the accumulator fill's result, or a slice
  /// of it) is a piece's own fill, an insert of a piece, a slice with such
  /// uses, or a size query: then the pieces, each filling its own part,
  /// cover it.
  static bool onlyPiecesUse(Value value, const llvm::SmallPtrSetImpl<Operation *> &pieces,
                            const llvm::SmallPtrSetImpl<Operation *> &pieceFills) {
    for (OpOperand &use : value.getUses()) {
      Operation *user = use.getOwner();
      if (pieceFills.contains(user) || isa<tensor::DimOp>(user))
        continue;
      if (auto insert = dyn_cast<tensor::InsertSliceOp>(user);
          insert && &use == &insert.getDestMutable() && isPieceResult(insert.getSource(), pieces))
        continue;
      if (auto slice = dyn_cast<tensor::ExtractSliceOp>(user);
          slice && onlyPiecesUse(slice.getResult(), pieces, pieceFills))
        continue;
      return false;
    }
    return true;
  }

  /// Every tile in `scope` is whole after the splits, but tiling a dynamic
  /// range still sizes each as min(tile, rest): say the tile, and let the
  /// slices and the ops take static shapes.
  void assumeWholeTiles(IRRewriter &rewriter, Operation *scope, ArrayRef<int64_t> tiles) {
    scope->walk([&](affine::AffineMinOp min) {
      for (AffineExpr result : min.getAffineMap().getResults())
        if (auto c = dyn_cast<AffineConstantExpr>(result);
            c && llvm::is_contained(tiles, c.getValue())) {
          rewriter.setInsertionPoint(min);
          rewriter.replaceOpWithNewOp<arith::ConstantIndexOp>(min, c.getValue());
          return;
        }
    });
    (void)applyPatternsGreedily(scope, canonicalization);
  }

  /// The elementwise op that is the only user of `matmul`'s result, reading
  /// it element for element and writing results of the same shape: it can
  /// run on each register tile of the matmul as soon as the tile is done.
  static linalg::GenericOp findEpilogue(linalg::MatmulOp matmul) {
    Value result = matmul->getResult(0);
    if (!matmul.hasPureTensorSemantics() || !result.hasOneUse())
      return nullptr;
    OpOperand &use = *result.getUses().begin();
    auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
    if (!generic || !generic.hasPureTensorSemantics() || generic.getNumLoops() != 2 ||
        generic.getNumParallelLoops() != 2 || !generic.isDpsInput(&use) ||
        !generic.getMatchingIndexingMap(&use).isIdentity())
      return nullptr;
    // Results into fresh tensors only: an optimizer update, which rewrites a
    // param and its state in place, stays a streaming pass of its own. On
    // the matmul's tile order (down the columns) its three param-sized
    // streams measured slower fused than apart, and its cost is sqrt and
    // divide throughput, which fusion does not change.
    for (OpOperand &init : generic.getDpsInitsMutable())
      if (!generic.getMatchingIndexingMap(&init).isIdentity() ||
          !isa_and_nonnull<tensor::EmptyOp, bufferization::AllocTensorOp>(
              init.get().getDefiningOp()))
        return nullptr;
    if (!generic->getRegion(0).getOps<tensor::ExtractOp>().empty())
      return nullptr;
    return generic;
  }

  /// [M, N, K] matmul: register tiles of R x 2W (R = 8 rows with 32 vector
  /// registers, 4 with 16) over threads, K in steps of 8 with the tile's
  /// accumulator carried in registers (hoisted out of the K loop later).
  /// The output is split first so that no tile is partial. With an
  /// `epilogue`, that op is what gets tiled, and the matmul is fused into
  /// each of its tiles: the epilogue then reads the finished accumulator
  /// from registers. A fill of the accumulator is fused too, so the
  /// accumulator starts as a splat rather than a load.
  /// Whether a matmul piece's tiles should be ordered row tile by row tile,
  /// each sweeping all the columns, rather than column strip by column
  /// strip (the runtime hands out dim 0 fastest). Along a row tile the output
  /// is written as R contiguous rows instead of a strip down all M rows
  /// (rows N floats apart, a page each), and B is read again per row tile:
  /// cheap where K is short and A static and small. The convolution input
  /// gradient's column gradients, [150, 16] @ [16, N*100] with 7.7 MB of
  /// output at LeNet-5's batch 128: 0.90-1.06 -> 0.51-0.60 ms. With K = 64
  /// (cifar_cnn's, 4 MB of B re-read per row tile) it was slower: 6.8 ->
  /// 8.1-8.4 ms.
  static bool rowTilesOuter(TilingInterface piece, int64_t rowTile) {
    SmallVector<int64_t> ranges = cast<linalg::LinalgOp>(piece.getOperation()).getStaticLoopRanges();
    int64_t M = ranges[0], N = ranges[1], K = ranges[2];
    if (ShapedType::isDynamic(M) || ShapedType::isDynamic(K) || M <= rowTile)
      return false;
    return K <= 2 * rowTile && (ShapedType::isDynamic(N) || N > 4 * M);
  }

  void vectorizeMatmul(IRRewriter &rewriter, linalg::MatmulOp matmul,
                       linalg::GenericOp epilogue = nullptr) {
    Operation *root = epilogue ? epilogue.getOperation() : matmul.getOperation();
    // The profiler names a fused kernel by all of its sources.
    Location loc = epilogue ? rewriter.getFusedLoc({matmul.getLoc(), epilogue.getLoc()})
                            : matmul.getLoc();
    // Read before splitting: without an epilogue the split erases `matmul`.
    auto accumulatorFill = matmul.getDpsInits()[0].getDefiningOp<linalg::FillOp>();
    Value product = matmul->getResult(0);
    int64_t rows = vectorWidth >= 16 ? 8 : 4;
    SmallVector<MatmulPart> parts = {{cast<TilingInterface>(root), {rows, 2 * vectorWidth, 8}}};
    for (unsigned dim = 0; dim < 2; ++dim) {
      SmallVector<MatmulPart> next;
      for (MatmulPart &part : parts)
        splitForTile(rewriter, part, dim, next);
      parts = std::move(next);
    }
    // A split piece's accumulator is a slice of the whole fill, which the
    // tiles below could not fuse (the fill stayed a pass over the whole
    // product: LeNet-5's conv2 input gradient, 150 = 144 + 6 rows, spent
    // 1 ms filling 7.7 MB). As a fill of a slice, each piece fuses its own.
    if (accumulatorFill && !epilogue && parts.size() > 1) {
      llvm::SmallPtrSet<Operation *, 8> pieces, pieceFills;
      for (MatmulPart &part : parts)
        pieces.insert(part.op.getOperation());
      for (MatmulPart &part : parts)
        for (OpOperand &init :
             cast<DestinationStyleOpInterface>(part.op.getOperation()).getDpsInitsMutable()) {
          if (!slicesFill(init.get(), accumulatorFill, pieces))
            continue;
          rewriter.setInsertionPoint(part.op);
          auto own = linalg::FillOp::create(rewriter, accumulatorFill.getLoc(),
                                            accumulatorFill.getInputs(), init.get());
          pieceFills.insert(own);
          init.set(own.getResult(0));
        }
      if (onlyPiecesUse(accumulatorFill.getResult(0), pieces, pieceFills))
        rewriter.replaceAllUsesWith(accumulatorFill.getResult(0), accumulatorFill.getOutputs()[0]);
    }
    for (MatmulPart &part : parts) {
      ArrayRef<int64_t> t = part.tiles;
      scf::SCFTilingOptions options;
      SmallVector<int64_t> sizes = {t[0], t[1]};
      if (!epilogue)
        sizes.push_back(0);
      options.setTileSizes(getAsIndexOpFoldResult(&getContext(), sizes));
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      if (!epilogue && rowTilesOuter(part.op, t[0]))
        options.setInterchange({1, 0, 2});
      rewriter.setInsertionPoint(part.op);
      auto tiled = scf::tileUsingSCF(rewriter, part.op, options);
      if (failed(tiled) || tiled->loops.empty())
        continue;
      rewriter.replaceOp(part.op, tiled->replacements);
      auto forall = cast<scf::ForallOp>(tiled->loops.front().getOperation());
      forall->setLoc(loc);
      // The splits left slices of slices: one slice each.
      {
        RewritePatternSet merge(&getContext());
        tensor::populateMergeConsecutiveInsertExtractSlicePatterns(merge);
        (void)applyPatternsGreedily(forall, std::move(merge));
      }
      auto fuse = [&](tensor::ExtractSliceOp slice) -> Operation * {
        if (!slice)
          return nullptr;
        auto fused = scf::tileAndFuseProducerOfSlice(rewriter, slice, tiled->loops);
        if (!fused || fused->tiledOps.empty())
          return nullptr;
        return fused->tiledOps.front();
      };
      linalg::MatmulOp tileMatmul;
      if (epilogue) {
        tensor::ExtractSliceOp slice;
        forall.walk([&](tensor::ExtractSliceOp s) {
          if (s.getSource() == product)
            slice = s;
        });
        tileMatmul = dyn_cast_or_null<linalg::MatmulOp>(fuse(slice));
      } else {
        forall.walk([&](linalg::MatmulOp m) { tileMatmul = m; });
      }
      if (!tileMatmul)
        continue;
      if (accumulatorFill)
        (void)fuse(tileMatmul.getDpsInits()[0].getDefiningOp<tensor::ExtractSliceOp>());
      assumeWholeTiles(rewriter, forall, {t[0], t[1]});

      // The reduction, within the tile: whole steps of 8, then the rest.
      tileMatmul = nullptr;
      forall.walk([&](linalg::MatmulOp m) { tileMatmul = m; });
      if (!tileMatmul)
        continue;
      SmallVector<MatmulPart> steps;
      splitForTile(rewriter, {cast<TilingInterface>(tileMatmul.getOperation()), {t[0], t[1], 8}},
                   2, steps);
      for (MatmulPart &step : steps) {
        auto inner = tile(rewriter, step.op, {0, 0, step.tiles[2]},
                          scf::SCFTilingOptions::LoopType::ForOp);
        if (failed(inner))
          continue;
        auto loop = (*inner)->getParentOfType<scf::ForOp>();
        Operation *scope = loop ? loop.getOperation() : forall.getOperation();
        assumeWholeTiles(rewriter, scope, step.tiles);
        linalg::MatmulOp stepMatmul;
        scope->walk([&](linalg::MatmulOp m) { stepMatmul = m; });
        if (stepMatmul)
          vectorizeTile(rewriter, stepMatmul, step.tiles, /*contraction=*/true);
      }
      SmallVector<linalg::LinalgOp> rest;
      forall.walk([&](linalg::LinalgOp op) {
        if (isa<linalg::FillOp, linalg::GenericOp>(op.getOperation()))
          rest.push_back(op);
      });
      for (linalg::LinalgOp op : rest)
        vectorizeTile(rewriter, op, {t[0], t[1]});
    }
    if (!epilogue)
      return;
    // Every tile has its own copy now; a part that could not be fused still
    // reads the whole product, which then gets the unfused code.
    if (matmul->use_empty())
      rewriter.eraseOp(matmul);
    else
      vectorizeMatmul(rewriter, matmul);
  }

  void decomposeAndVectorize(IRRewriter &rewriter, Operation *op) {
    // Rewrites the (oh = 1, kh = 1) 2-D tile into a 1-D convolution.
    RewritePatternSet patterns(&getContext());
    linalg::populateDecomposeConvolutionPatterns(patterns);
    Operation *parent = op->getParentOp();
    (void)applyPatternsGreedily(parent, std::move(patterns));
    SmallVector<linalg::LinalgOp> oneD;
    parent->walk([&](linalg::LinalgOp inner) {
      if (isa<linalg::ConvolutionOpInterface>(inner.getOperation()) &&
          inner.getNumLoops() <= 5)
        oneD.push_back(inner);
    });
    for (linalg::LinalgOp conv : oneD)
      vectorizeTile(rewriter, conv, {});
  }
};

} // namespace
