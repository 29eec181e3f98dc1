//===- LoweringHelpers.h - Building blocks of the dnn -> linalg lowering -*- C++ -*-===//
//
// Shared by the op families' lowerings (DNNToLinalg.h): tensors of given
// sizes, broadcasting elementwise generics, reductions, NCHW helpers.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_CONVERSION_DNNTOLINALG_LOWERINGHELPERS_H
#define DNNC_CONVERSION_DNNTOLINALG_LOWERINGHELPERS_H

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/IR/AffineMap.h"
#include "mlir/IR/Builders.h"
#include "mlir/Transforms/DialectConversion.h"

namespace dnnc::lowering {
using namespace mlir;

using BodyFn = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;
RankedTensorType tensorTypeOf(Value v);

bool isFloat(Type t);

Value floatConst(OpBuilder &b, Location loc, Type type, double value);

Value intConst(OpBuilder &b, Location loc, Type type, int64_t value);

Value indexConst(OpBuilder &b, Location loc, int64_t value);

/// An empty tensor of `type`, taking each dynamic size from `sizes`.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> sizes);

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<OpFoldResult> sizes, Value fill);

OpFoldResult dimOf(OpBuilder &b, Location loc, Value tensor, int64_t i);

/// The number of elements of `tensor` over `axes`, as a float of `type`.
Value countAsFloat(OpBuilder &b, Location loc, Value tensor, ArrayRef<int64_t> axes,
                   Type type);

SmallVector<utils::IteratorType> parallelIterators(int64_t n);

/// A map from `rank` loop dims to an operand of `operandShape`, aligned to the
/// right (numpy broadcasting): size-1 dims that the result widens read index 0.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape);

/// The sizes of a broadcast result: static ones from its type, dynamic ones
/// from an operand that has that dimension unbroadcast.
SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                         RankedTensorType resultType, ValueRange operands);

/// An elementwise linalg.generic over `operands` broadcast to `resultType`.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange operands, BodyFn body);

/// Map from the loop dims of `input` to a tensor with `axes` dropped.
AffineMap droppingAxesMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes);

/// The shape and sizes of `input` with `axes` dropped.
RankedTensorType droppedType(RankedTensorType type, ArrayRef<int64_t> axes, Type elementType);

SmallVector<OpFoldResult> droppedSizes(OpBuilder &b, Location loc, Value input,
                                       ArrayRef<int64_t> axes);

/// Reduces `operands` (all of the shape of operands[0]) over `axes` with
/// `combine(acc, elements...)`, starting from `init`. The result has `axes`
/// dropped; extra operands of smaller rank must already be mapped by `maps`.
Value buildReduction(OpBuilder &b, Location loc, ValueRange operands,
                     ArrayRef<AffineMap> operandMaps, ArrayRef<int64_t> axes, Value init,
                     llvm::function_ref<Value(OpBuilder &, Location, Value, ValueRange)> combine);

Value reduceOver(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, Value init,
                 llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine);

Value addValues(OpBuilder &b, Location loc, Value x, Value y);

SmallVector<int64_t> allAxes(int64_t rank);

/// `tensor / divisor` elementwise, for a float scalar `divisor`.
Value divideBy(OpBuilder &b, Location loc, Value tensor, Value divisor);

/// Sums `input` over every axis into a 0-d tensor and divides by `count`.
Value meanOfAll(OpBuilder &b, Location loc, Value input);

/// Applies `body(x, r...)` elementwise, where each r is one of `reduced`
/// (the input with `axis` dropped) broadcast back along `axis`.
Value combineWithReduced(OpBuilder &b, Location loc, Value input, ValueRange reduced,
                         int64_t axis, BodyFn body);

Value maxValues(OpBuilder &b, Location loc, Value x, Value y);

Value minValues(OpBuilder &b, Location loc, Value x, Value y);

Value lowestValue(OpBuilder &b, Location loc, Type type);

Value highestValue(OpBuilder &b, Location loc, Type type);

/// Row statistics for a numerically stable softmax over `axis`: the maximum
/// m and s = sum(exp(x - m)), both with `axis` dropped.
std::pair<Value, Value> softmaxStatistics(OpBuilder &b, Location loc, Value input, int64_t axis);

/// log-sum-exp over `axis` = m + log(s).
Value logSumExp(OpBuilder &b, Location loc, Value input, int64_t axis);

int64_t normalizeAxis(int64_t axis, int64_t rank);

