//===- ConvPool.cpp - Lower convolution, pooling and their gradients --------===//
//
// conv2d as a direct linalg.conv_2d_nchw_fchw or an im2col matmul; its input
// gradient as a matmul then col2im, its filter gradient as a direct generic
// (short windows) or a matmul over im2col columns; pooling windows, the
// argmax that max pooling records for its gradient, and the pooling
// gradients, which for windows that tile the input are one elementwise pass
// per window offset (no gathers), and otherwise gather, for each input
// element, from the windows that contain it, so no two iterations write the
// same element.
//
//===----------------------------------------------------------------------===//

#include "LoweringHelpers.h"

#include "dnnc/Conversion/ConvolutionKernels.h"
#include "dnnc/Conversion/DNNToLinalg/DNNToLinalg.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/Transforms/DialectConversion.h"

#include <limits>

using namespace mlir;
using namespace dnnc::dnn;
using namespace dnnc::lowering;

namespace {

/// A tensor of `type` (dynamic sizes from `sizes`) whose element at index i
/// is source[at(i)]. Gathers stand where a reshape or a non-permutation
/// indexing map would be folded by linalg's fusion into neighbouring ops, or
/// would not survive tiling.
Value gather(OpBuilder &b, Location loc, Value source, RankedTensorType type,
             ArrayRef<OpFoldResult> sizes,
             llvm::function_ref<SmallVector<Value>(OpBuilder &, Location, ArrayRef<Value>)> at) {
  int64_t rank = type.getRank();
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{}, ValueRange{emptyTensor(b, loc, type, sizes)},
             {b.getMultiDimIdentityMap(rank)}, parallelIterators(rank),
             [&](OpBuilder &nb, Location l, ValueRange) {
               SmallVector<Value> index;
               for (int64_t d = 0; d < rank; ++d)
                 index.push_back(linalg::IndexOp::create(nb, l, d));
               linalg::YieldOp::create(
                   nb, l, tensor::ExtractOp::create(nb, l, source, at(nb, l, index)).getResult());
             })
      .getResult(0);
}

/// The row-major flat index of `digits` over `extents`.
Value linearize(OpBuilder &b, Location loc, ArrayRef<Value> digits, ArrayRef<int64_t> extents) {
  Value flat = digits[0];
  for (size_t d = 1; d < digits.size(); ++d)
    flat = arith::AddIOp::create(
        b, loc, arith::MulIOp::create(b, loc, flat, indexConst(b, loc, extents[d])), digits[d]);
  return flat;
}

/// y[n, f, oh, ow] = sum_{c, kh, kw} w[f, c, kh, kw] x[n, c, oh s + kh, ow s + kw]
/// (+ b[f]) as one matmul, w [F, C*KH*KW] @ im2col(x) [C*KH*KW, N*OH*OW],
/// which gets the register-tiled matmul code, then one copy that puts the
/// batch first again and adds the bias.
static Value convolutionAsMatmul(OpBuilder &b, Location loc, RankedTensorType type, Value padded,
                                 Value filter, Value bias, ArrayRef<int64_t> stride) {
  MLIRContext *ctx = b.getContext();
  Type elementType = type.getElementType();
  auto filterType = tensorTypeOf(filter);
  int64_t F = filterType.getDimSize(0), C = filterType.getDimSize(1);
  int64_t KH = filterType.getDimSize(2), KW = filterType.getDimSize(3);
  int64_t OH = type.getDimSize(2), OW = type.getDimSize(3), N = type.getDimSize(0);
  int64_t columns = ShapedType::isDynamic(N) ? ShapedType::kDynamic : N * OH * OW;
  Value cols = im2colColumns(b, loc, padded, KH, KW, OH, OW, stride);
  OpFoldResult n = dimOf(b, loc, padded, 0);
  Value filterMatrix = tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({F, C * KH * KW}, elementType), filter,
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
  auto productType = RankedTensorType::get({F, columns}, elementType);
  Value init = filledTensor(b, loc, productType, {b.getIndexAttr(F), timesConstant(b, loc, n, OH * OW)},
                            floatConst(b, loc, elementType, 0.0));
  Value product = linalg::MatmulOp::create(b, loc, TypeRange{productType},
                                           ValueRange{filterMatrix, cols}, ValueRange{init})
                      .getResult(0);
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get({F, N, OH, OW}, elementType), product,
      SmallVector<ReassociationIndices>{{0}, {1, 2, 3}},
      SmallVector<OpFoldResult>{b.getIndexAttr(F), n, b.getIndexAttr(OH), b.getIndexAttr(OW)});
  auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
  SmallVector<Value> inputs = {expanded};
  SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d(1), d(0), d(2), d(3)}, ctx)};
  if (bias) {
    inputs.push_back(bias);
    maps.push_back(AffineMap::get(4, 0, {d(1)}, ctx));
  }
  maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
  Value empty = emptyTensor(b, loc, type,
                            {n, b.getIndexAttr(F), b.getIndexAttr(OH), b.getIndexAttr(OW)});
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, inputs, ValueRange{empty}, maps, parallelIterators(4),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               Value v = args[0];
               if (bias)
                 v = arith::AddFOp::create(nb, l, v, args[1]);
               linalg::YieldOp::create(nb, l, v);
             })
      .getResult(0);
}

