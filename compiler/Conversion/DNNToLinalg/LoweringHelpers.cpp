//===- LoweringHelpers.cpp - Building blocks of the dnn -> linalg lowering ===//

#include "LoweringHelpers.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

#include <limits>

using namespace mlir;

namespace dnnc::lowering {


//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

RankedTensorType tensorTypeOf(Value v) { return cast<RankedTensorType>(v.getType()); }

bool isFloat(Type t) { return isa<FloatType>(getElementTypeOrSelf(t)); }

Value floatConst(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
}

Value intConst(OpBuilder &b, Location loc, Type type, int64_t value) {
  return arith::ConstantOp::create(b, loc, type, b.getIntegerAttr(type, value));
}

Value indexConst(OpBuilder &b, Location loc, int64_t value) {
  return arith::ConstantIndexOp::create(b, loc, value);
}

/// An empty tensor of `type`, taking each dynamic size from `sizes`.
Value emptyTensor(OpBuilder &b, Location loc, RankedTensorType type,
                  ArrayRef<OpFoldResult> sizes) {
  SmallVector<Value> dynamic;
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    if (ShapedType::isDynamic(d))
      dynamic.push_back(getValueOrCreateConstantIndexOp(b, loc, sizes[i]));
  return tensor::EmptyOp::create(b, loc, type, dynamic);
}

Value filledTensor(OpBuilder &b, Location loc, RankedTensorType type,
                   ArrayRef<OpFoldResult> sizes, Value fill) {
  Value empty = emptyTensor(b, loc, type, sizes);
  return linalg::FillOp::create(b, loc, ValueRange{fill}, ValueRange{empty}).getResult(0);
}

OpFoldResult dimOf(OpBuilder &b, Location loc, Value tensor, int64_t i) {
  return tensor::getMixedSize(b, loc, tensor, i);
}

/// The number of elements of `tensor` over `axes`, as a float of `type`.
Value countAsFloat(OpBuilder &b, Location loc, Value tensor, ArrayRef<int64_t> axes,
                   Type type) {
  int64_t staticCount = 1;
  Value dynamicCount;
  auto shape = tensorTypeOf(tensor).getShape();
  for (int64_t axis : axes) {
    if (!ShapedType::isDynamic(shape[axis])) {
      staticCount *= shape[axis];
      continue;
    }
    Value d = tensor::DimOp::create(b, loc, tensor, axis);
    dynamicCount = dynamicCount ? arith::MulIOp::create(b, loc, dynamicCount, d).getResult() : d;
  }
  Value count = indexConst(b, loc, staticCount);
  if (dynamicCount)
    count = arith::MulIOp::create(b, loc, count, dynamicCount);
  Value asInt = arith::IndexCastOp::create(b, loc, b.getI64Type(), count);
  return arith::SIToFPOp::create(b, loc, type, asInt);
}

SmallVector<utils::IteratorType> parallelIterators(int64_t n) {
  return SmallVector<utils::IteratorType>(n, utils::IteratorType::parallel);
}

/// A map from `rank` loop dims to an operand of `operandShape`, aligned to the
/// right (numpy broadcasting): size-1 dims that the result widens read index 0.
AffineMap broadcastMap(MLIRContext *ctx, ArrayRef<int64_t> operandShape,
                       ArrayRef<int64_t> resultShape) {
  int64_t rank = resultShape.size(), offset = rank - operandShape.size();
  SmallVector<AffineExpr> exprs;
  for (auto [j, d] : llvm::enumerate(operandShape)) {
    int64_t r = resultShape[offset + j];
    if (d == 1 && r != 1)
      exprs.push_back(getAffineConstantExpr(0, ctx));
    else
      exprs.push_back(getAffineDimExpr(offset + j, ctx));
  }
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// The sizes of a broadcast result: static ones from its type, dynamic ones
/// from an operand that has that dimension unbroadcast.
SmallVector<OpFoldResult> broadcastSizes(OpBuilder &b, Location loc,
                                         RankedTensorType resultType, ValueRange operands) {
  int64_t rank = resultType.getRank();
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0; i < rank; ++i) {
    if (!resultType.isDynamicDim(i)) {
      sizes.push_back(b.getIndexAttr(resultType.getDimSize(i)));
      continue;
    }
    OpFoldResult size;
    for (Value operand : operands) {
      auto shape = tensorTypeOf(operand).getShape();
      int64_t j = i - (rank - (int64_t)shape.size());
      if (j >= 0 && shape[j] != 1) {
        size = dimOf(b, loc, operand, j);
        break;
      }
    }
    sizes.push_back(size ? size : b.getIndexAttr(1));
  }
  return sizes;
}

/// An elementwise linalg.generic over `operands` broadcast to `resultType`.
Value buildElementwise(OpBuilder &b, Location loc, RankedTensorType resultType,
                       ValueRange operands, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  SmallVector<AffineMap> maps;
  for (Value operand : operands)
    maps.push_back(broadcastMap(ctx, tensorTypeOf(operand).getShape(), resultType.getShape()));
  maps.push_back(b.getMultiDimIdentityMap(resultType.getRank()));
  Value init = emptyTensor(b, loc, resultType, broadcastSizes(b, loc, resultType, operands));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, operands, ValueRange{init}, maps,
      parallelIterators(resultType.getRank()),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = body(nb, nloc, args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

/// Map from the loop dims of `input` to a tensor with `axes` dropped.
AffineMap droppingAxesMap(MLIRContext *ctx, int64_t rank, ArrayRef<int64_t> axes) {
  SmallVector<AffineExpr> exprs;
  for (int64_t i = 0; i < rank; ++i)
    if (!llvm::is_contained(axes, i))
      exprs.push_back(getAffineDimExpr(i, ctx));
  return AffineMap::get(rank, 0, exprs, ctx);
}

/// The shape and sizes of `input` with `axes` dropped.
RankedTensorType droppedType(RankedTensorType type, ArrayRef<int64_t> axes, Type elementType) {
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(type.getShape()))
    if (!llvm::is_contained(axes, (int64_t)i))
      shape.push_back(d);
  return RankedTensorType::get(shape, elementType);
}

SmallVector<OpFoldResult> droppedSizes(OpBuilder &b, Location loc, Value input,
                                       ArrayRef<int64_t> axes) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t i = 0, e = tensorTypeOf(input).getRank(); i < e; ++i)
    if (!llvm::is_contained(axes, i))
      sizes.push_back(dimOf(b, loc, input, i));
  return sizes;
}

