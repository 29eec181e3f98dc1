//===- DirectConvolution.cpp - Register-tiled direct 2-D convolution ------===//
//
// linalg.conv_2d_nchw_fchw with unit strides and dilations as vector code
// that reads the input in place: one scf.forall iteration per output row
// (n, oh); for a block of output channels, the row of each channel is held
// in registers (vector<OW>) while the loop over input channels and the
// unrolled filter window add w[f, c, kh, kw] * x[n, c, oh + kh, kw : kw + OW]
// to it, one FMA per channel and window offset. Where im2col would copy the
// input KH*KW times and the matmul over those columns would stream them
// back (LeNet-5's first convolution: 10 MB per step for a 30 MFLOP layer),
// this reads each input row from cache and writes each output row once.
// An accumulator that starts as a fill or as the bias broadcast over the
// batch and the plane starts as a splat of it in registers. Rows too short
// for the lanes (at most 3/4 of a register) are vectorized along the output
// channels instead (convolveAlongChannels). Filter gradients likewise, along
// output rows or along output channels, summed per chunk of the batch.
//
//===----------------------------------------------------------------------===//

#include "DirectConvolution.h"
#include "ElementwiseBodies.h"

#include "dnnc/Conversion/ConvolutionKernels.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"

using namespace mlir;
using dnnc::accumulatorRegisters;

namespace {

/// How the accumulator of every output element starts.
struct Start {
  Value splat;         // a scalar (the fill's value), or
  Value perChannel;    // a [F] tensor broadcast over n, oh, ow (the bias), or
  bool fromInit = false; // the conv's init tensor itself.
};

/// The start of `init`: a linalg.fill, a generic that only broadcasts a
/// rank-1 tensor along the channel dim, or anything else (read as is).
Start startOf(Value init) {
  if (auto fill = init.getDefiningOp<linalg::FillOp>())
    return {fill.getInputs()[0], nullptr};
  auto generic = init.getDefiningOp<linalg::GenericOp>();
  if (generic && generic.getNumDpsInputs() == 1 && generic.getNumResults() == 1 &&
      generic.getNumLoops() == 4 && generic.getNumReductionLoops() == 0) {
    AffineMap inputMap = generic.getIndexingMapsArray()[0];
    Block &body = generic.getRegion().front();
    auto yield = cast<linalg::YieldOp>(body.getTerminator());
    if (inputMap.getNumResults() == 1 && inputMap.getResult(0) == getAffineDimExpr(1, init.getContext()) &&
        generic.getIndexingMapsArray()[1].isIdentity() && body.getOperations().size() == 1 &&
        yield.getValues()[0] == body.getArgument(0))
      return {nullptr, generic.getDpsInputs()[0]};
  }
  return {nullptr, nullptr, true};
}

Value index(OpBuilder &b, Location l, int64_t v) {
  return arith::ConstantIndexOp::create(b, l, v).getResult();
}

/// A row of OW floats as whole vector registers: `pieces` of `width` lanes,
/// the last one masked to the row's end where OW is not a multiple of the
/// width (a vector<OW> of odd length, carried through loops, is split by
/// LLVM into pieces it shuffles through the stack: the filter gradient of
/// LeNet-5's first layer ran 15x slower so).
struct Row {
  int64_t length, width, pieces;
  VectorType type;

  Row(int64_t length, int64_t width, Type element)
      : length(length), width(width), pieces((length + width - 1) / width),
        type(VectorType::get({width}, element)) {}

  /// The mask of piece `p`, or null where it is whole.
  Value mask(OpBuilder &b, Location l, int64_t p) const {
    int64_t lanes = std::min(width, length - p * width);
    if (lanes == width)
      return nullptr;
    return vector::ConstantMaskOp::create(b, l, VectorType::get({width}, b.getI1Type()),
                                          ArrayRef<int64_t>{lanes});
  }

  /// Reads the row of rank-4 `source` that starts at `indices`; lanes past
  /// its end are zero.
  SmallVector<Value> read(OpBuilder &b, Location l, Value source, ArrayRef<Value> indices) const {
    SmallVector<Value> result;
    Value zero = arith::ConstantOp::create(b, l, b.getZeroAttr(type.getElementType()));
    AffineMap lastDim = AffineMap::get(4, 0, {b.getAffineDimExpr(3)}, b.getContext());
    for (int64_t p = 0; p < pieces; ++p) {
      SmallVector<Value> at(indices.begin(), indices.end());
      if (p)
        at[3] = arith::AddIOp::create(b, l, at[3], index(b, l, p * width));
      result.push_back(vector::TransferReadOp::create(
          b, l, type, source, at, AffineMapAttr::get(lastDim), zero, mask(b, l, p),
          b.getBoolArrayAttr({true})));
    }
    return result;
  }

  /// Writes `values` (the pieces) into the row of rank-4 tensor `dest` at
  /// `indices`; returns the updated tensor.
  Value write(OpBuilder &b, Location l, ArrayRef<Value> values, Value dest,
              ArrayRef<Value> indices) const {
    AffineMap lastDim = AffineMap::get(4, 0, {b.getAffineDimExpr(3)}, b.getContext());
    for (int64_t p = 0; p < pieces; ++p) {
      SmallVector<Value> at(indices.begin(), indices.end());
      if (p)
        at[3] = arith::AddIOp::create(b, l, at[3], index(b, l, p * width));
      dest = vector::TransferWriteOp::create(b, l, values[p], dest, at, AffineMapAttr::get(lastDim),
                                             mask(b, l, p), b.getBoolArrayAttr({true}))
                 .getResult();
    }
    return dest;
  }
};

} // namespace