struct Conv2dOpLowering : OpConversionPattern<Conv2dOp> {
  /// `algorithm`: the pass's `convolutions` option (auto, im2col, direct).
  Conv2dOpLowering(MLIRContext *ctx, StringRef algorithm)
      : OpConversionPattern(ctx), algorithm(algorithm.str()) {}
  std::string algorithm;

  /// Whether a convolution with static planes becomes an im2col matmul
  /// rather than linalg.conv_2d_nchw_fchw (direct code where strides are 1).
  /// The direct kernel reads each input row in place, where im2col copies
  /// the input KH*KW times and the matmul streams the copies back (LeNet-5
  /// predict at batch 256, one thread: 10 ms -> 2.6-3.1 ms). That holds in
  /// training too, even where the filter gradient builds the same columns
  /// anyway: the matmul over them took 13.9 ms per cifar_cnn step at batch
  /// 64 where the direct kernel takes 5.9 ms (step 45-48 -> 35-40 ms, 5 runs), and
  /// LeNet-5's from 5.8-6.6 to 5.3-5.9 ms (3 runs, docs/performance.md).
  bool useIm2col(Conv2dOp op) const {
    if (algorithm == "im2col")
      return true;
    return llvm::any_of(op.getStride(), [](int64_t s) { return s != 1; });
  }

  LogicalResult matchAndRewrite(Conv2dOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), op.getPadding(),
                             floatConst(rewriter, loc, elementType, 0.0));
    auto filterType = tensorTypeOf(adaptor.getFilter());
    if (filterType.hasStaticShape() &&
        llvm::none_of(tensorTypeOf(input).getShape().drop_front(), ShapedType::isDynamic) &&
        useIm2col(op)) {
      rewriter.replaceOp(op, convolutionAsMatmul(rewriter, loc, type, input, adaptor.getFilter(),
                                                 adaptor.getBias(), op.getStride()));
      return success();
    }
    SmallVector<int64_t> window(filterType.getShape().drop_front(2));
    SmallVector<OpFoldResult> sizes =
        nchwSizes(rewriter, loc, type, adaptor.getInput(), dimOf(rewriter, loc, adaptor.getFilter(), 0),
                  window, op.getStride(), op.getPadding());
    Value init;
    if (Value bias = adaptor.getBias()) {
      // Start the accumulator at the bias, broadcast over N, H and W.
      MLIRContext *ctx = rewriter.getContext();
      SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {getAffineDimExpr(1, ctx)}, ctx),
                                     rewriter.getMultiDimIdentityMap(4)};
      Value empty = emptyTensor(rewriter, loc, type, sizes);
      init = linalg::GenericOp::create(
                 rewriter, loc, TypeRange{type}, ValueRange{bias}, ValueRange{empty}, maps,
                 parallelIterators(4),
                 [](OpBuilder &b, Location l, ValueRange args) {
                   linalg::YieldOp::create(b, l, args[0]);
                 })
                 .getResult(0);
    } else {
      init = filledTensor(rewriter, loc, type, sizes, floatConst(rewriter, loc, elementType, 0));
    }
    auto conv = linalg::Conv2DNchwFchwOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{input, adaptor.getFilter()}, ValueRange{init},
        i64Vector(rewriter, op.getStride()), i64Vector(rewriter, {1, 1}));
    rewriter.replaceOp(op, conv.getResult(0));
    return success();
  }
};

template <typename OpTy, bool IsMax>
struct Pool2dLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    // Max pooling pads with -inf so that padding never wins; average pooling
    // pads with zeros that count in the mean (count_include_pad=True).
    // Windows that tile the input: one elementwise op over its strided
    // planes (vector code), not a reduction over each window.
    if (windowsTileInput(tensorTypeOf(adaptor.getInput()), type, op.getSize(), op.getStride(),
                         op.getPadding())) {
      SmallVector<OpFoldResult> sizes = nchwSizes(
          rewriter, loc, type, adaptor.getInput(), dimOf(rewriter, loc, adaptor.getInput(), 1),
          op.getSize(), op.getStride(), op.getPadding());
      rewriter.replaceOp(
          op, IsMax ? tiledWindowMaxima(rewriter, loc, adaptor.getInput(), op.getSize(), sizes).first
                    : tiledWindowMean(rewriter, loc, adaptor.getInput(), op.getSize(), sizes));
      return success();
    }
    Value padValue = IsMax ? lowestValue(rewriter, loc, elementType)
                           : floatConst(rewriter, loc, elementType, 0.0);
    Value input = padSpatial(rewriter, loc, adaptor.getInput(), op.getPadding(), padValue);
    SmallVector<OpFoldResult> sizes =
        nchwSizes(rewriter, loc, type, adaptor.getInput(), dimOf(rewriter, loc, adaptor.getInput(), 1),
                  op.getSize(), op.getStride(), op.getPadding());
    Value init = filledTensor(rewriter, loc, type, sizes, padValue);
    ArrayRef<int64_t> size = op.getSize();
    Value window = tensor::EmptyOp::create(rewriter, loc, size, elementType);
    DenseIntElementsAttr strides = i64Vector(rewriter, op.getStride());
    DenseIntElementsAttr dilations = i64Vector(rewriter, {1, 1});
    Value pooled;
    if constexpr (IsMax) {
      pooled = linalg::PoolingNchwMaxOp::create(rewriter, loc, TypeRange{type},
                                                ValueRange{input, window}, ValueRange{init},
                                                strides, dilations)
                   .getResult(0);
    } else {
      pooled = linalg::PoolingNchwSumOp::create(rewriter, loc, TypeRange{type},
                                                ValueRange{input, window}, ValueRange{init},
                                                strides, dilations)
                   .getResult(0);
      pooled = divideBy(rewriter, loc, pooled,
                        floatConst(rewriter, loc, elementType, double(size[0] * size[1])));
    }
    rewriter.replaceOp(op, pooled);
    return success();
  }
};