/// Reduces `operands` (all of the shape of operands[0]) over `axes` with
/// `combine(acc, elements...)`, starting from `init`. The result has `axes`
/// dropped; extra operands of smaller rank must already be mapped by `maps`.
Value buildReduction(OpBuilder &b, Location loc, ValueRange operands,
                     ArrayRef<AffineMap> operandMaps, ArrayRef<int64_t> axes, Value init,
                     llvm::function_ref<Value(OpBuilder &, Location, Value, ValueRange)> combine) {
  MLIRContext *ctx = b.getContext();
  Value shaped = operands.front();
  int64_t rank = tensorTypeOf(shaped).getRank();
  RankedTensorType resultType = droppedType(tensorTypeOf(shaped), axes, init.getType());
  Value acc = filledTensor(b, loc, resultType, droppedSizes(b, loc, shaped, axes), init);
  SmallVector<AffineMap> maps(operandMaps);
  maps.push_back(droppingAxesMap(ctx, rank, axes));
  SmallVector<utils::IteratorType> iterators = parallelIterators(rank);
  for (int64_t axis : axes)
    iterators[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{resultType}, operands, ValueRange{acc}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value result = combine(nb, nloc, args.back(), args.drop_back());
        linalg::YieldOp::create(nb, nloc, result);
      });
  return generic.getResult(0);
}

Value reduceOver(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> axes, Value init,
                 llvm::function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
  int64_t rank = tensorTypeOf(input).getRank();
  return buildReduction(b, loc, input, b.getMultiDimIdentityMap(rank), axes, init,
                        [&](OpBuilder &nb, Location nloc, Value acc, ValueRange xs) {
                          return combine(nb, nloc, acc, xs[0]);
                        });
}