bool dnnc::canConvolveDirectly(linalg::Conv2DNchwFchwOp conv, int64_t vectorWidth) {
  if (!conv.hasPureTensorSemantics())
    return false;
  if (llvm::any_of(conv.getStrides().getValues<int64_t>(), [](int64_t s) { return s != 1; }) ||
      llvm::any_of(conv.getDilations().getValues<int64_t>(), [](int64_t d) { return d != 1; }))
    return false;
  auto input = cast<RankedTensorType>(conv.getInputs()[0].getType());
  auto filter = cast<RankedTensorType>(conv.getInputs()[1].getType());
  auto output = cast<RankedTensorType>(conv.getOutputs()[0].getType());
  if (!input.getElementType().isF32() || !filter.getElementType().isF32() ||
      !output.getElementType().isF32() || !filter.hasStaticShape())
    return false;
  for (RankedTensorType type : {input, output})
    if (llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
      return false;
  // A row of at most 4 registers, so that a block of channels fits.
  return output.getDimSize(3) <= 4 * vectorWidth;
}

namespace {

/// A direct convolution's operands, geometry and accumulator start.
struct DirectConv {
  Value x, w, init;
  RankedTensorType outType;
  int64_t F, C, KH, KW, OH, OW;
  Row row;
  Start start;

  DirectConv(linalg::Conv2DNchwFchwOp conv, int64_t vectorWidth)
      : x(conv.getInputs()[0]), w(conv.getInputs()[1]), init(conv.getOutputs()[0]),
        outType(cast<RankedTensorType>(init.getType())),
        F(cast<RankedTensorType>(w.getType()).getDimSize(0)),
        C(cast<RankedTensorType>(w.getType()).getDimSize(1)),
        KH(cast<RankedTensorType>(w.getType()).getDimSize(2)),
        KW(cast<RankedTensorType>(w.getType()).getDimSize(3)), OH(outType.getDimSize(2)),
        OW(outType.getDimSize(3)), row(OW, vectorWidth, outType.getElementType()),
        start(startOf(init)) {}

  /// The first accumulator of each of `count` rows of channel `f`: splats of
  /// the fill value or of the channel's bias (not fromInit).
  SmallVector<Value> startRows(OpBuilder &b, Location l, int64_t f, int64_t count) const {
    Value value = start.splat;
    if (start.perChannel)
      value = tensor::ExtractOp::create(b, l, start.perChannel, ValueRange{index(b, l, f)});
    Value splat = vector::BroadcastOp::create(b, l, row.type, value);
    return SmallVector<Value>(count * row.pieces, splat);
  }

  /// The filter as [C, KH, KW, F], copied once per call: the weights one
  /// input channel's step reads are then contiguous, at constant offsets
  /// from one address (read as w[f, c, kh, kw], each of the F * KH * KW
  /// weights of a step became an address register of its own, which the
  /// kernel spilled to the stack and updated there every step).
  Value packedFilter(OpBuilder &b, Location l) const {
    auto type = RankedTensorType::get({C, KH, KW, F}, outType.getElementType());
    Value empty = tensor::EmptyOp::create(b, l, type.getShape(), type.getElementType());
    return linalg::TransposeOp::create(b, l, w, empty, ArrayRef<int64_t>{1, 2, 3, 0})
        ->getResult(0);
  }

  /// The loop over input channels that adds to `accumulators` (piece p of
  /// output row oh0 + r of channel f0 + i at [(i * rows + r) * pieces + p])
  /// the products of the filter window with the input rows; each input row
  /// is read once for all the output rows it contributes to.
  SmallVector<Value> accumulate(OpBuilder &builder, Location loc, Value packed, Value n,
                                Value oh0, int64_t rows, int64_t f0, int64_t size,
                                ArrayRef<Value> accumulators) const {
    auto channels = scf::ForOp::create(
        builder, loc, index(builder, loc, 0), index(builder, loc, C), index(builder, loc, 1),
        accumulators, [&](OpBuilder &b, Location l, Value c, ValueRange carried) {
          SmallVector<Value> acc(carried.begin(), carried.end());
          for (int64_t u = 0; u < rows + KH - 1; ++u) {
            Value h = u ? arith::AddIOp::create(b, l, oh0, index(b, l, u)).getResult() : oh0;
            for (int64_t kw = 0; kw < KW; ++kw) {
              SmallVector<Value> input = row.read(b, l, x, {n, c, h, index(b, l, kw)});
              // Output row r reads input row u through filter row kh = u - r.
              for (int64_t r = std::max<int64_t>(0, u - KH + 1); r < std::min(rows, u + 1); ++r) {
                int64_t kh = u - r;
                for (int64_t i = 0; i < size; ++i) {
                  Value weight = tensor::ExtractOp::create(
                      b, l, packed,
                      ValueRange{c, index(b, l, kh), index(b, l, kw), index(b, l, f0 + i)});
                  Value splat = vector::BroadcastOp::create(b, l, row.type, weight);
                  for (int64_t p = 0; p < row.pieces; ++p) {
                    Value &a = acc[(i * rows + r) * row.pieces + p];
                    a = vector::FMAOp::create(b, l, splat, input[p], a);
                  }
                }
              }
            }
          }
          scf::YieldOp::create(b, l, acc);
        });
    return SmallVector<Value>(channels.getResults());
  }

  /// Channels per block: as many as keep `rows` rows each in the
  /// accumulator registers.
  int64_t block(int64_t rows, int64_t vectorWidth) const {
    return std::max<int64_t>(
        1, std::min<int64_t>(F, accumulatorRegisters(vectorWidth) / (rows * row.pieces)));
  }

  /// The batch size.
  Value batch(OpBuilder &b, Location l) const { return tensor::DimOp::create(b, l, init, 0); }

  /// A forall over (image, row) for `rows` rows per image, sharing `outs`.
  scf::ForallOp forallOverRows(OpBuilder &b, Location l, Value batch, int64_t rows,
                               ValueRange outs) const {
    SmallVector<OpFoldResult> lower = {b.getIndexAttr(0), b.getIndexAttr(0)};
    SmallVector<OpFoldResult> upper = {outType.isDynamicDim(0)
                                           ? OpFoldResult(batch)
                                           : b.getIndexAttr(outType.getDimSize(0)),
                                       b.getIndexAttr(rows)};
    SmallVector<OpFoldResult> steps = {b.getIndexAttr(1), b.getIndexAttr(1)};
    return scf::ForallOp::create(b, l, lower, upper, steps, outs, /*mapping=*/std::nullopt);
  }

  /// The plain kernels' frame: a forall over output rows (n, oh) that
  /// writes into the init (fromInit) or a fresh tensor, the rewriter at the
  /// start of its body, and the [1, F, 1, OW] row the iteration produces.
  struct OutputRows {
    scf::ForallOp forall;
    Value n, oh, tile;
    SmallVector<OpFoldResult> offsets, sizes;
  };
  OutputRows beginOutputRows(RewriterBase &b, Location l, Value batch) const {
    // Unless the accumulator is read from the init, the output starts empty:
    // neither the fill nor the broadcast bias is ever materialized.
    Value dest = init;
    if (!start.fromInit)
      dest = tensor::EmptyOp::create(b, l, outType,
                                     outType.isDynamicDim(0) ? ValueRange{batch} : ValueRange{});
    OutputRows rows;
    rows.forall = forallOverRows(b, l, batch, OH, ValueRange{dest});
    b.setInsertionPointToStart(rows.forall.getBody());
    rows.n = rows.forall.getBody()->getArgument(0);
    rows.oh = rows.forall.getBody()->getArgument(1);
    rows.offsets = {rows.n, b.getIndexAttr(0), rows.oh, b.getIndexAttr(0)};
    rows.sizes = {b.getIndexAttr(1), b.getIndexAttr(F), b.getIndexAttr(1), b.getIndexAttr(OW)};
    SmallVector<OpFoldResult> unit(4, b.getIndexAttr(1));
    rows.tile = tensor::ExtractSliceOp::create(
        b, l, RankedTensorType::get({1, F, 1, OW}, outType.getElementType()),
        rows.forall.getRegionIterArgs()[0], rows.offsets, rows.sizes, unit);
    return rows;
  }
  /// Ends the iteration: `tile` becomes its row of the output. Returns the
  /// output.
  Value endOutputRows(RewriterBase &b, Location l, OutputRows rows, Value tile) const {
    b.setInsertionPointToStart(rows.forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(b, l, tile, rows.forall.getRegionIterArgs()[0],
                                          rows.offsets, rows.sizes,
                                          SmallVector<OpFoldResult>(4, b.getIndexAttr(1)));
    return rows.forall.getResult(0);
  }
};

} // namespace

/// Whether `k` takes the kernel vectorized along output channels: rows
/// that fill at most 3/4 of a register (lanes along the row would idle),
/// channels in whole registers, and a row's accumulators within budget.
static bool alongChannels(const DirectConv &k, int64_t vectorWidth) {
  return !k.start.fromInit && 4 * k.OW <= 3 * vectorWidth && k.F % vectorWidth == 0 &&
         k.OW <= accumulatorRegisters(vectorWidth);
}

/// The direct kernel with output channels as the vector lanes, for short
/// rows (LeNet-5's second layer: rows of 10, which fill 10 of 16 lanes when
/// they are the vector): per output row and block of `vectorWidth`
/// channels, one accumulator per column; each step (c, kh, kw) reads the
/// packed filter's channel vector once and multiplies it by each input
/// element of the window row (a broadcast); the block is transposed once
/// into rows and stored.
static Value convolveAlongChannels(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv,
                                   const DirectConv &k, int64_t vectorWidth) {
  Location loc = conv.getLoc();
  Type f32 = k.outType.getElementType();
  int64_t F = k.F, C = k.C, KH = k.KH, KW = k.KW, OW = k.OW, W = vectorWidth;
  auto lanes = VectorType::get({W}, f32);

  rewriter.setInsertionPoint(conv);
  Value batch = k.batch(rewriter, loc);
  Value packed = k.packedFilter(rewriter, loc);
  OpBuilder::InsertionGuard guard(rewriter);
  DirectConv::OutputRows output = k.beginOutputRows(rewriter, loc, batch);
  Value n = output.n, oh = output.oh, tile = output.tile;
  Value zeroIndex = index(rewriter, loc, 0);
  Value zero = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(f32));
  AffineMap lastOf4 = AffineMap::get(4, 0, {rewriter.getAffineDimExpr(3)}, rewriter.getContext());

  for (int64_t f0 = 0; f0 < F; f0 += W) {
    Value start;
    if (k.start.perChannel)
      start = vector::TransferReadOp::create(
          rewriter, loc, lanes, k.start.perChannel, ValueRange{index(rewriter, loc, f0)}, zero,
          SmallVector<bool>{true});
    else
      start = vector::BroadcastOp::create(rewriter, loc, lanes, k.start.splat);
    SmallVector<Value> initial(OW, start);
    auto channels = scf::ForOp::create(
        rewriter, loc, zeroIndex, index(rewriter, loc, C), index(rewriter, loc, 1), initial,
        [&](OpBuilder &b, Location l, Value c, ValueRange carried) {
          SmallVector<Value> acc(carried.begin(), carried.end());
          for (int64_t kh = 0; kh < KH; ++kh) {
            Value h = kh ? arith::AddIOp::create(b, l, oh, index(b, l, kh)).getResult() : oh;
            for (int64_t kw = 0; kw < KW; ++kw) {
              Value weights = vector::TransferReadOp::create(
                  b, l, lanes, packed,
                  ValueRange{c, index(b, l, kh), index(b, l, kw), index(b, l, f0)}, zero,
                  SmallVector<bool>{true});
              for (int64_t ow = 0; ow < OW; ++ow) {
                Value element = tensor::ExtractOp::create(
                    b, l, k.x, ValueRange{n, c, h, index(b, l, ow + kw)});
                Value splat = vector::BroadcastOp::create(b, l, lanes, element);
                acc[ow] = vector::FMAOp::create(b, l, splat, weights, acc[ow]);
              }
            }
          }
          scf::YieldOp::create(b, l, acc);
        });
    // [OW][W] -> [W][OW]: each channel's output row, stored whole.
    auto blockType = VectorType::get({OW, W}, f32);
    Value block = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(blockType));
    for (int64_t ow = 0; ow < OW; ++ow)
      block = vector::InsertOp::create(rewriter, loc, channels.getResult(ow), block,
                                       ArrayRef<int64_t>{ow});
    Value rows = vector::TransposeOp::create(rewriter, loc, block, ArrayRef<int64_t>{1, 0});
    for (int64_t f = 0; f < W; ++f) {
      Value row = vector::ExtractOp::create(rewriter, loc, rows, ArrayRef<int64_t>{f});
      tile = vector::TransferWriteOp::create(
                 rewriter, loc, row, tile,
                 ValueRange{zeroIndex, index(rewriter, loc, f0 + f), zeroIndex, zeroIndex},
                 AffineMapAttr::get(lastOf4), /*mask=*/Value(), rewriter.getBoolArrayAttr({true}))
                 .getResult();
    }
  }
  return k.endOutputRows(rewriter, loc, output, tile);
}