/// Checks that the spatial dims of the tensors of a conv/pool gradient are
/// static (the lowerings below compute offsets from them).
LogicalResult requireStaticSpatial(Operation *op, ConversionPatternRewriter &rewriter,
                                   ArrayRef<Value> tensors) {
  for (Value t : tensors) {
    auto type = tensorTypeOf(t);
    for (int64_t d = 1; d < type.getRank(); ++d)
      if (type.isDynamicDim(d))
        return rewriter.notifyMatchFailure(op, "needs static channel and spatial sizes");
  }
  return success();
}

/// Whether a filter gradient is lowered as the direct generic (over
/// (f, c, kh, kw, n, oh, ow), which dnn-tile-and-vectorize gives a direct
/// kernel) rather than as a matmul over im2col columns: unit strides,
/// static channels and planes, and a shape the direct kernels handle well
/// at the target's vector width (prefersDirectFilterGradient, the rule the
/// vectorizer's choice of kernel shares).
bool isDirectFilterGradient(Conv2dFilterGradOp op, StringRef convolutions, int64_t vectorWidth) {
  if (convolutions == "im2col" || llvm::any_of(op.getStride(), [](int64_t s) { return s != 1; }))
    return false;
  auto input = tensorTypeOf(op.getInput()), grad = tensorTypeOf(op.getGrad());
  auto type = cast<RankedTensorType>(op.getType());
  if (!type.hasStaticShape() || !type.getElementType().isF32() ||
      llvm::any_of(input.getShape().drop_front(), ShapedType::isDynamic) ||
      llvm::any_of(grad.getShape().drop_front(), ShapedType::isDynamic))
    return false;
  return dnnc::prefersDirectFilterGradient(type.getDimSize(0), type.getDimSize(1),
                                           type.getDimSize(2), type.getDimSize(3),
                                           grad.getDimSize(3), vectorWidth);
}