Value addValues(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::AddFOp::create(b, loc, x, y).getResult()
                              : arith::AddIOp::create(b, loc, x, y).getResult();
}

SmallVector<int64_t> allAxes(int64_t rank) {
  return llvm::to_vector(llvm::seq<int64_t>(0, rank));
}

/// `tensor / divisor` elementwise, for a float scalar `divisor`.
Value divideBy(OpBuilder &b, Location loc, Value tensor, Value divisor) {
  return buildElementwise(b, loc, tensorTypeOf(tensor), tensor,
                          [&](OpBuilder &nb, Location nloc, ValueRange xs) {
                            return arith::DivFOp::create(nb, nloc, xs[0], divisor);
                          });
}

/// Sums `input` over every axis into a 0-d tensor and divides by `count`.
Value meanOfAll(OpBuilder &b, Location loc, Value input) {
  auto type = tensorTypeOf(input);
  Type elementType = type.getElementType();
  int64_t rank = type.getRank();
  SmallVector<int64_t> axes = allAxes(rank);
  Value zero = floatConst(b, loc, elementType, 0.0);
  Value sum;
  if (rank >= 2) {
    // Each row first, then the row sums: one running f32 sum over N*784
    // values loses about 3 digits at N = 1024, two levels keep the error
    // near that of the longer level (and the rows sum in parallel).
    Value rows = reduceOver(b, loc, input, llvm::to_vector(llvm::seq<int64_t>(1, rank)), zero,
                            addValues);
    sum = reduceOver(b, loc, rows, {0}, zero, addValues);
  } else {
    sum = reduceOver(b, loc, input, axes, zero, addValues);
  }
  return divideBy(b, loc, sum, countAsFloat(b, loc, input, axes, elementType));
}

/// Applies `body(x, r...)` elementwise, where each r is one of `reduced`
/// (the input with `axis` dropped) broadcast back along `axis`.
Value combineWithReduced(OpBuilder &b, Location loc, Value input, ValueRange reduced,
                         int64_t axis, BodyFn body) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorTypeOf(input);
  int64_t rank = type.getRank();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank)};
  maps.append(reduced.size(), droppingAxesMap(ctx, rank, {axis}));
  maps.push_back(b.getMultiDimIdentityMap(rank));
  SmallVector<Value> operands = {input};
  llvm::append_range(operands, reduced);
  Value init = emptyTensor(b, loc, type, tensor::getMixedSizes(b, loc, input));
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{type}, operands, ValueRange{init}, maps, parallelIterators(rank),
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        linalg::YieldOp::create(nb, nloc, body(nb, nloc, args.drop_back()));
      });
  return generic.getResult(0);
}

Value maxValues(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::MaximumFOp::create(b, loc, x, y).getResult()
                              : arith::MaxSIOp::create(b, loc, x, y).getResult();
}

Value minValues(OpBuilder &b, Location loc, Value x, Value y) {
  return isFloat(x.getType()) ? arith::MinimumFOp::create(b, loc, x, y).getResult()
                              : arith::MinSIOp::create(b, loc, x, y).getResult();
}

Value lowestValue(OpBuilder &b, Location loc, Type type) {
  if (isFloat(type))
    return floatConst(b, loc, type, -std::numeric_limits<double>::infinity());
  return intConst(b, loc, type, std::numeric_limits<int32_t>::min());
}

Value highestValue(OpBuilder &b, Location loc, Type type) {
  if (isFloat(type))
    return floatConst(b, loc, type, std::numeric_limits<double>::infinity());
  return intConst(b, loc, type, std::numeric_limits<int32_t>::max());
}