Value dnnc::convolveDirectly(RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv,
                             int64_t vectorWidth) {
  Location loc = conv.getLoc();
  DirectConv k(conv, vectorWidth);
  if (alongChannels(k, vectorWidth))
    return convolveAlongChannels(rewriter, conv, k, vectorWidth);
  const Row &row = k.row;
  int64_t F = k.F;
  int64_t block = k.block(1, vectorWidth);

  rewriter.setInsertionPoint(conv);
  Value batch = k.batch(rewriter, loc);
  Value packed = k.packedFilter(rewriter, loc);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    DirectConv::OutputRows output = k.beginOutputRows(rewriter, loc, batch);
    Value n = output.n, oh = output.oh, tile = output.tile;
    Value zeroIndex = index(rewriter, loc, 0);

    for (int64_t f0 = 0; f0 < F; f0 += block) {
      int64_t size = std::min(block, F - f0);
      // accumulators[i * pieces + p]: piece p of channel f0 + i's row.
      SmallVector<Value> accumulators;
      for (int64_t f = f0; f < f0 + size; ++f) {
        if (k.start.fromInit)
          llvm::append_range(accumulators,
                             row.read(rewriter, loc, tile,
                                      {zeroIndex, index(rewriter, loc, f), zeroIndex, zeroIndex}));
        else
          llvm::append_range(accumulators, k.startRows(rewriter, loc, f, 1));
      }
      SmallVector<Value> rows =
          k.accumulate(rewriter, loc, packed, n, oh, 1, f0, size, accumulators);
      for (int64_t i = 0; i < size; ++i)
        tile = row.write(rewriter, loc, ArrayRef<Value>(rows).slice(i * row.pieces, row.pieces),
                         tile, {zeroIndex, index(rewriter, loc, f0 + i), zeroIndex, zeroIndex});
    }
    return k.endOutputRows(rewriter, loc, output, tile);
  }
}