struct Conv2dInputGradOpLowering : OpConversionPattern<Conv2dInputGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(Conv2dInputGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    // The transpose of the forward im2col matmul: the column gradients
    // dcols [C*KH*KW, N*OH*OW] = w^T [C*KH*KW, F] @ dy' [F, N*OH*OW] (one
    // register-tiled matmul, w^T read in place), then col2im: each window
    // offset (kh, kw) adds its plane of dcols into a strided window of the
    // padded dx, a vectorized elementwise pass; the padding is cut off last.
    // (A convolution over the dilated, padded gradient with the flipped
    // filter, as before, did the same FMAs through the row-wise convolution
    // code at a tenth of the speed.)
    Location loc = op.getLoc();
    MLIRContext *ctx = rewriter.getContext();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value grad = adaptor.getGrad(), filter = adaptor.getFilter();
    if (failed(requireStaticSpatial(op, rewriter, {grad, filter, adaptor.getLike()})))
      return failure();
    auto gradType = tensorTypeOf(grad), filterType = tensorTypeOf(filter);
    ArrayRef<int64_t> stride = op.getStride(), padding = op.getPadding();
    int64_t F = filterType.getDimSize(0), C = filterType.getDimSize(1);
    int64_t KH = filterType.getDimSize(2), KW = filterType.getDimSize(3);
    int64_t H = type.getDimSize(2), W = type.getDimSize(3);
    int64_t OH = gradType.getDimSize(2), OW = gradType.getDimSize(3), N = gradType.getDimSize(0);
    int64_t columns = ShapedType::isDynamic(N) ? ShapedType::kDynamic : N * OH * OW;
    OpFoldResult n = dimOf(rewriter, loc, grad, 0);
    auto index = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
    OpFoldResult one = index(1), zeroIndex = index(0);
    Value zero = floatConst(rewriter, loc, elementType, 0.0);

    Value filterMatrix = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({F, C * KH * KW}, elementType), filter,
        SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    Value filterTransposed = linalg::TransposeOp::create(
                                 rewriter, loc, filterMatrix,
                                 emptyTensor(rewriter, loc,
                                             RankedTensorType::get({C * KH * KW, F}, elementType),
                                             {index(C * KH * KW), index(F)}),
                                 ArrayRef<int64_t>{1, 0})
                                 ->getResult(0);
    Value gradMatrix = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({F, columns}, elementType),
        swapLeadingDims(rewriter, loc, grad), SmallVector<ReassociationIndices>{{0}, {1, 2, 3}});
    auto columnsType = RankedTensorType::get({C * KH * KW, columns}, elementType);
    Value init = filledTensor(rewriter, loc, columnsType,
                              {index(C * KH * KW), timesConstant(rewriter, loc, n, OH * OW)}, zero);
    Value columnGrads = linalg::MatmulOp::create(rewriter, loc, TypeRange{columnsType},
                                             ValueRange{filterTransposed, gradMatrix},
                                             ValueRange{init})
                        .getResult(0);
    Value planes = tensor::ExpandShapeOp::create(
        rewriter, loc,
        RankedTensorType::get({C, KH, KW, N, OH, OW}, elementType), columnGrads,
        SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}},
        SmallVector<OpFoldResult>{index(C), index(KH), index(KW), n, index(OH), index(OW)});

    // col2im into dx padded on both sides (and enough for every window).
    int64_t PH = std::max(H + 2 * padding[0], (OH - 1) * stride[0] + KH);
    int64_t PW = std::max(W + 2 * padding[1], (OW - 1) * stride[1] + KW);
    auto paddedType = RankedTensorType::get({N, C, PH, PW}, elementType);
    Value padded = filledTensor(rewriter, loc, paddedType, {n, index(C), index(PH), index(PW)}, zero);
    auto windowType = RankedTensorType::get({N, C, OH, OW}, elementType);
    auto planeType = RankedTensorType::get({C, N, OH, OW}, elementType);
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps = {AffineMap::get(4, 0, {d(1), d(0), d(2), d(3)}, ctx),
                                   AffineMap::getMultiDimIdentityMap(4, ctx)};
    for (int64_t kh = 0; kh < KH; ++kh)
      for (int64_t kw = 0; kw < KW; ++kw) {
        SmallVector<OpFoldResult> windowOffsets = {zeroIndex, zeroIndex, index(kh), index(kw)};
        SmallVector<OpFoldResult> windowSizes = {n, index(C), index(OH), index(OW)};
        SmallVector<OpFoldResult> windowStrides = {one, one, index(stride[0]), index(stride[1])};
        Value window = tensor::ExtractSliceOp::create(rewriter, loc, windowType, padded,
                                                      windowOffsets, windowSizes, windowStrides);
        Value plane = tensor::ExtractSliceOp::create(
            rewriter, loc, planeType, planes,
            SmallVector<OpFoldResult>{zeroIndex, index(kh), index(kw), zeroIndex, zeroIndex,
                                      zeroIndex},
            SmallVector<OpFoldResult>{index(C), one, one, n, index(OH), index(OW)},
            SmallVector<OpFoldResult>(6, one));
        Value sum = linalg::GenericOp::create(
                        rewriter, loc, TypeRange{windowType}, ValueRange{plane},
                        ValueRange{window}, maps, parallelIterators(4),
                        [](OpBuilder &b, Location l, ValueRange args) {
                          linalg::YieldOp::create(b, l,
                                                  Value(arith::AddFOp::create(b, l, args[1], args[0])));
                        })
                        .getResult(0);
        padded = tensor::InsertSliceOp::create(rewriter, loc, sum, padded, windowOffsets,
                                               windowSizes, windowStrides);
      }
    Value result = tensor::ExtractSliceOp::create(
        rewriter, loc, type, padded,
        SmallVector<OpFoldResult>{zeroIndex, zeroIndex, index(padding[0]), index(padding[1])},
        SmallVector<OpFoldResult>{n, index(C), index(H), index(W)},
        SmallVector<OpFoldResult>(4, one));
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct Conv2dFilterGradOpLowering : OpConversionPattern<Conv2dFilterGradOp> {
  Conv2dFilterGradOpLowering(MLIRContext *ctx, StringRef convolutions, int64_t vectorWidth)
      : OpConversionPattern(ctx), convolutions(convolutions.str()), vectorWidth(vectorWidth) {}
  std::string convolutions;
  int64_t vectorWidth;

  LogicalResult matchAndRewrite(Conv2dFilterGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    if (isDirectFilterGradient(op, convolutions, vectorWidth))
      return lowerDirect(op, adaptor, rewriter);
    return lowerIm2col(op, adaptor, rewriter);
  }

  /// dw[f, c, kh, kw] = sum_{n, oh, ow} x[n, c, oh + kh, ow + kw] dy[n, f, oh, ow]
  /// as one generic over (f, c, kh, kw, n, oh, ow) on the padded input,
  /// which dnn-tile-and-vectorize recognizes (isFilterGradient) and gives
  /// a direct kernel: no im2col columns, no transpose of dy.
  LogicalResult lowerDirect(Conv2dFilterGradOp op, OpAdaptor adaptor,
                            ConversionPatternRewriter &rewriter) const {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value zero = floatConst(rewriter, loc, elementType, 0.0);
    Value padded = padSpatial(rewriter, loc, adaptor.getInput(), op.getPadding(), zero);
    MLIRContext *ctx = rewriter.getContext();
    auto d = [&](unsigned i) { return getAffineDimExpr(i, ctx); };
    SmallVector<AffineMap> maps = {AffineMap::get(7, 0, {d(4), d(1), d(5) + d(2), d(6) + d(3)}, ctx),
                                   AffineMap::get(7, 0, {d(4), d(0), d(5), d(6)}, ctx),
                                   AffineMap::get(7, 0, {d(0), d(1), d(2), d(3)}, ctx)};
    SmallVector<utils::IteratorType> iterators = parallelIterators(7);
    iterators[4] = iterators[5] = iterators[6] = utils::IteratorType::reduction;
    Value init = filledTensor(rewriter, loc, type,
                              getAsIndexOpFoldResult(ctx, type.getShape()), zero);
    auto generic = linalg::GenericOp::create(
        rewriter, loc, TypeRange{type}, ValueRange{padded, adaptor.getGrad()}, ValueRange{init},
        maps, iterators, [](OpBuilder &b, Location l, ValueRange args) {
          Value product = arith::MulFOp::create(b, l, args[0], args[1]);
          linalg::YieldOp::create(b, l, ValueRange{arith::AddFOp::create(b, l, args[2], product)});
        });
    rewriter.replaceOp(op, generic.getResult(0));
    return success();
  }

  LogicalResult lowerIm2col(Conv2dFilterGradOp op, OpAdaptor adaptor,
                            ConversionPatternRewriter &rewriter) const {
    // dw[f, c, kh, kw] = sum_{n, oh, ow} dy[n, f, oh, ow] x[n, c, oh s + kh, ow s + kw],
    // as one matmul over (n, oh, ow). As a convolution the batch would be its
    // reduction and dy its (large) filter, which the row-wise convolution
    // code handles poorly; the matmul gets register tiles.
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value input = adaptor.getInput(), grad = adaptor.getGrad();
    if (failed(requireStaticSpatial(op, rewriter, {input, grad})))
      return failure();
    Value zero = floatConst(rewriter, loc, elementType, 0.0);
    Value padded = padSpatial(rewriter, loc, input, op.getPadding(), zero);
    auto gradType = tensorTypeOf(grad);
    int64_t F = type.getDimSize(0), C = type.getDimSize(1);
    int64_t KH = type.getDimSize(2), KW = type.getDimSize(3);
    int64_t OH = gradType.getDimSize(2), OW = gradType.getDimSize(3);
    ArrayRef<int64_t> stride = op.getStride();
    OpFoldResult n = dimOf(rewriter, loc, grad, 0);
    MLIRContext *ctx = rewriter.getContext();

    // dw^T [C*KH*KW, N*OH*OW] @ dy' [N*OH*OW, F]: the im2col columns of x
    // (im2colColumns) and dy with F last, both built with vector copies.
    int64_t N = gradType.getDimSize(0);
    int64_t columns = ShapedType::isDynamic(N) ? ShapedType::kDynamic : N * OH * OW;
    auto index = [&](int64_t v) -> OpFoldResult { return rewriter.getIndexAttr(v); };
    Value colsMatrix = im2colColumns(rewriter, loc, padded, KH, KW, OH, OW, stride);

    auto gradLastType = RankedTensorType::get({N, OH, OW, F}, elementType);
    Value gradLast = linalg::TransposeOp::create(
                         rewriter, loc, grad,
                         emptyTensor(rewriter, loc, gradLastType, {n, index(OH), index(OW), index(F)}),
                         ArrayRef<int64_t>{0, 2, 3, 1})
                         ->getResult(0);
    Value gradMatrix = tensor::CollapseShapeOp::create(
        rewriter, loc, RankedTensorType::get({columns, F}, elementType), gradLast,
        SmallVector<ReassociationIndices>{{0, 1, 2}, {3}});

    auto productType = RankedTensorType::get({C * KH * KW, F}, elementType);
    Value init = filledTensor(rewriter, loc, productType,
                              getAsIndexOpFoldResult(ctx, productType.getShape()), zero);
    Value product = linalg::MatmulOp::create(rewriter, loc, TypeRange{productType},
                                             ValueRange{colsMatrix, gradMatrix}, ValueRange{init})
                        .getResult(0);
    int64_t columnExtents[3] = {C, KH, KW};
    Value result = gather(rewriter, loc, product, type, getAsIndexOpFoldResult(ctx, type.getShape()),
                          [&](OpBuilder &b, Location l, ArrayRef<Value> i) -> SmallVector<Value> {
                            return {linearize(b, l, i.drop_front(), columnExtents), i[0]};
                          });
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// For each input element (n, c, h, w) and window offset (kh, kw): whether
/// the window at (oh, ow) = ((h + p - kh) / s, (w + p - kw) / s) exists and
/// contains it, and those (clamped) window coordinates.
struct WindowOfElement {
  Value valid, oh, ow;
};

WindowOfElement windowOf(OpBuilder &b, Location loc, Value h, Value w, Value kh, Value kw,
                         ArrayRef<int64_t> stride, ArrayRef<int64_t> padding,
                         ArrayRef<int64_t> outSize) {
  Value valid;
  Value coords[2];
  Value pos[2] = {h, w}, off[2] = {kh, kw};
  Value zero = indexConst(b, loc, 0);
  for (int i = 0; i < 2; ++i) {
    Value num = arith::SubIOp::create(
        b, loc, arith::AddIOp::create(b, loc, pos[i], indexConst(b, loc, padding[i])), off[i]);
    Value nonNegative = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, num, zero);
    Value safe = arith::SelectOp::create(b, loc, nonNegative, num, zero);
    Value s = indexConst(b, loc, stride[i]);
    Value q = arith::DivUIOp::create(b, loc, safe, s);
    Value exact = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                        arith::RemUIOp::create(b, loc, safe, s), zero);
    Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, q,
                                         indexConst(b, loc, outSize[i]));
    Value ok = arith::AndIOp::create(
        b, loc, nonNegative, arith::AndIOp::create(b, loc, exact, inside));
    valid = valid ? arith::AndIOp::create(b, loc, valid, ok).getResult() : ok;
    coords[i] = arith::SelectOp::create(b, loc, ok, q, zero);
  }
  return {valid, coords[0], coords[1]};
}