/// Row statistics for a numerically stable softmax over `axis`: the maximum
/// m and s = sum(exp(x - m)), both with `axis` dropped.
std::pair<Value, Value> softmaxStatistics(OpBuilder &b, Location loc, Value input, int64_t axis) {
  Type elementType = tensorTypeOf(input).getElementType();
  Value max = reduceOver(b, loc, input, {axis}, lowestValue(b, loc, elementType), maxValues);
  int64_t rank = tensorTypeOf(input).getRank();
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 droppingAxesMap(b.getContext(), rank, {axis})};
  Value sum = buildReduction(
      b, loc, ValueRange{input, max}, maps, {axis}, floatConst(b, loc, elementType, 0.0),
      [](OpBuilder &nb, Location nloc, Value acc, ValueRange xs) {
        Value shifted = arith::SubFOp::create(nb, nloc, xs[0], xs[1]);
        Value e = math::ExpOp::create(nb, nloc, shifted);
        return arith::AddFOp::create(nb, nloc, acc, e).getResult();
      });
  return {max, sum};
}

/// log-sum-exp over `axis` = m + log(s).
Value logSumExp(OpBuilder &b, Location loc, Value input, int64_t axis) {
  auto [max, sum] = softmaxStatistics(b, loc, input, axis);
  return buildElementwise(b, loc, tensorTypeOf(max), ValueRange{max, sum},
                          [](OpBuilder &nb, Location nloc, ValueRange xs) {
                            Value log = math::LogOp::create(nb, nloc, xs[1]);
                            return arith::AddFOp::create(nb, nloc, xs[0], log).getResult();
                          });
}

int64_t normalizeAxis(int64_t axis, int64_t rank) { return axis < 0 ? axis + rank : axis; }

/// Argmax over `axis` as (value, index) reductions; ties go to the lowest
/// index whatever order the loops run in.
Value buildArgmax(OpBuilder &b, Location loc, Value input, int64_t axis, Type indexType) {
  MLIRContext *ctx = b.getContext();
  auto type = tensorTypeOf(input);
  int64_t rank = type.getRank();
  Type elementType = type.getElementType();
  SmallVector<OpFoldResult> sizes = droppedSizes(b, loc, input, {axis});
  Value values = filledTensor(b, loc, droppedType(type, {axis}, elementType), sizes,
                              lowestValue(b, loc, elementType));
  Value indices = filledTensor(b, loc, droppedType(type, {axis}, indexType), sizes,
                               intConst(b, loc, indexType, 0));
  SmallVector<AffineMap> maps = {b.getMultiDimIdentityMap(rank),
                                 droppingAxesMap(ctx, rank, {axis}),
                                 droppingAxesMap(ctx, rank, {axis})};
  SmallVector<utils::IteratorType> iterators = parallelIterators(rank);
  iterators[axis] = utils::IteratorType::reduction;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{values.getType(), indices.getType()}, ValueRange{input},
      ValueRange{values, indices}, maps, iterators,
      [&](OpBuilder &nb, Location nloc, ValueRange args) {
        Value x = args[0], best = args[1], bestIndex = args[2];
        Value i = linalg::IndexOp::create(nb, nloc, axis);
        Value index = arith::IndexCastOp::create(nb, nloc, indexType, i);
        Value greater, equal;
        if (isFloat(elementType)) {
          greater = arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OGT, x, best);
          equal = arith::CmpFOp::create(nb, nloc, arith::CmpFPredicate::OEQ, x, best);
        } else {
          greater = arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::sgt, x, best);
          equal = arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::eq, x, best);
        }
        Value earlier =
            arith::CmpIOp::create(nb, nloc, arith::CmpIPredicate::slt, index, bestIndex);
        Value tieEarlier = arith::AndIOp::create(nb, nloc, equal, earlier);
        Value take = arith::OrIOp::create(nb, nloc, greater, tieEarlier);
        Value newBest = arith::SelectOp::create(nb, nloc, take, x, best);
        Value newIndex = arith::SelectOp::create(nb, nloc, take, index, bestIndex);
        linalg::YieldOp::create(nb, nloc, ValueRange{newBest, newIndex});
      });
  return generic.getResult(1);
}