//===----------------------------------------------------------------------===//
// Convolution fused with pooling over tiling windows
//===----------------------------------------------------------------------===//

linalg::GenericOp dnnc::findTiledPooling(linalg::Conv2DNchwFchwOp conv, int64_t vectorWidth,
                                         SmallVectorImpl<std::pair<int64_t, int64_t>> &offsets) {
  offsets.clear();
  Value result = conv.getResult(0);
  linalg::GenericOp pool;
  int64_t KHp = 0, KWp = 0;
  SmallVector<int64_t> planeSizes;
  for (OpOperand &use : result.getUses()) {
    auto slice = dyn_cast<tensor::ExtractSliceOp>(use.getOwner());
    if (!slice || !slice->hasOneUse() || slice.getSourceType().getRank() != 4 ||
        slice.getResultType().getRank() != 4)
      return nullptr;
    auto user = dyn_cast<linalg::GenericOp>(*slice->getUsers().begin());
    if (!user || (pool && user != pool))
      return nullptr;
    pool = user;
    std::optional<SmallVector<int64_t>> strides = getConstantIntValues(slice.getMixedStrides());
    std::optional<SmallVector<int64_t>> at = getConstantIntValues(slice.getMixedOffsets());
    if (!strides || !at || (*strides)[0] != 1 || (*strides)[1] != 1 || (*at)[0] || (*at)[1])
      return nullptr;
    if (!KHp) {
      KHp = (*strides)[2];
      KWp = (*strides)[3];
    } else if ((*strides)[2] != KHp || (*strides)[3] != KWp) {
      return nullptr;
    }
    if ((*at)[2] >= KHp || (*at)[3] >= KWp)
      return nullptr;
  }
  if (!pool || pool.getNumLoops() != 4 || pool.getNumParallelLoops() != 4 ||
      !pool.hasPureTensorSemantics() ||
      llvm::any_of(pool.getIndexingMapsArray(), [](AffineMap m) { return !m.isIdentity(); }))
    return nullptr;
  // The inputs of the pooling are the KH * KW window offsets' planes of the
  // convolution, each once, and any other tensors of the pooled shape
  // (offset {-1, -1}: a loss's operand fused into the pooling, say).
  llvm::SmallDenseSet<int64_t> seen;
  RankedTensorType planeType;
  for (Value input : pool.getDpsInputs()) {
    auto slice = input.getDefiningOp<tensor::ExtractSliceOp>();
    if (!slice || slice.getSource() != result) {
      offsets.push_back({-1, -1});
      continue;
    }
    planeType = slice.getResultType();
    SmallVector<int64_t> at = *getConstantIntValues(slice.getMixedOffsets());
    if (!seen.insert(at[2] * KWp + at[3]).second)
      return nullptr;
    offsets.push_back({at[2], at[3]});
  }
  if ((int64_t)seen.size() != KHp * KWp)
    return nullptr;
  for (Value input : pool.getDpsInputs()) {
    auto type = cast<RankedTensorType>(input.getType());
    if (type.getShape() != planeType.getShape() && type.getShape().drop_front() !=
                                                       planeType.getShape().drop_front())
      return nullptr;
  }
  // The windows tile the output: the planes are [N, F, OH / KH, OW / KW].
  DirectConv k(conv, vectorWidth);
  if (planeType.isDynamicDim(2) || planeType.isDynamicDim(3) ||
      planeType.getDimSize(2) * KHp != k.OH || planeType.getDimSize(3) * KWp != k.OW)
    return nullptr;
  // Rows of two registers (one shuffle picks a plane's lanes from both),
  // the accumulators start without reading the output, and the KH rows of a
  // window fit the accumulator registers. Rows of one register are left to
  // the separate kernels: holding KH rows per channel halves the channels
  // of a block, and the fused kernel measured 1.7-2.6x slower there
  // (LeNet-5's and cifar_cnn's second layers, predict at batch 256); with
  // two-register rows it is as fast or faster (cifar_cnn's first layer,
  // predict at batch 256: 14.3-15.2 -> 7.9-9.2 ms; LeNet-5's first layer in
  // training 0.52-0.55 -> 0.47-0.53 ms).
  if (k.row.pieces != 2 || k.start.fromInit ||
      KHp * k.row.pieces > accumulatorRegisters(vectorWidth))
    return nullptr;
  // An elementwise body of scalar arith and math ops.
  if (!hasScalarElementwiseBody(pool))
    return nullptr;
  return pool;
}