/// A generic over (n, c, h, w, kh, kw) that sums, into an [N, C, H, W]
/// tensor of the type of `like`, `contribution(n, c, oh, ow, kh, kw)` of
/// every window containing (h, w).
Value gatherFromWindows(
    OpBuilder &b, Location loc, Value like, RankedTensorType type, ArrayRef<int64_t> size,
    ArrayRef<int64_t> stride, ArrayRef<int64_t> padding, ArrayRef<int64_t> outSize,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange, Value, Value, Value, Value)>
        contribution) {
  MLIRContext *ctx = b.getContext();
  Type elementType = type.getElementType();
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < 4; ++d)
    sizes.push_back(dimOf(b, loc, like, d));
  Value init = filledTensor(b, loc, type, sizes, floatConst(b, loc, elementType, 0.0));
  // The window tensor only gives the (kh, kw) loops their extent.
  Value window = tensor::EmptyOp::create(b, loc, size, elementType);
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {getAffineDimExpr(4, ctx), getAffineDimExpr(5, ctx)}, ctx),
      AffineMap::getMultiDimIdentityMap(6, ctx).getMajorSubMap(4)};
  SmallVector<utils::IteratorType> iterators = parallelIterators(6);
  iterators[4] = iterators[5] = utils::IteratorType::reduction;
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{window}, ValueRange{init}, maps, iterators,
             [&](OpBuilder &nb, Location l, ValueRange args) {
               SmallVector<Value> idx;
               for (int64_t d = 0; d < 6; ++d)
                 idx.push_back(linalg::IndexOp::create(nb, l, d));
               WindowOfElement win =
                   windowOf(nb, l, idx[2], idx[3], idx[4], idx[5], stride, padding, outSize);
               Value part = contribution(nb, l, idx, win.oh, win.ow, idx[4], idx[5]);
               Value zero = floatConst(nb, l, elementType, 0.0);
               Value add = arith::SelectOp::create(nb, l, win.valid, part, zero);
               linalg::YieldOp::create(nb, l, ValueRange{arith::AddFOp::create(nb, l, args[1], add)});
             })
      .getResult(0);
}