/// Pads the two spatial dims of an NCHW tensor by `padding` with `value`.
bool windowsTileInput(RankedTensorType input, RankedTensorType pooled, ArrayRef<int64_t> size,
                      ArrayRef<int64_t> stride, ArrayRef<int64_t> padding) {
  if (input.getRank() != 4 || pooled.getRank() != 4 || size[0] * size[1] > 64)
    return false;
  for (int i = 0; i < 2; ++i)
    if (stride[i] != size[i] || padding[i] != 0 || input.isDynamicDim(2 + i) ||
        pooled.isDynamicDim(2 + i) || input.getDimSize(2 + i) != pooled.getDimSize(2 + i) * size[i])
      return false;
  return true;
}

/// The KH * KW strided planes x[n, c, oh * KH + kh, ow * KW + kw] of an NCHW
/// tensor whose windows tile it, in row-major window order.
static SmallVector<Value> tiledWindowPlanes(OpBuilder &b, Location loc, Value input,
                                            RankedTensorType planeType, ArrayRef<int64_t> size,
                                            ArrayRef<OpFoldResult> sizes) {
  int64_t KH = size[0], KW = size[1];
  SmallVector<Value> planes;
  for (int64_t kh = 0; kh < KH; ++kh)
    for (int64_t kw = 0; kw < KW; ++kw)
      planes.push_back(tensor::ExtractSliceOp::create(
          b, loc, planeType, input,
          SmallVector<OpFoldResult>{b.getIndexAttr(0), b.getIndexAttr(0), b.getIndexAttr(kh),
                                    b.getIndexAttr(kw)},
          sizes,
          SmallVector<OpFoldResult>{b.getIndexAttr(1), b.getIndexAttr(1), b.getIndexAttr(KH),
                                    b.getIndexAttr(KW)}));
  return planes;
}

static SmallVector<int64_t> staticShape(ArrayRef<OpFoldResult> sizes) {
  SmallVector<int64_t> shape;
  for (OpFoldResult d : sizes)
    shape.push_back(getConstantIntValue(d).value_or(ShapedType::kDynamic));
  return shape;
}

Value tiledWindowMean(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> size,
                      ArrayRef<OpFoldResult> sizes) {
  Type elementType = tensorTypeOf(input).getElementType();
  auto type = RankedTensorType::get(staticShape(sizes), elementType);
  SmallVector<Value> planes = tiledWindowPlanes(b, loc, input, type, size, sizes);
  SmallVector<AffineMap> maps(planes.size() + 1, b.getMultiDimIdentityMap(4));
  Value count = floatConst(b, loc, elementType, double(size[0] * size[1]));
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, planes, ValueRange{emptyTensor(b, loc, type, sizes)}, maps,
             parallelIterators(4),
             [&](OpBuilder &nb, Location l, ValueRange args) {
               // Summed in window order, as pooling_nchw_sum does, then
               // divided by the window size.
               Value sum = args[0];
               for (size_t k = 1; k < planes.size(); ++k)
                 sum = arith::AddFOp::create(nb, l, sum, args[k]);
               linalg::YieldOp::create(nb, l, arith::DivFOp::create(nb, l, sum, count).getResult());
             })
      .getResult(0);
}