SmallVector<Value> dnnc::convolveAndPoolDirectly(
    RewriterBase &rewriter, linalg::Conv2DNchwFchwOp conv, linalg::GenericOp pool,
    ArrayRef<std::pair<int64_t, int64_t>> offsets, int64_t vectorWidth) {
  Location loc = conv.getLoc();
  DirectConv k(conv, vectorWidth);
  const Row &row = k.row;
  auto planeType = cast<RankedTensorType>(pool.getResultTypes()[0]);
  int64_t PH = planeType.getDimSize(2), PW = planeType.getDimSize(3);
  int64_t KHp = k.OH / PH, KWp = k.OW / PW;
  int64_t F = k.F;
  // Half the accumulator budget: the KH rows' pooling epilogue needs
  // registers of its own, and with the whole budget the kernel spilled
  // (LeNet-5's first layer in training: 0.63-0.73 -> 0.47-0.53 ms).
  int64_t block = std::max<int64_t>(1, k.block(KHp, vectorWidth) / 2);

  rewriter.setInsertionPoint(pool);
  Value batch = k.batch(rewriter, loc);
  Value packed = k.packedFilter(rewriter, loc);
  auto forall = k.forallOverRows(rewriter, loc, batch, PH, pool.getDpsInits());
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *body = forall.getBody();
    rewriter.setInsertionPointToStart(body);
    Value n = body->getArgument(0), ph = body->getArgument(1);
    Value oh0 = arith::MulIOp::create(rewriter, loc, ph, index(rewriter, loc, KHp));
    SmallVector<OpFoldResult> rowOffsets = {n, rewriter.getIndexAttr(0), ph,
                                            rewriter.getIndexAttr(0)};
    SmallVector<OpFoldResult> rowSizes = {rewriter.getIndexAttr(1), rewriter.getIndexAttr(F),
                                          rewriter.getIndexAttr(1), rewriter.getIndexAttr(PW)};
    SmallVector<OpFoldResult> unit(4, rewriter.getIndexAttr(1));
    SmallVector<Value> tiles;
    for (Value shared : forall.getRegionIterArgs()) {
      auto type = RankedTensorType::get({1, F, 1, PW},
                                        cast<RankedTensorType>(shared.getType()).getElementType());
      tiles.push_back(tensor::ExtractSliceOp::create(rewriter, loc, type, shared, rowOffsets,
                                                     rowSizes, unit));
    }
    Value zeroIndex = index(rewriter, loc, 0);
    AffineMap lastDim = AffineMap::get(4, 0, {rewriter.getAffineDimExpr(3)}, rewriter.getContext());
    Block &poolBody = pool.getRegion().front();

    for (int64_t f0 = 0; f0 < F; f0 += block) {
      int64_t size = std::min(block, F - f0);
      SmallVector<Value> accumulators;
      for (int64_t f = f0; f < f0 + size; ++f)
        llvm::append_range(accumulators, k.startRows(rewriter, loc, f, KHp));
      SmallVector<Value> rows =
          k.accumulate(rewriter, loc, packed, n, oh0, KHp, f0, size, accumulators);
      for (int64_t i = 0; i < size; ++i) {
        // Each input of the pooling: lanes kw, kw + KW, ... of the output
        // row kh, picked from its (at most two) registers by one shuffle.
        IRMapping mapping;
        for (auto [arg, offset, input] :
             llvm::zip(poolBody.getArguments(), offsets, pool.getDpsInputs())) {
          auto [kh, kw] = offset;
          if (kh < 0) {
            // Another tensor of the pooled shape: its row, read as is.
            Type element = cast<RankedTensorType>(input.getType()).getElementType();
            Value padding = arith::ConstantOp::create(rewriter, loc, rewriter.getZeroAttr(element));
            mapping.map(arg, vector::TransferReadOp::create(
                                 rewriter, loc, VectorType::get({PW}, element), input,
                                 ValueRange{n, index(rewriter, loc, f0 + i), ph, zeroIndex},
                                 AffineMapAttr::get(lastDim), padding, /*mask=*/Value(),
                                 rewriter.getBoolArrayAttr({true})));
            continue;
          }
          ArrayRef<Value> pieces = ArrayRef<Value>(rows).slice((i * KHp + kh) * row.pieces,
                                                               row.pieces);
          SmallVector<int64_t> lanes;
          for (int64_t j = 0; j < PW; ++j)
            lanes.push_back(kw + j * KWp);
          mapping.map(arg, vector::ShuffleOp::create(rewriter, loc, pieces.front(), pieces.back(),
                                                     lanes));
        }
        // The pooling's body on vectors of PW lanes.
        SmallVector<Value> results = cloneBodyOnVectors(rewriter, loc, pool, mapping, PW);
        for (auto [t, lanes] : llvm::enumerate(results)) {
          tiles[t] = vector::TransferWriteOp::create(
                         rewriter, loc, lanes, tiles[t],
                         ValueRange{zeroIndex, index(rewriter, loc, f0 + i), zeroIndex, zeroIndex},
                         AffineMapAttr::get(lastDim), /*mask=*/Value(),
                         rewriter.getBoolArrayAttr({true}))
                         .getResult();
        }
      }
    }
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    for (auto [tile, shared] : llvm::zip(tiles, forall.getRegionIterArgs()))
      tensor::ParallelInsertSliceOp::create(rewriter, loc, tile, shared, rowOffsets, rowSizes,
                                            unit);
  }
  return SmallVector<Value>(forall.getResults());
}

//===----------------------------------------------------------------------===//
// Filter gradient
//===----------------------------------------------------------------------===//