/// A pooling gradient when the windows tile the input (windowsTileInput:
/// LeNet's 2x2/2): every input element is in exactly one window, so for each
/// window offset (kh, kw) one elementwise pass over the windows computes
/// `element(window operands, kh * KW + kw)` into the strided window of dx at
/// (kh, kw), reading `operands` ([N, C, OH, OW] each) contiguously: no
/// gathers, no div/rem, every element of dx written once. (The general form
/// sums over every window that could contain each element; one op with a
/// result per offset would need a buffer per result and a copy of each into
/// dx.)
Value scatterToTiledWindows(
    OpBuilder &b, Location loc, ValueRange operands, RankedTensorType type, ArrayRef<int64_t> size,
    llvm::function_ref<Value(OpBuilder &, Location, ValueRange, int64_t)> element) {
  Value grad = operands.back();
  auto gradType = tensorTypeOf(grad);
  int64_t KH = size[0], KW = size[1];
  Type elementType = type.getElementType();
  SmallVector<OpFoldResult> gradSizes, inputSizes;
  for (int64_t d = 0; d < 4; ++d) {
    gradSizes.push_back(dimOf(b, loc, grad, d));
    // The batch and channels are the grad's; the plane is static.
    inputSizes.push_back(d < 2 ? gradSizes[d] : b.getIndexAttr(type.getDimSize(d)));
  }
  MLIRContext *ctx = b.getContext();
  Value dx = emptyTensor(b, loc, type, inputSizes);
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  SmallVector<OpFoldResult> windowStrides = {one, one, b.getIndexAttr(KH), b.getIndexAttr(KW)};
  auto windowType = RankedTensorType::get(gradType.getShape(), elementType);
  SmallVector<AffineMap> maps(operands.size() + 1, AffineMap::getMultiDimIdentityMap(4, ctx));
  for (int64_t kh = 0; kh < KH; ++kh)
    for (int64_t kw = 0; kw < KW; ++kw) {
      SmallVector<OpFoldResult> offsets = {zero, zero, b.getIndexAttr(kh), b.getIndexAttr(kw)};
      Value window =
          tensor::ExtractSliceOp::create(b, loc, windowType, dx, offsets, gradSizes, windowStrides);
      Value part = linalg::GenericOp::create(
                       b, loc, TypeRange{windowType}, operands, ValueRange{window}, maps,
                       parallelIterators(4),
                       [&](OpBuilder &nb, Location l, ValueRange args) {
                         linalg::YieldOp::create(
                             nb, l, element(nb, l, args.drop_back(), kh * KW + kw));
                       })
                       .getResult(0);
      dx = tensor::InsertSliceOp::create(b, loc, part, dx, offsets, gradSizes, windowStrides);
    }
  return dx;
}