std::pair<Value, Value> tiledWindowMaxima(OpBuilder &b, Location loc, Value input,
                                          ArrayRef<int64_t> size, ArrayRef<OpFoldResult> sizes) {
  int64_t KH = size[0], KW = size[1];
  Type elementType = tensorTypeOf(input).getElementType();
  Type i32 = b.getI32Type();
  SmallVector<int64_t> pooledShape = staticShape(sizes);
  auto valuesType = RankedTensorType::get(pooledShape, elementType);
  auto argmaxType = RankedTensorType::get(pooledShape, i32);
  SmallVector<Value> planes = tiledWindowPlanes(b, loc, input, valuesType, size, sizes);
  SmallVector<AffineMap> maps(planes.size() + 2, b.getMultiDimIdentityMap(4));
  // The offsets are constants outside the body: CSE replaces constants in a
  // body with equal ones in scope, which would make the bodies of the two
  // lowerings differ.
  SmallVector<Value> offsets;
  for (int64_t k = 0; k < KH * KW; ++k)
    offsets.push_back(intConst(b, loc, i32, k));
  auto op = linalg::GenericOp::create(
      b, loc, TypeRange{valuesType, argmaxType}, planes,
      ValueRange{emptyTensor(b, loc, valuesType, sizes), emptyTensor(b, loc, argmaxType, sizes)},
      maps, parallelIterators(4), [&](OpBuilder &nb, Location l, ValueRange args) {
        // The maximum as maxpool2d computes it (NaN propagates); the offset
        // of the first element strictly greater than all before it.
        Value maximum = args[0], best = args[0], bestIdx = offsets[0];
        for (int64_t k = 1; k < KH * KW; ++k) {
          maximum = arith::MaximumFOp::create(nb, l, maximum, args[k]);
          Value greater = arith::CmpFOp::create(nb, l, arith::CmpFPredicate::OGT, args[k], best);
          best = arith::SelectOp::create(nb, l, greater, args[k], best);
          bestIdx = arith::SelectOp::create(nb, l, greater, offsets[k], bestIdx);
        }
        linalg::YieldOp::create(nb, l, ValueRange{maximum, bestIdx});
      });
  return {op.getResult(0), op.getResult(1)};
}

Value padSpatial(OpBuilder &b, Location loc, Value input, ArrayRef<int64_t> padding,
                 Value value) {
  if (llvm::all_of(padding, [](int64_t p) { return p == 0; }))
    return input;
  auto type = tensorTypeOf(input);
  SmallVector<int64_t> shape(type.getShape());
  for (int i = 0; i < 2; ++i)
    if (!ShapedType::isDynamic(shape[2 + i]))
      shape[2 + i] += 2 * padding[i];
  auto paddedType = RankedTensorType::get(shape, type.getElementType());
  SmallVector<OpFoldResult> pads = {b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(padding[0]), b.getIndexAttr(padding[1])};
  return tensor::PadOp::create(b, loc, paddedType, input, pads, pads, value);
}

Value tanhGeluArgument(OpBuilder &b, Location loc, Value x) {
  Type t = x.getType();
  Value x2 = arith::MulFOp::create(b, loc, x, x);
  Value cubic = arith::AddFOp::create(
      b, loc, floatConst(b, loc, t, 1.0), arith::MulFOp::create(b, loc, x2, floatConst(b, loc, t, kTanhGeluCubic)));
  return arith::MulFOp::create(
      b, loc, arith::MulFOp::create(b, loc, x, cubic), floatConst(b, loc, t, kTanhGeluScale));
}

Value im2colColumns(OpBuilder &b, Location loc, Value padded, int64_t KH, int64_t KW, int64_t OH,
                    int64_t OW, ArrayRef<int64_t> stride) {
  auto paddedType = tensorTypeOf(padded);
  Type elementType = paddedType.getElementType();
  int64_t C = paddedType.getDimSize(1), N = paddedType.getDimSize(0);
  int64_t columns = ShapedType::isDynamic(N) ? ShapedType::kDynamic : N * OH * OW;
  OpFoldResult n = dimOf(b, loc, padded, 0);
  OpFoldResult one = b.getIndexAttr(1), zero = b.getIndexAttr(0);
  auto index = [&](int64_t v) -> OpFoldResult { return b.getIndexAttr(v); };
  // cols[c, kh, kw, n, oh, ow] = padded[n, c, oh s + kh, ow s + kw].
  auto colsType = RankedTensorType::get({C, KH, KW, N, OH, OW}, elementType);
  Value cols = emptyTensor(b, loc, colsType, {index(C), index(KH), index(KW), n, index(OH), index(OW)});
  auto windowType = RankedTensorType::get({N, C, OH, OW}, elementType);
  auto planeType = RankedTensorType::get({C, N, OH, OW}, elementType);
  for (int64_t kh = 0; kh < KH; ++kh)
    for (int64_t kw = 0; kw < KW; ++kw) {
      Value window = tensor::ExtractSliceOp::create(
          b, loc, windowType, padded, SmallVector<OpFoldResult>{zero, zero, index(kh), index(kw)},
          SmallVector<OpFoldResult>{n, index(C), index(OH), index(OW)},
          SmallVector<OpFoldResult>{one, one, index(stride[0]), index(stride[1])});
      SmallVector<OpFoldResult> offsets = {zero, index(kh), index(kw), zero, zero, zero};
      SmallVector<OpFoldResult> sizes = {index(C), one, one, n, index(OH), index(OW)};
      SmallVector<OpFoldResult> strides(6, one);
      Value plane = tensor::ExtractSliceOp::create(b, loc, planeType, cols, offsets, sizes, strides);
      Value copied =
          linalg::TransposeOp::create(b, loc, window, plane, ArrayRef<int64_t>{1, 0, 2, 3})->getResult(0);
      cols = tensor::InsertSliceOp::create(b, loc, copied, cols, offsets, sizes, strides);
    }
  // Collapsed only where the matmul reads it (the matmul is not a generic,
  // so reshape fusion leaves it alone).
  return tensor::CollapseShapeOp::create(
      b, loc, RankedTensorType::get({C * KH * KW, columns}, elementType), cols,
      SmallVector<ReassociationIndices>{{0, 1, 2}, {3, 4, 5}});
}