bool dnnc::isFilterGradient(linalg::GenericOp op) {
  // dw[f, c, kh, kw] += x[n, c, oh + kh, ow + kw] * dy[n, f, oh, ow] over
  // loops (f, c, kh, kw, n, oh, ow), as convert-dnn-to-linalg emits it.
  if (!op.hasPureTensorSemantics() || op.getNumLoops() != 7 || op.getNumDpsInputs() != 2 ||
      op.getNumDpsInits() != 1 || op.getNumReductionLoops() != 3)
    return false;
  MLIRContext *ctx = op.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<AffineMap> maps = op.getIndexingMapsArray();
  if (maps[0] != AffineMap::get(7, 0, {d(4), d(1), d(5) + d(2), d(6) + d(3)}, ctx) ||
      maps[1] != AffineMap::get(7, 0, {d(4), d(0), d(5), d(6)}, ctx) ||
      maps[2] != AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx))
    return false;
  for (Value operand : op->getOperands()) {
    auto type = dyn_cast<RankedTensorType>(operand.getType());
    if (!type || !type.getElementType().isF32() || type.getRank() != 4 ||
        llvm::any_of(type.getShape().drop_front(), ShapedType::isDynamic))
      return false;
  }
  if (cast<RankedTensorType>(op.getDpsInits()[0].getType()).isDynamicDim(0))
    return false;
  // The body: out + x * dy.
  Block &body = op.getRegion().front();
  auto yield = cast<linalg::YieldOp>(body.getTerminator());
  auto add = yield.getValues()[0].getDefiningOp<arith::AddFOp>();
  if (body.getOperations().size() != 3 || !add)
    return false;
  auto mul = add.getRhs().getDefiningOp<arith::MulFOp>();
  if (!mul || add.getLhs() != body.getArgument(2))
    return false;
  return (mul.getLhs() == body.getArgument(0) && mul.getRhs() == body.getArgument(1)) ||
         (mul.getLhs() == body.getArgument(1) && mul.getRhs() == body.getArgument(0));
}

namespace {
/// A filter gradient's operands (isFilterGradient) and geometry.
struct FilterGradient {
  Value x, dy, init;
  RankedTensorType gradType, outType;
  int64_t F, C, KH, KW, OH, OW;

  explicit FilterGradient(linalg::GenericOp op)
      : x(op.getDpsInputs()[0]), dy(op.getDpsInputs()[1]), init(op.getDpsInits()[0]),
        gradType(cast<RankedTensorType>(dy.getType())),
        outType(cast<RankedTensorType>(init.getType())), F(outType.getDimSize(0)),
        C(outType.getDimSize(1)), KH(outType.getDimSize(2)), KW(outType.getDimSize(3)),
        OH(gradType.getDimSize(2)), OW(gradType.getDimSize(3)) {}
};
} // namespace

/// Images per forall iteration of a filter gradient: each iteration sums
/// its images into a partial gradient of its own, and the partials are
/// added at the end, so threads never share an accumulator (8 images of
/// LeNet-5's first layer are 180 KB of x and dy, which stay in L2 across
/// the channel loops).
static constexpr int64_t filterGradientChunk = 8;

/// The filter gradient's frame: a forall over chunks of the batch, each
/// iteration handing `body` its images [first, last) and its [1, ...] tile
/// of the partials to update and return; then the partials summed into the
/// gradient's init. A chunk's partial holds the filter's dims (F, C, KH, KW)
/// in the order `partialDims` gives (indices into them), the layout its
/// kernel accumulates in.
static Value sumOverChunks(
    RewriterBase &rewriter, Location loc, const FilterGradient &g, ArrayRef<unsigned> partialDims,
    function_ref<Value(OpBuilder &, Location, Value first, Value last, Value tile)> body) {
  Value init = g.init;
  RankedTensorType outType = g.outType;
  Type f32 = outType.getElementType();
  Value batch = tensor::DimOp::create(rewriter, loc, g.dy, 0);
  MLIRContext *ctx = rewriter.getContext();
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  // From loops (f, c, kh, kw, chunk) to the partials' dims.
  SmallVector<AffineExpr> partialExprs = {d(4)};
  SmallVector<int64_t> partialShape;
  for (unsigned dim : partialDims) {
    partialExprs.push_back(d(dim));
    partialShape.push_back(outType.getDimSize(dim));
  }
  AffineMap partialMap = AffineMap::get(5, 0, partialExprs, ctx);
  AffineExpr s0 = rewriter.getAffineSymbolExpr(0);
  const int64_t chunk = filterGradientChunk;
  Value chunks = affine::makeComposedAffineApply(rewriter, loc, s0.ceilDiv(chunk), {batch});
  SmallVector<int64_t> shape = {ShapedType::kDynamic};
  llvm::append_range(shape, partialShape);
  auto partialType = RankedTensorType::get(shape, f32);
  Value partial = tensor::EmptyOp::create(rewriter, loc, partialType, ValueRange{chunks});
  auto forall = scf::ForallOp::create(rewriter, loc, ArrayRef<OpFoldResult>{rewriter.getIndexAttr(0)},
                                      ArrayRef<OpFoldResult>{chunks},
                                      ArrayRef<OpFoldResult>{rewriter.getIndexAttr(1)},
                                      ValueRange{partial}, /*mapping=*/std::nullopt);
  {
    OpBuilder::InsertionGuard guard(rewriter);
    Block *forallBody = forall.getBody();
    rewriter.setInsertionPointToStart(forallBody);
    Value t = forallBody->getArgument(0);
    Value shared = forall.getRegionIterArgs()[0];
    AffineExpr d0 = rewriter.getAffineDimExpr(0);
    Value first = affine::makeComposedAffineApply(rewriter, loc, d0 * chunk, {t});
    Value last = affine::AffineMinOp::create(
        rewriter, loc, AffineMap::get(1, 1, {d0 * chunk + chunk, s0}, rewriter.getContext()),
        ValueRange{t, batch});
    SmallVector<OpFoldResult> offsets(shape.size(), rewriter.getIndexAttr(0));
    offsets[0] = t;
    SmallVector<OpFoldResult> sizes = {rewriter.getIndexAttr(1)};
    for (int64_t extent : partialShape)
      sizes.push_back(rewriter.getIndexAttr(extent));
    SmallVector<OpFoldResult> unit(shape.size(), rewriter.getIndexAttr(1));
    shape[0] = 1;
    Value tile = tensor::ExtractSliceOp::create(rewriter, loc, RankedTensorType::get(shape, f32),
                                                shared, offsets, sizes, unit);
    Value updated = body(rewriter, loc, first, last, tile);
    rewriter.setInsertionPointToStart(forall.getTerminator().getBody());
    tensor::ParallelInsertSliceOp::create(rewriter, loc, updated, shared, offsets, sizes, unit);
  }
  // The partials of all chunks, added to the accumulator's start.
  SmallVector<AffineMap> maps = {partialMap, AffineMap::get(5, 0, {d(0), d(1), d(2), d(3)}, ctx)};
  SmallVector<utils::IteratorType> iterators(4, utils::IteratorType::parallel);
  iterators.push_back(utils::IteratorType::reduction);
  return linalg::GenericOp::create(rewriter, loc, TypeRange{outType}, ValueRange{forall.getResult(0)},
                                   ValueRange{init}, maps, iterators,
                                   [](OpBuilder &b, Location l, ValueRange args) {
                                     linalg::YieldOp::create(
                                         b, l, ValueRange{arith::AddFOp::create(b, l, args[1], args[0])});
                                   })
      .getResult(0);
}