/// Argmax over `axis` as (value, index) reductions; ties go to the lowest
/// index whatever order the loops run in.
Value buildArgmax(OpBuilder &b, Location loc, Value input, int64_t axis, Type indexType);

/// Pads the two spatial dims of an NCHW tensor by `padding` with `value`.
Value padSpatial(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> padding,
                 Value value);

DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> values);

/// Whether pooling windows of `size` tile an NCHW `input` exactly into
/// `pooled`: stride = size, no padding, every element in one window
/// (LeNet's 2x2/2).
bool windowsTileInput(RankedTensorType input, RankedTensorType pooled, ArrayRef<int64_t> size,
                      ArrayRef<int64_t> stride, ArrayRef<int64_t> padding);

/// For windows that tile `input` (windowsTileInput), of pooled sizes
/// `sizes`: each window's maximum and the offset kh * KW + kw of its first
/// maximum, from one elementwise op over the KH * KW strided planes
/// x[n, c, oh * KH + kh, ow * KW + kw] (no gathers: vector code). maxpool2d
/// and maxpool2d_argmax both lower to this op, so that CSE makes one pass of
/// them.
std::pair<Value, Value> tiledWindowMaxima(OpBuilder &b, Location loc, Value input,
                                          ArrayRef<int64_t> size, ArrayRef<OpFoldResult> sizes);

/// For windows that tile `input`, each window's mean, from one elementwise op
/// over the strided planes (summed in window order, then divided by KH * KW,
/// as avgpool2d's general form computes it).
Value tiledWindowMean(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> size,
                      ArrayRef<OpFoldResult> sizes);

/// gelu's tanh form: tanh(kTanhGeluScale (x + kTanhGeluCubic x^3)).
constexpr double kTanhGeluScale = 0.7978845608028654; // sqrt(2 / pi)
constexpr double kTanhGeluCubic = 0.044715;

/// kTanhGeluScale (x + kTanhGeluCubic x^3): the argument of tanh in gelu's
/// tanh form (forward and gradient).
Value tanhGeluArgument(OpBuilder &b, Location loc, Value x);

/// The im2col matrix of a padded NCHW tensor (C static) for a KH x KW window
/// with `stride` and an OH x OW output: [C*KH*KW, N*OH*OW], row (c, kh, kw),
/// column (n, oh, ow). Built from one strided window of the input per
/// (kh, kw), copied (n and c swapped) along whole rows of ow, so the copies
/// vectorize; no per-element gathers.
Value im2colColumns(OpBuilder &b, Location loc, Value padded, int64_t KH, int64_t KW, int64_t OH,
                    int64_t OW, ArrayRef<int64_t> stride);

/// n * factor, folded when n is a constant. (Sizes derived from the batch
/// this way, not read off a reshaped temporary, stay plannable by
/// dnn-plan-workspace.)
OpFoldResult timesConstant(OpBuilder &b, Location loc, OpFoldResult n, int64_t factor);

/// `t` [N, A, ...] with its first two dims swapped, copied: [A, N, ...].
Value swapLeadingDims(OpBuilder &b, Location loc, Value t);

/// Sizes of an NCHW result: N from `input`, channels from `channels` (the
/// input for pooling, the filter's F for convolution) and each spatial size
/// (H + 2p - k) / s + 1, folded when static.
SmallVector<OpFoldResult> nchwSizes(OpBuilder &b, Location loc, RankedTensorType type, Value input,
                                    OpFoldResult channels, ArrayRef<int64_t> window,
                                    ArrayRef<int64_t> stride, ArrayRef<int64_t> padding);

/// Lowers an elementwise op to one broadcasting generic (buildElementwise)
/// over all its operands, whose body `element` computes one result element.
template <typename OpTy>
struct ElementwiseLowering : OpConversionPattern<OpTy> {
  using OpConversionPattern<OpTy>::OpConversionPattern;
  virtual Value element(OpTy op, OpBuilder &b, Location loc, ValueRange xs) const = 0;
  LogicalResult matchAndRewrite(OpTy op, typename OpTy::Adaptor adaptor,
                                ConversionPatternRewriter &rewriter) const override {
    auto type = cast<RankedTensorType>(op.getType());
    Value result = buildElementwise(rewriter, op.getLoc(), type, adaptor.getOperands(),
                                    [&](OpBuilder &b, Location loc, ValueRange xs) {
                                      return element(op, b, loc, xs);
                                    });
    rewriter.replaceOp(op, result);
    return success();
  }
};

} // namespace dnnc::lowering

#endif // DNNC_CONVERSION_DNNTOLINALG_LOWERINGHELPERS_H