/// The offset kh * KW + kw of each window's first maximum, for any windows:
/// a reduction over (kh, kw) of the padded input (ties to the lowest offset
/// whatever order the loops run in; padding, the lowest value, never beats
/// an element).
Value generalWindowArgmax(OpBuilder &b, Location loc, Value input, RankedTensorType argmaxType,
                          ArrayRef<OpFoldResult> sizes, ArrayRef<int64_t> size,
                          ArrayRef<int64_t> stride, ArrayRef<int64_t> padding) {
  MLIRContext *ctx = b.getContext();
  Type elementType = tensorTypeOf(input).getElementType();
  Value padded = padSpatial(b, loc, input, padding, lowestValue(b, loc, elementType));
  Type i32 = b.getI32Type();
  auto valuesType = RankedTensorType::get(argmaxType.getShape(), elementType);
  Value maxInit = filledTensor(b, loc, valuesType, sizes, lowestValue(b, loc, elementType));
  Value idxInit = filledTensor(b, loc, argmaxType, sizes, intConst(b, loc, i32, 0));
  Value window = tensor::EmptyOp::create(b, loc, size, elementType);
  AffineExpr n = getAffineDimExpr(0, ctx), c = getAffineDimExpr(1, ctx),
             oh = getAffineDimExpr(2, ctx), ow = getAffineDimExpr(3, ctx),
             kh = getAffineDimExpr(4, ctx), kw = getAffineDimExpr(5, ctx);
  SmallVector<AffineMap> maps = {
      AffineMap::get(6, 0, {n, c, oh * stride[0] + kh, ow * stride[1] + kw}, ctx),
      AffineMap::get(6, 0, {kh, kw}, ctx), AffineMap::get(6, 0, {n, c, oh, ow}, ctx),
      AffineMap::get(6, 0, {n, c, oh, ow}, ctx)};
  SmallVector<utils::IteratorType> iterators = parallelIterators(6);
  iterators[4] = iterators[5] = utils::IteratorType::reduction;
  int64_t KW = size[1];
  auto argmax = linalg::GenericOp::create(
      b, loc, TypeRange{valuesType, argmaxType}, ValueRange{padded, window},
      ValueRange{maxInit, idxInit}, maps, iterators,
      [&](OpBuilder &nb, Location l, ValueRange args) {
        Value x = args[0], best = args[2], bestIdx = args[3];
        Value khI = linalg::IndexOp::create(nb, l, 4), kwI = linalg::IndexOp::create(nb, l, 5);
        Value flat = arith::AddIOp::create(
            nb, l, arith::MulIOp::create(nb, l, khI, indexConst(nb, l, KW)), kwI);
        Value idx = arith::IndexCastOp::create(nb, l, i32, flat);
        Value greater = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, x, best);
        Value equal = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OEQ, x, best);
        Value earlier = arith::CmpIOp::create(nb, l, arith::CmpIPredicate::slt, idx, bestIdx);
        Value take = arith::OrIOp::create(nb, l, greater,
                                          arith::AndIOp::create(nb, l, equal, earlier));
        linalg::YieldOp::create(nb, l,
                                ValueRange{arith::SelectOp::create(nb, l, take, x, best),
                                           arith::SelectOp::create(nb, l, take, idx, bestIdx)});
      });
  return argmax.getResult(1);
}

struct MaxPool2dArgmaxOpLowering : OpConversionPattern<MaxPool2dArgmaxOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MaxPool2dArgmaxOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    Value input = adaptor.getInput();
    if (failed(requireStaticSpatial(op, rewriter, {input})))
      return failure();
    auto type = cast<RankedTensorType>(op.getType());
    ArrayRef<int64_t> size = op.getSize(), stride = op.getStride(), padding = op.getPadding();
    SmallVector<OpFoldResult> sizes = nchwSizes(rewriter, loc, type, input,
                                                dimOf(rewriter, loc, input, 1), size, stride,
                                                padding);
    // Tiling windows: the same op as the forward pooling's, which CSE merges
    // with it (one pass yields the maxima and their offsets).
    if (windowsTileInput(tensorTypeOf(input), type, size, stride, padding)) {
      rewriter.replaceOp(op, tiledWindowMaxima(rewriter, loc, input, size, sizes).second);
      return success();
    }
    rewriter.replaceOp(op, generalWindowArgmax(rewriter, loc, input, type, sizes, size, stride,
                                               padding));
    return success();
  }
};