/// The filter gradient with the output channels as the vector lanes: dy is
/// transposed once to [N, OH, OW, F]; then, per input channel and block of
/// window rows, each output position (n, oh, ow) reads one channel vector of
/// dy and adds its product with each input element of the window block (a
/// broadcast) to that offset's accumulator. Every lane works whatever the
/// row length, and a step makes one FMA per load: no im2col columns (7.7 MB
/// per step in LeNet-5's second layer, streamed out and back).
static Value filterGradientAlongChannelsKernel(RewriterBase &rewriter, linalg::GenericOp op,
                                               const FilterGradient &g, int64_t vectorWidth) {
  Location loc = op.getLoc();
  Value x = g.x, dy = g.dy;
  RankedTensorType gradType = g.gradType;
  int64_t F = g.F, C = g.C, KH = g.KH, KW = g.KW, OH = g.OH, OW = g.OW;
  int64_t W = vectorWidth;
  Type f32 = g.outType.getElementType();
  auto lanes = VectorType::get({W}, f32);
  // Accumulators: a block of window rows (all of them where they fit) times
  // a block of channel vectors.
  int64_t budget = accumulatorRegisters(W), channelVectors = F / W;
  int64_t rowBlock = KH, vectorBlock = 1;
  if (KH * KW <= budget)
    vectorBlock = std::max<int64_t>(1, std::min(channelVectors, budget / (KH * KW)));
  else
    rowBlock = std::max<int64_t>(1, budget / KW);

  rewriter.setInsertionPoint(op);
  Value batch = tensor::DimOp::create(rewriter, loc, dy, 0);
  auto lastType = RankedTensorType::get({gradType.getDimSize(0), OH, OW, F}, f32);
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, lastType, gradType.isDynamicDim(0) ? ValueRange{batch} : ValueRange{});
  Value dyLast = linalg::TransposeOp::create(rewriter, loc, dy, empty, ArrayRef<int64_t>{0, 2, 3, 1})
                     ->getResult(0);
  // Partials [chunk, C, KH, KW, F].
  return sumOverChunks(
      rewriter, loc, g, {1, 2, 3, 0},
      [&](OpBuilder &builder, Location loc, Value first, Value last, Value tile) -> Value {
        auto idx = [&](OpBuilder &b, int64_t v) { return index(b, loc, v); };
        Value zeroVector =
            arith::ConstantOp::create(builder, loc, DenseElementsAttr::get(lanes, 0.0f));
        auto channels = scf::ForOp::create(
            builder, loc, idx(builder, 0), idx(builder, C), idx(builder, 1), ValueRange{tile},
            [&](OpBuilder &b, Location l, Value c, ValueRange carried) {
              Value current = carried[0];
              for (int64_t kh0 = 0; kh0 < KH; kh0 += rowBlock) {
                int64_t rows = std::min(rowBlock, KH - kh0);
                for (int64_t v0 = 0; v0 < channelVectors; v0 += vectorBlock) {
                  int64_t vectors = std::min(vectorBlock, channelVectors - v0);
                  // acc[(r * KW + kw) * vectors + j]: dw[f0 + j W.., c, kh0 + r, kw].
                  SmallVector<Value> zeros(rows * KW * vectors, zeroVector);
                  Value zeroFloat = arith::ConstantOp::create(b, l, b.getZeroAttr(f32));
                  auto gradAt = [&](OpBuilder &b, Value n, Value oh, Value ow, int64_t j) -> Value {
                    return vector::TransferReadOp::create(b, l, lanes, dyLast,
                                                          ValueRange{n, oh, ow, idx(b, (v0 + j) * W)},
                                                          zeroFloat, SmallVector<bool>{true});
                  };
                  auto inputAt = [&](OpBuilder &b, Value n, Value oh, int64_t r, Value w) -> Value {
                    Value h = arith::AddIOp::create(b, l, oh, idx(b, kh0 + r));
                    Value element = tensor::ExtractOp::create(b, l, x, ValueRange{n, c, h, w});
                    return vector::BroadcastOp::create(b, l, lanes, element);
                  };
                  // One output row's products, unrolled along the input
                  // row: each input element x[.., w] is broadcast once and
                  // meets the gradient vectors of the KW output columns
                  // w - kw it contributes to, which stay in registers (a
                  // loop over output columns, unrolled by LLVM, read every
                  // element KW times and kept the broadcasts it shared
                  // between columns alive until they spilled).
                  auto rowAlongInput = [&](OpBuilder &b, Value n, Value oh,
                                           SmallVector<Value> &acc) {
                    SmallVector<SmallVector<Value>> grads(OW);
                    for (int64_t w = 0; w < OW + KW - 1; ++w) {
                      if (w < OW)
                        for (int64_t j = 0; j < vectors; ++j)
                          grads[w].push_back(gradAt(b, n, oh, idx(b, w), j));
                      for (int64_t r = 0; r < rows; ++r) {
                        Value splat = inputAt(b, n, oh, r, idx(b, w));
                        for (int64_t kw = std::max<int64_t>(0, w - OW + 1);
                             kw < std::min<int64_t>(KW, w + 1); ++kw)
                          for (int64_t j = 0; j < vectors; ++j) {
                            Value &a = acc[(r * KW + kw) * vectors + j];
                            a = vector::FMAOp::create(b, l, splat, grads[w - kw][j], a);
                          }
                      }
                    }
                  };
                  // Long rows: a loop over output columns, each reading
                  // its window elements.
                  auto column = [&](OpBuilder &b, Value n, Value oh, Value ow,
                                    SmallVector<Value> &acc) {
                    SmallVector<Value> grads;
                    for (int64_t j = 0; j < vectors; ++j)
                      grads.push_back(gradAt(b, n, oh, ow, j));
                    for (int64_t r = 0; r < rows; ++r)
                      for (int64_t kw = 0; kw < KW; ++kw) {
                        Value w = kw ? arith::AddIOp::create(b, l, ow, idx(b, kw)).getResult() : ow;
                        Value splat = inputAt(b, n, oh, r, w);
                        for (int64_t j = 0; j < vectors; ++j) {
                          Value &a = acc[(r * KW + kw) * vectors + j];
                          a = vector::FMAOp::create(b, l, splat, grads[j], a);
                        }
                      }
                  };
                  auto images = scf::ForOp::create(
                      b, l, first, last, idx(b, 1), zeros,
                      [&](OpBuilder &b, Location l, Value n, ValueRange perImage) {
                        auto outRows = scf::ForOp::create(
                            b, l, idx(b, 0), idx(b, OH), idx(b, 1), perImage,
                            [&](OpBuilder &b, Location l, Value oh, ValueRange perRow) {
                              if (OW <= 32) {
                                SmallVector<Value> acc(perRow.begin(), perRow.end());
                                rowAlongInput(b, n, oh, acc);
                                scf::YieldOp::create(b, l, acc);
                                return;
                              }
                              auto columns = scf::ForOp::create(
                                  b, l, idx(b, 0), idx(b, OW), idx(b, 1), perRow,
                                  [&](OpBuilder &b, Location l, Value ow, ValueRange perColumn) {
                                    SmallVector<Value> acc(perColumn.begin(), perColumn.end());
                                    column(b, n, oh, ow, acc);
                                    scf::YieldOp::create(b, l, acc);
                                  });
                              scf::YieldOp::create(b, l, columns.getResults());
                            });
                        scf::YieldOp::create(b, l, outRows.getResults());
                      });
                  for (int64_t r = 0; r < rows; ++r)
                    for (int64_t kw = 0; kw < KW; ++kw)
                      for (int64_t j = 0; j < vectors; ++j)
                        current = vector::TransferWriteOp::create(
                                      b, l, images.getResult((r * KW + kw) * vectors + j), current,
                                      ValueRange{idx(b, 0), c, idx(b, kh0 + r), idx(b, kw),
                                                 idx(b, (v0 + j) * W)},
                                      SmallVector<bool>{true})
                                      .getResult();
                }
              }
              scf::YieldOp::create(b, l, current);
            });
        return channels.getResult(0);
      });
}