OpFoldResult timesConstant(OpBuilder &b, Location loc, OpFoldResult n, int64_t factor) {
  if (std::optional<int64_t> constant = getConstantIntValue(n))
    return b.getIndexAttr(*constant * factor);
  return arith::MulIOp::create(b, loc, getValueOrCreateConstantIndexOp(b, loc, n),
                               indexConst(b, loc, factor))
      .getResult();
}

Value swapLeadingDims(OpBuilder &b, Location loc, Value t) {
  auto type = tensorTypeOf(t);
  SmallVector<int64_t> shape(type.getShape());
  std::swap(shape[0], shape[1]);
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < type.getRank(); ++d)
    sizes.push_back(dimOf(b, loc, t, d));
  std::swap(sizes[0], sizes[1]);
  SmallVector<int64_t> permutation = llvm::to_vector(llvm::seq<int64_t>(0, type.getRank()));
  std::swap(permutation[0], permutation[1]);
  Value init = emptyTensor(b, loc, RankedTensorType::get(shape, type.getElementType()), sizes);
  return linalg::TransposeOp::create(b, loc, t, init, permutation)->getResult(0);
}

DenseIntElementsAttr i64Vector(OpBuilder &b, ArrayRef<int64_t> values) {
  return DenseIntElementsAttr::get(
      RankedTensorType::get({(int64_t)values.size()}, b.getI64Type()), values);
}

/// Sizes of an NCHW result: N from `input`, channels from `channels` (the
/// input for pooling, the filter's F for convolution) and each spatial size
/// (H + 2p - k) / s + 1, folded when static.
SmallVector<OpFoldResult> nchwSizes(OpBuilder &b, Location loc, RankedTensorType type, Value input,
                                    OpFoldResult channels, ArrayRef<int64_t> window,
                                    ArrayRef<int64_t> stride, ArrayRef<int64_t> padding) {
  SmallVector<OpFoldResult> sizes = {dimOf(b, loc, input, 0), channels};
  for (int i = 0; i < 2; ++i) {
    if (!type.isDynamicDim(2 + i)) {
      sizes.push_back(b.getIndexAttr(type.getDimSize(2 + i)));
      continue;
    }
    Value extent = getValueOrCreateConstantIndexOp(b, loc, dimOf(b, loc, input, 2 + i));
    Value padded = arith::AddIOp::create(b, loc, extent, indexConst(b, loc, 2 * padding[i] - window[i]));
    Value steps = arith::DivUIOp::create(b, loc, padded, indexConst(b, loc, stride[i]));
    sizes.push_back(arith::AddIOp::create(b, loc, steps, indexConst(b, loc, 1)).getResult());
  }
  for (int i = 0; i < 2; ++i)
    if (!type.isDynamicDim(i))
      sizes[i] = b.getIndexAttr(type.getDimSize(i));
  return sizes;
}

} // namespace dnnc::lowering