struct MaxPool2dArgmaxGradOpLowering : OpConversionPattern<MaxPool2dArgmaxGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(MaxPool2dArgmaxGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value argmax = adaptor.getArgmax(), grad = adaptor.getGrad();
    if (failed(requireStaticSpatial(op, rewriter, {grad})))
      return failure();
    for (int64_t d = 2; d < 4; ++d)
      if (type.isDynamicDim(d))
        return rewriter.notifyMatchFailure(op, "the input's plane must be static");
    ArrayRef<int64_t> size = op.getSize(), stride = op.getStride(), padding = op.getPadding();
    auto gradType = tensorTypeOf(grad);
    if (windowsTileInput(type, gradType, size, stride, padding)) {
      // dy where the window's maximum is at this offset, else 0.
      Type i32 = rewriter.getI32Type();
      rewriter.replaceOp(
          op, scatterToTiledWindows(
                  rewriter, loc, {argmax, grad}, type, size,
                  [&](OpBuilder &b, Location l, ValueRange args, int64_t offset) -> Value {
                    Value mine = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, args[0],
                                                       intConst(b, l, i32, offset));
                    return arith::SelectOp::create(b, l, mine, args[1],
                                                   floatConst(b, l, elementType, 0.0));
                  }));
      return success();
    }
    // Each input element gathers the gradient of the windows whose maximum
    // it is. The result's batch is the grad's (the input is not read).
    int64_t outSize[2] = {gradType.getDimSize(2), gradType.getDimSize(3)};
    SmallVector<OpFoldResult> inputSizes = {dimOf(rewriter, loc, grad, 0),
                                            dimOf(rewriter, loc, grad, 1)};
    for (int64_t d = 2; d < 4; ++d)
      inputSizes.push_back(rewriter.getIndexAttr(type.getDimSize(d)));
    Value like = emptyTensor(rewriter, loc, type, inputSizes);
    int64_t KW = size[1];
    Type i32 = rewriter.getI32Type();
    Value result = gatherFromWindows(
        rewriter, loc, like, type, size, stride, padding, outSize,
        [&](OpBuilder &b, Location l, ValueRange idx, Value wh, Value ww, Value khI,
            Value kwI) -> Value {
          Value at[4] = {idx[0], idx[1], wh, ww};
          Value best = tensor::ExtractOp::create(b, l, argmax, at);
          Value flat = arith::AddIOp::create(
              b, l, arith::MulIOp::create(b, l, khI, indexConst(b, l, KW)), kwI);
          Value mine = arith::CmpIOp::create(b, l, arith::CmpIPredicate::eq, best,
                                             arith::IndexCastOp::create(b, l, i32, flat));
          Value g = tensor::ExtractOp::create(b, l, grad, at);
          return arith::SelectOp::create(b, l, mine, g, floatConst(b, l, elementType, 0.0));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct AvgPool2dGradOpLowering : OpConversionPattern<AvgPool2dGradOp> {
  using OpConversionPattern::OpConversionPattern;
  LogicalResult matchAndRewrite(AvgPool2dGradOp op, OpAdaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    Location loc = op.getLoc();
    auto type = cast<RankedTensorType>(op.getType());
    Type elementType = type.getElementType();
    Value grad = adaptor.getGrad();
    if (failed(requireStaticSpatial(op, rewriter, {grad, adaptor.getLike()})))
      return failure();
    ArrayRef<int64_t> size = op.getSize();
    auto gradType = tensorTypeOf(grad);
    int64_t outSize[2] = {gradType.getDimSize(2), gradType.getDimSize(3)};
    double scale = 1.0 / double(size[0] * size[1]);
    if (windowsTileInput(type, gradType, size, op.getStride(), op.getPadding())) {
      // Each element gets its window's dy / (KH * KW).
      rewriter.replaceOp(
          op, scatterToTiledWindows(rewriter, loc, {grad}, type, size,
                                    [&](OpBuilder &b, Location l, ValueRange args, int64_t) {
                                      return arith::MulFOp::create(
                                                 b, l, args[0],
                                                 floatConst(b, l, elementType, scale))
                                          .getResult();
                                    }));
      return success();
    }
    Value result = gatherFromWindows(
        rewriter, loc, adaptor.getLike(), type, size, op.getStride(), op.getPadding(), outSize,
        [&](OpBuilder &b, Location l, ValueRange idx, Value wh, Value ww, Value, Value) -> Value {
          Value at[4] = {idx[0], idx[1], wh, ww};
          Value g = tensor::ExtractOp::create(b, l, grad, at);
          return arith::MulFOp::create(b, l, g, floatConst(b, l, elementType, scale));
        });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace

void dnnc::lowering::populateConvPoolLoweringPatterns(RewritePatternSet &patterns,
                                                       StringRef convolutions,
                                                       int64_t vectorWidth) {
  patterns.add<Pool2dLowering<MaxPool2dOp, true>, Pool2dLowering<AvgPool2dOp, false>,
               Conv2dInputGradOpLowering, MaxPool2dArgmaxOpLowering,
               MaxPool2dArgmaxGradOpLowering, AvgPool2dGradOpLowering>(patterns.getContext());
  patterns.add<Conv2dOpLowering>(patterns.getContext(), convolutions);
  patterns.add<Conv2dFilterGradOpLowering>(patterns.getContext(), convolutions, vectorWidth);
}