Value dnnc::filterGradientDirectly(RewriterBase &rewriter, linalg::GenericOp op,
                                   int64_t vectorWidth) {
  FilterGradient g(op);
  Location loc = op.getLoc();
  Value x = g.x, dy = g.dy;
  int64_t F = g.F, C = g.C, KH = g.KH, KW = g.KW, OH = g.OH, OW = g.OW;
  Type f32 = g.outType.getElementType();
  Row row(OW, vectorWidth, f32);
  if (dnnc::filterGradientAlongChannels(F, C, KH, KW, OW, vectorWidth))
    return filterGradientAlongChannelsKernel(rewriter, op, g, vectorWidth);
  // Accumulators: one row per (channel of the block, kw); the block is as
  // many output channels as fit the accumulator registers.
  int64_t block = std::max<int64_t>(
      1, std::min<int64_t>(F, accumulatorRegisters(vectorWidth) / (row.pieces * KW)));
  rewriter.setInsertionPoint(op);
  // Partials [chunk, F, C, KH, KW].
  return sumOverChunks(
      rewriter, loc, g, {0, 1, 2, 3},
      [&](OpBuilder &builder, Location loc, Value first, Value last, Value tile) -> Value {
        Value zeroRow = arith::ConstantOp::create(builder, loc, DenseElementsAttr::get(row.type, 0.0f));
        auto channels = scf::ForOp::create(
            builder, loc, index(builder, loc, 0), index(builder, loc, C), index(builder, loc, 1),
            ValueRange{tile}, [&](OpBuilder &b, Location l, Value c, ValueRange carried) {
              Value current = carried[0];
              for (int64_t kh = 0; kh < KH; ++kh) {
                for (int64_t f0 = 0; f0 < F; f0 += block) {
                  int64_t size = std::min(block, F - f0);
                  SmallVector<Value> zeros(size * KW * row.pieces, zeroRow);
                  // acc[(i * KW + kw) * pieces + p] += piece p of
                  // dy[n, f0 + i, oh, :] * x[n, c, oh + kh, kw : kw + OW]; lanes
                  // past the row's end read zeros from both.
                  auto images = scf::ForOp::create(
                      b, l, first, last, index(b, l, 1), zeros,
                      [&](OpBuilder &b, Location l, Value n, ValueRange perImage) {
                        auto rows = scf::ForOp::create(
                            b, l, index(b, l, 0), index(b, l, OH), index(b, l, 1), perImage,
                            [&](OpBuilder &b, Location l, Value oh, ValueRange perRow) {
                              SmallVector<Value> acc(perRow.begin(), perRow.end());
                              Value h = kh ? arith::AddIOp::create(b, l, oh, index(b, l, kh)).getResult()
                                           : oh;
                              SmallVector<SmallVector<Value>> grads;
                              for (int64_t i = 0; i < size; ++i)
                                grads.push_back(row.read(b, l, dy,
                                                         {n, index(b, l, f0 + i), oh, index(b, l, 0)}));
                              for (int64_t kw = 0; kw < KW; ++kw) {
                                SmallVector<Value> input =
                                    row.read(b, l, x, {n, c, h, index(b, l, kw)});
                                for (int64_t i = 0; i < size; ++i)
                                  for (int64_t p = 0; p < row.pieces; ++p) {
                                    Value &a = acc[(i * KW + kw) * row.pieces + p];
                                    a = vector::FMAOp::create(b, l, grads[i][p], input[p], a);
                                  }
                              }
                              scf::YieldOp::create(b, l, acc);
                            });
                        scf::YieldOp::create(b, l, rows.getResults());
                      });
                  for (int64_t i = 0; i < size; ++i)
                    for (int64_t kw = 0; kw < KW; ++kw) {
                      Value pieces = images.getResult((i * KW + kw) * row.pieces);
                      for (int64_t p = 1; p < row.pieces; ++p)
                        pieces = arith::AddFOp::create(
                            b, l, pieces, images.getResult((i * KW + kw) * row.pieces + p));
                      Value sum = vector::ReductionOp::create(b, l, vector::CombiningKind::ADD, pieces);
                      current = tensor::InsertOp::create(
                          b, l, sum, current,
                          ValueRange{index(b, l, 0), index(b, l, f0 + i), c, index(b, l, kh),
                                     index(b, l, kw)});
                    }
                }
              }
              scf::YieldOp::create(b, l, current);
            });
        return channels.getResult(0);
      });
}
