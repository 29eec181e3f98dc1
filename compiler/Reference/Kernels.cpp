//===- Kernels.cpp - Plain-loop reference kernels of the dnn ops ----------===//
//
// Deliberately naive: every kernel walks its output (or input) index by index
// and accumulates in double. Speed does not matter here; being obviously
// right does, because the compiled code is checked against these loops.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Reference/Kernels.h"
#include "dnnc/Support/DropoutMask.h"

#include "llvm/ADT/STLExtras.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dnnc::reference;
using llvm::ArrayRef;
using llvm::Expected;

namespace {

llvm::Error fail(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

Expected<int64_t> normalizeAxis(int64_t axis, int64_t rank, llvm::StringRef op) {
  if (axis < -rank || axis >= rank)
    return fail(op + ": axis " + llvm::Twine(axis) +
                " is out of range for a tensor of rank " + llvm::Twine(rank));
  return axis < 0 ? axis + rank : axis;
}

/// Calls fn(index) for every multi-index of `shape`, in row-major order.
void forEachIndex(ArrayRef<int64_t> shape,
                  llvm::function_ref<void(ArrayRef<int64_t>)> fn) {
  if (numElementsOf(shape) == 0)
    return;
  std::vector<int64_t> index(shape.size(), 0);
  while (true) {
    fn(index);
    int64_t d = (int64_t)shape.size() - 1;
    for (; d >= 0; --d) {
      if (++index[d] < shape[d])
        break;
      index[d] = 0;
    }
    if (d < 0)
      return;
  }
}

/// NumPy broadcasting of two shapes, aligned at the trailing dimension.
Expected<std::vector<int64_t>> broadcastShapes(ArrayRef<int64_t> a, ArrayRef<int64_t> b,
                                               llvm::StringRef op) {
  size_t rank = std::max(a.size(), b.size());
  std::vector<int64_t> out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da != db && da != 1 && db != 1)
      return fail(op + ": shapes " + shapeString(a) + " and " + shapeString(b) +
                  " do not broadcast");
    out[i] = da == 1 ? db : da;
  }
  return out;
}

/// Maps an index of a broadcast result to the offset of the element it reads
/// in one operand: the operand aligns at the trailing dimension, and its
/// size-1 dimensions get stride 0 so that they stretch.
struct BroadcastMap {
  std::vector<int64_t> strides;
  size_t lead;
  BroadcastMap(ArrayRef<int64_t> shape, size_t resultRank)
      : strides(stridesOf(shape)), lead(resultRank - shape.size()) {
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] == 1)
        strides[i] = 0;
  }
  int64_t offset(ArrayRef<int64_t> resultIndex) const {
    int64_t offset = 0;
    for (size_t i = 0; i < strides.size(); ++i)
      offset += resultIndex[lead + i] * strides[i];
    return offset;
  }
};

/// Splits `shape` around `axis` into (outer, length, inner) extents.
struct AxisSplit {
  int64_t outer = 1, length = 1, inner = 1;
  AxisSplit(ArrayRef<int64_t> shape, int64_t axis) {
    for (int64_t i = 0; i < (int64_t)shape.size(); ++i)
      (i < axis ? outer : i == axis ? length : inner) *= shape[i];
  }
};

llvm::Error checkPair(ArrayRef<int64_t> v, llvm::StringRef op, llvm::StringRef what,
                      int64_t minValue) {
  if (v.size() != 2)
    return fail(op + ": " + what + " must have 2 values, got " + llvm::Twine(v.size()));
  if (v[0] < minValue || v[1] < minValue)
    return fail(op + ": " + what + " must be at least " + llvm::Twine(minValue));
  return llvm::Error::success();
}

/// floor((in + 2*pad - k) / stride) + 1, checking that the window fits.
Expected<int64_t> windowExtent(int64_t in, int64_t k, int64_t stride, int64_t pad,
                               llvm::StringRef op) {
  if (in + 2 * pad < k)
    return fail(op + ": window " + llvm::Twine(k) + " does not fit extent " +
                llvm::Twine(in) + " with padding " + llvm::Twine(pad));
  return (in + 2 * pad - k) / stride + 1;
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

Expected<Tensor> dnnc::reference::binary(BinaryKind kind, const Tensor &lhs,
                                         const Tensor &rhs) {
  static const char *names[] = {"add", "sub", "mul", "div"};
  llvm::StringRef op = names[(int)kind];
  if (lhs.isInteger != rhs.isInteger)
    return fail(op + ": operands mix integer and float element types");
  auto shape = broadcastShapes(lhs.shape, rhs.shape, op);
  if (!shape)
    return shape.takeError();
  Tensor out = makeTensor(*shape, lhs.isInteger);
  BroadcastMap lhsMap(lhs.shape, shape->size()), rhsMap(rhs.shape, shape->size());
  int64_t flat = 0;
  bool divByZero = false;
  forEachIndex(*shape, [&](ArrayRef<int64_t> index) {
    double a = lhs.data[lhsMap.offset(index)];
    double b = rhs.data[rhsMap.offset(index)];
    double r = 0;
    if (lhs.isInteger) {
      // Exact in int64 for any two i32 values; the i32 result wraps.
      int64_t x = (int64_t)a, y = (int64_t)b, v = 0;
      switch (kind) {
      case BinaryKind::Add: v = x + y; break;
      case BinaryKind::Sub: v = x - y; break;
      case BinaryKind::Mul: v = x * y; break;
      case BinaryKind::Div:
        if (y == 0)
          divByZero = true;
        else
          v = x / y; // truncates toward zero, like arith.divsi
        break;
      case BinaryKind::Max: v = std::max(x, y); break;
      }
      r = wrapToI32(v);
    } else {
      switch (kind) {
      case BinaryKind::Add: r = a + b; break;
      case BinaryKind::Sub: r = a - b; break;
      case BinaryKind::Mul: r = a * b; break;
      case BinaryKind::Div: r = a / b; break;
      case BinaryKind::Max: r = std::isnan(a) || std::isnan(b) ? NAN : std::max(a, b); break;
      }
    }
    out.data[flat++] = r;
  });
  if (divByZero)
    return fail("div: integer division by zero");
  return out;
}

Tensor dnnc::reference::map(const Tensor &x, llvm::function_ref<double(double)> fn) {
  Tensor out = x;
  for (double &v : out.data)
    v = fn(v);
  return out;
}

Tensor dnnc::reference::dropout(const Tensor &x, uint64_t key, double p, int64_t site) {
  namespace mask = dropout_mask;
  uint64_t siteKey = mask::siteKey(key, site);
  uint32_t threshold = mask::threshold(p);
  double scale = 1.0 / (1.0 - p);
  Tensor y = x;
  for (size_t i = 0; i < y.data.size(); ++i)
    y.data[i] *= mask::elementHash(siteKey, uint32_t(i)) >= threshold ? scale : 0.0;
  return y;
}

Tensor dnnc::reference::negate(const Tensor &x) {
  Tensor out = x;
  for (double &v : out.data)
    v = x.isInteger ? wrapToI32(-(int64_t)v) : -v;
  return out;
}

Tensor dnnc::reference::absolute(const Tensor &x) {
  Tensor out = x;
  for (double &v : out.data)
    v = x.isInteger ? wrapToI32(std::llabs((int64_t)v)) : std::fabs(v);
  return out;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

Expected<Tensor> dnnc::reference::matmul(const Tensor &lhs, const Tensor &rhs) {
  if (lhs.rank() < 2 || rhs.rank() < 2)
    return fail("matmul: operands must have rank 2 or more, got " +
                shapeString(lhs.shape) + " and " + shapeString(rhs.shape));
  int64_t m = lhs.shape[lhs.rank() - 2], k = lhs.shape[lhs.rank() - 1];
  int64_t k2 = rhs.shape[rhs.rank() - 2], p = rhs.shape[rhs.rank() - 1];
  if (k != k2)
    return fail("matmul: inner dimensions of " + shapeString(lhs.shape) + " and " +
                shapeString(rhs.shape) + " differ");
  ArrayRef<int64_t> lhsBatch = ArrayRef(lhs.shape).drop_back(2);
  ArrayRef<int64_t> rhsBatch = ArrayRef(rhs.shape).drop_back(2);
  auto batch = broadcastShapes(lhsBatch, rhsBatch, "matmul batch");
  if (!batch)
    return batch.takeError();
  std::vector<int64_t> shape = *batch;
  shape.push_back(m);
  shape.push_back(p);
  Tensor out = makeTensor(shape);
  BroadcastMap lhsMap(lhsBatch, batch->size()), rhsMap(rhsBatch, batch->size());
  int64_t outBase = 0;
  // A rank-0 batch (plain 2-D matmul) is one index, so one matrix.
  forEachIndex(*batch, [&](ArrayRef<int64_t> index) {
    // A batch offset counts whole matrices, so scale it by the matrix size.
    int64_t a = lhsMap.offset(index) * m * k;
    int64_t b = rhsMap.offset(index) * k * p;
    for (int64_t i = 0; i < m; ++i)
      for (int64_t j = 0; j < p; ++j) {
        double acc = 0;
        for (int64_t l = 0; l < k; ++l)
          acc += lhs.data[a + i * k + l] * rhs.data[b + l * p + j];
        out.data[outBase + i * p + j] = acc;
      }
    outBase += m * p;
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Softmax and reductions
//===----------------------------------------------------------------------===//

Expected<Tensor> dnnc::reference::softmax(const Tensor &x, int64_t axis, bool log) {
  auto ax = normalizeAxis(axis, x.rank(), log ? "log_softmax" : "softmax");
  if (!ax)
    return ax.takeError();
  AxisSplit s(x.shape, *ax);
  Tensor out = x;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      auto at = [&](int64_t k) { return (o * s.length + k) * s.inner + i; };
      // Subtracting the maximum keeps exp from overflowing; it cancels out.
      double maxValue = -std::numeric_limits<double>::infinity();
      for (int64_t k = 0; k < s.length; ++k)
        maxValue = std::max(maxValue, x.data[at(k)]);
      double sum = 0;
      for (int64_t k = 0; k < s.length; ++k)
        sum += std::exp(x.data[at(k)] - maxValue);
      for (int64_t k = 0; k < s.length; ++k) {
        double shifted = x.data[at(k)] - maxValue;
        out.data[at(k)] = log ? shifted - std::log(sum) : std::exp(shifted) / sum;
      }
    }
  return out;
}

Expected<Tensor> dnnc::reference::reduce(ReduceKind kind, const Tensor &x,
                                         ArrayRef<int64_t> axes, bool keepDims) {
  static const char *names[] = {"sum", "mean", "max", "min"};
  llvm::StringRef op = names[(int)kind];
  if (kind == ReduceKind::Mean && x.isInteger)
    return fail("mean: needs a float tensor");
  std::vector<bool> reduced(x.rank(), axes.empty());
  for (int64_t axis : axes) {
    auto ax = normalizeAxis(axis, x.rank(), op);
    if (!ax)
      return ax.takeError();
    if (reduced[*ax])
      return fail(op + ": axis " + llvm::Twine(axis) + " is repeated");
    reduced[*ax] = true;
  }
  // The result shape keeps reduced axes as size 1 while accumulating; they
  // are dropped at the end unless keepDims.
  std::vector<int64_t> keptShape, finalShape;
  int64_t count = 1;
  for (int64_t i = 0; i < x.rank(); ++i) {
    keptShape.push_back(reduced[i] ? 1 : x.shape[i]);
    if (reduced[i])
      count *= x.shape[i];
    if (!reduced[i] || keepDims)
      finalShape.push_back(keptShape.back());
  }
  std::vector<int64_t> keptStrides = stridesOf(keptShape);
  int64_t outCount = numElementsOf(keptShape);
  std::vector<double> acc(outCount, 0.0);
  std::vector<uint64_t> intAcc(outCount, 0); // wraps like i32 arithmetic
  std::vector<bool> seen(outCount, false);
  int64_t flat = 0;
  forEachIndex(x.shape, [&](ArrayRef<int64_t> index) {
    int64_t o = 0;
    for (int64_t i = 0; i < x.rank(); ++i)
      if (!reduced[i])
        o += index[i] * keptStrides[i];
    double v = x.data[flat++];
    switch (kind) {
    case ReduceKind::Sum:
    case ReduceKind::Mean:
      if (x.isInteger)
        intAcc[o] += (uint64_t)(int64_t)v;
      else
        acc[o] += v;
      break;
    case ReduceKind::Max:
      acc[o] = seen[o] ? std::max(acc[o], v) : v;
      break;
    case ReduceKind::Min:
      acc[o] = seen[o] ? std::min(acc[o], v) : v;
      break;
    }
    seen[o] = true;
  });
  Tensor out = makeTensor(finalShape, x.isInteger);
  for (int64_t o = 0; o < outCount; ++o) {
    double v = acc[o];
    if (x.isInteger && (kind == ReduceKind::Sum))
      v = wrapToI32((int64_t)intAcc[o]);
    else if (kind == ReduceKind::Mean)
      v = acc[o] / (double)count;
    out.data[o] = v;
  }
  return out;
}

Expected<Tensor> dnnc::reference::argmax(const Tensor &x, int64_t axis) {
  auto ax = normalizeAxis(axis, x.rank(), "argmax");
  if (!ax)
    return ax.takeError();
  AxisSplit s(x.shape, *ax);
  std::vector<int64_t> shape = x.shape;
  shape.erase(shape.begin() + *ax);
  Tensor out = makeTensor(shape, /*isInteger=*/true);
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t i = 0; i < s.inner; ++i) {
      int64_t best = 0;
      for (int64_t k = 1; k < s.length; ++k)
        // Strictly greater: the first maximum wins ties.
        if (x.data[(o * s.length + k) * s.inner + i] >
            x.data[(o * s.length + best) * s.inner + i])
          best = k;
      out.data[o * s.inner + i] = (double)best;
    }
  return out;
}

//===----------------------------------------------------------------------===//
// Shape manipulation
//===----------------------------------------------------------------------===//

Expected<Tensor> dnnc::reference::reshape(const Tensor &x, ArrayRef<int64_t> shape) {
  std::vector<int64_t> target(shape.begin(), shape.end());
  int64_t known = 1, inferred = -1;
  for (size_t i = 0; i < target.size(); ++i) {
    if (target[i] == -1) {
      if (inferred >= 0)
        return fail("reshape: more than one -1 in " + shapeString(shape));
      inferred = i;
    } else if (target[i] < 1) {
      return fail("reshape: invalid dimension in " + shapeString(shape));
    } else {
      known *= target[i];
    }
  }
  if (inferred >= 0) {
    if (x.numElements() % known != 0)
      return fail("reshape: cannot reshape " + shapeString(x.shape) + " into " +
                  shapeString(shape));
    target[inferred] = x.numElements() / known;
  }
  if (numElementsOf(target) != x.numElements())
    return fail("reshape: cannot reshape " + shapeString(x.shape) + " into " +
                shapeString(target) + ": the element counts differ");
  Tensor out = x;
  out.shape = target;
  return out;
}

Tensor dnnc::reference::flatten(const Tensor &x) {
  Tensor out = x;
  if (x.rank() >= 2)
    out.shape = {x.shape[0], numElementsOf(ArrayRef(x.shape).drop_front())};
  return out;
}

Expected<Tensor> dnnc::reference::transpose(const Tensor &x, ArrayRef<int64_t> perm) {
  std::vector<bool> seen(x.rank(), false);
  bool valid = (int64_t)perm.size() == x.rank();
  for (int64_t p : perm) {
    valid = valid && p >= 0 && p < x.rank() && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid)
    return fail("transpose: " + shapeString(perm) + " is not a permutation of the " +
                llvm::Twine(x.rank()) + " axes");
  std::vector<int64_t> shape;
  for (int64_t p : perm)
    shape.push_back(x.shape[p]);
  std::vector<int64_t> inStrides = stridesOf(x.shape);
  Tensor out = makeTensor(shape, x.isInteger);
  int64_t flat = 0;
  forEachIndex(shape, [&](ArrayRef<int64_t> index) {
    // Result index i walks input dimension perm[i].
    int64_t offset = 0;
    for (size_t i = 0; i < perm.size(); ++i)
      offset += index[i] * inStrides[perm[i]];
    out.data[flat++] = x.data[offset];
  });
  return out;
}

Expected<Tensor> dnnc::reference::concat(ArrayRef<const Tensor *> inputs, int64_t axis) {
  if (inputs.empty())
    return fail("concat: needs at least one tensor");
  const Tensor &first = *inputs.front();
  auto ax = normalizeAxis(axis, first.rank(), "concat");
  if (!ax)
    return ax.takeError();
  std::vector<int64_t> shape = first.shape;
  shape[*ax] = 0;
  for (const Tensor *t : inputs) {
    bool compatible = t->rank() == first.rank() && t->isInteger == first.isInteger;
    for (int64_t d = 0; compatible && d < first.rank(); ++d)
      compatible = d == *ax || t->shape[d] == first.shape[d];
    if (!compatible)
      return fail("concat: cannot join " + shapeString(t->shape) + " with " +
                  shapeString(first.shape) + " along axis " + llvm::Twine(*ax));
    shape[*ax] += t->shape[*ax];
  }
  Tensor out = makeTensor(shape, first.isInteger);
  AxisSplit s(shape, *ax);
  int64_t flat = 0;
  // Row-major: for each outer index, each input contributes one contiguous
  // block of length * inner elements, in order.
  for (int64_t o = 0; o < s.outer; ++o)
    for (const Tensor *t : inputs) {
      int64_t block = t->shape[*ax] * s.inner;
      for (int64_t e = 0; e < block; ++e)
        out.data[flat++] = t->data[o * block + e];
    }
  return out;
}

//===----------------------------------------------------------------------===//
// Convolution and pooling
//===----------------------------------------------------------------------===//

Expected<Tensor> dnnc::reference::conv2d(const Tensor &x, const Tensor &filter,
                                         const Tensor *bias, ArrayRef<int64_t> stride,
                                         ArrayRef<int64_t> padding) {
  if (x.rank() != 4 || filter.rank() != 4)
    return fail("conv2d: input and filter must have rank 4, got " + shapeString(x.shape) +
                " and " + shapeString(filter.shape));
  if (auto err = checkPair(stride, "conv2d", "stride", 1))
    return std::move(err);
  if (auto err = checkPair(padding, "conv2d", "padding", 0))
    return std::move(err);
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  int64_t f = filter.shape[0], kh = filter.shape[2], kw = filter.shape[3];
  if (filter.shape[1] != c)
    return fail("conv2d: input has " + llvm::Twine(c) + " channels but the filter " +
                shapeString(filter.shape) + " expects " + llvm::Twine(filter.shape[1]));
  if (bias && (bias->rank() != 1 || bias->shape[0] != f))
    return fail("conv2d: bias must have shape [" + llvm::Twine(f) + "], got " +
                shapeString(bias->shape));
  auto oh = windowExtent(h, kh, stride[0], padding[0], "conv2d");
  if (!oh)
    return oh.takeError();
  auto ow = windowExtent(w, kw, stride[1], padding[1], "conv2d");
  if (!ow)
    return ow.takeError();
  Tensor out = makeTensor({n, f, *oh, *ow});
  for (int64_t in = 0; in < n; ++in)
    for (int64_t of = 0; of < f; ++of)
      for (int64_t y = 0; y < *oh; ++y)
        for (int64_t xo = 0; xo < *ow; ++xo) {
          double acc = bias ? bias->data[of] : 0.0;
          for (int64_t ic = 0; ic < c; ++ic)
            for (int64_t i = 0; i < kh; ++i)
              for (int64_t j = 0; j < kw; ++j) {
                int64_t iy = y * stride[0] - padding[0] + i;
                int64_t ix = xo * stride[1] - padding[1] + j;
                if (iy < 0 || iy >= h || ix < 0 || ix >= w)
                  continue; // zero padding
                acc += x.data[((in * c + ic) * h + iy) * w + ix] *
                       filter.data[((of * c + ic) * kh + i) * kw + j];
              }
          out.data[((in * f + of) * *oh + y) * *ow + xo] = acc;
        }
  return out;
}

Expected<Tensor> dnnc::reference::pool2d(PoolKind kind, const Tensor &x,
                                         ArrayRef<int64_t> size, ArrayRef<int64_t> stride,
                                         ArrayRef<int64_t> padding) {
  llvm::StringRef op = kind == PoolKind::Max ? "maxpool2d" : "avgpool2d";
  if (x.rank() != 4)
    return fail(op + ": input must have rank 4, got " + shapeString(x.shape));
  for (auto [values, what, minValue] :
       {std::make_tuple(size, "size", 1), std::make_tuple(stride, "stride", 1),
        std::make_tuple(padding, "padding", 0)})
    if (auto err = checkPair(values, op, what, minValue))
      return std::move(err);
  int64_t n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
  auto oh = windowExtent(h, size[0], stride[0], padding[0], op);
  if (!oh)
    return oh.takeError();
  auto ow = windowExtent(w, size[1], stride[1], padding[1], op);
  if (!ow)
    return ow.takeError();
  Tensor out = makeTensor({n, c, *oh, *ow});
  for (int64_t plane = 0; plane < n * c; ++plane)
    for (int64_t y = 0; y < *oh; ++y)
      for (int64_t xo = 0; xo < *ow; ++xo) {
        double sum = 0, maxValue = -std::numeric_limits<double>::infinity();
        for (int64_t i = 0; i < size[0]; ++i)
          for (int64_t j = 0; j < size[1]; ++j) {
            int64_t iy = y * stride[0] - padding[0] + i;
            int64_t ix = xo * stride[1] - padding[1] + j;
            if (iy < 0 || iy >= h || ix < 0 || ix >= w)
              continue; // never the max; a zero in the average
            double v = x.data[(plane * h + iy) * w + ix];
            sum += v;
            maxValue = std::max(maxValue, v);
          }
        // The window always lies inside the padded input (floor extents), so
        // count_include_pad divides by the full window size.
        out.data[(plane * *oh + y) * *ow + xo] =
            kind == PoolKind::Max ? maxValue : sum / (double)(size[0] * size[1]);
      }
  return out;
}

//===----------------------------------------------------------------------===//
// Losses, metrics and encoding
//===----------------------------------------------------------------------===//

Expected<Tensor> dnnc::reference::elementwiseLoss(ElementwiseLossKind kind,
                                                  const Tensor &prediction,
                                                  const Tensor &target) {
  static const char *names[] = {"mse", "bce", "bce_with_logits"};
  llvm::StringRef op = names[(int)kind];
  if (prediction.isInteger || target.isInteger)
    return fail(op + ": needs float operands");
  if (prediction.shape != target.shape)
    return fail(op + ": prediction " + shapeString(prediction.shape) + " and target " +
                shapeString(target.shape) + " must have the same shape");
  double acc = 0;
  for (int64_t i = 0; i < prediction.numElements(); ++i) {
    double p = prediction.data[i], t = target.data[i];
    switch (kind) {
    case ElementwiseLossKind::Mse:
      acc += (p - t) * (p - t);
      break;
    case ElementwiseLossKind::Bce:
      // torch.nn.BCELoss clamps each log at -100 so that p = 0 or 1 stays finite.
      acc -= t * std::max(std::log(p), -100.0) +
             (1 - t) * std::max(std::log(1 - p), -100.0);
      break;
    case ElementwiseLossKind::BceWithLogits:
      // -(t*log(sigmoid(p)) + (1-t)*log(1-sigmoid(p))), rewritten so that
      // exp never overflows.
      acc += std::max(p, 0.0) - p * t + std::log1p(std::exp(-std::fabs(p)));
      break;
    }
  }
  return makeTensor({}, false, acc / (double)prediction.numElements());
}

Expected<Tensor> dnnc::reference::crossEntropy(const Tensor &logits,
                                               const Tensor &target) {
  if (logits.isInteger || logits.rank() != 2)
    return fail("cross_entropy: logits must be a float [N, C] tensor, got " +
                shapeString(logits.shape));
  int64_t n = logits.shape[0], c = logits.shape[1];
  bool indices = target.isInteger;
  if (indices ? target.shape != std::vector<int64_t>{n} : target.shape != logits.shape)
    return fail("cross_entropy: target " + shapeString(target.shape) +
                " does not match logits " + shapeString(logits.shape));
  auto logProbs = softmax(logits, 1, /*log=*/true);
  if (!logProbs)
    return logProbs.takeError();
  double acc = 0;
  for (int64_t row = 0; row < n; ++row) {
    if (indices) {
      double label = target.data[row];
      if (label < 0 || label >= (double)c)
        return fail("cross_entropy: target " + llvm::Twine((int64_t)label) + " of row " +
                    llvm::Twine(row) + " is not a class index in [0, " + llvm::Twine(c) +
                    ")");
      acc -= logProbs->data[row * c + (int64_t)label];
      continue;
    }
    for (int64_t k = 0; k < c; ++k)
      acc -= target.data[row * c + k] * logProbs->data[row * c + k];
  }
  return makeTensor({}, false, acc / (double)n);
}

Expected<Tensor> dnnc::reference::accuracy(const Tensor &logits, const Tensor &labels) {
  if (logits.isInteger || logits.rank() != 2 || !labels.isInteger ||
      labels.shape != std::vector<int64_t>{logits.shape[0]})
    return fail("accuracy: expects float [N, C] logits and i32 [N] labels, got " +
                shapeString(logits.shape) + " and " + shapeString(labels.shape));
  auto predicted = argmax(logits, 1);
  if (!predicted)
    return predicted.takeError();
  int64_t n = logits.shape[0], correct = 0;
  for (int64_t row = 0; row < n; ++row)
    correct += predicted->data[row] == labels.data[row];
  return makeTensor({}, false, (double)correct / (double)n);
}

Expected<Tensor> dnnc::reference::oneHot(const Tensor &labels, int64_t numClasses) {
  if (!labels.isInteger)
    return fail("one_hot: labels must be i32");
  if (numClasses < 1)
    return fail("one_hot: the number of classes must be positive, got " +
                llvm::Twine(numClasses));
  std::vector<int64_t> shape = labels.shape;
  shape.push_back(numClasses);
  Tensor out = makeTensor(shape);
  for (int64_t i = 0; i < labels.numElements(); ++i) {
    double label = labels.data[i];
    if (label >= 0 && label < (double)numClasses)
      out.data[i * numClasses + (int64_t)label] = 1.0;
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Gradient building blocks
//===----------------------------------------------------------------------===//

namespace {
/// The operands of an elementwise gradient op: float tensors of one shape.
llvm::Error checkInputAndGrad(llvm::StringRef op, const Tensor &input, const Tensor &grad) {
  if (input.isInteger || grad.isInteger || input.shape != grad.shape)
    return fail(op + ": input " + shapeString(input.shape) + " and grad " +
                shapeString(grad.shape) + " must be float tensors of one shape");
  return llvm::Error::success();
}
} // namespace

Expected<Tensor> dnnc::reference::reluGrad(const Tensor &input, const Tensor &grad,
                                           double slope) {
  if (llvm::Error e = checkInputAndGrad("relu_grad", input, grad))
    return std::move(e);
  Tensor out = grad;
  // Slope 0 selects 0 rather than multiplying, so that an infinite or NaN
  // grad (sqrt'(0), say) does not leak through where relu is flat, as in
  // torch's threshold_backward and the compiled code.
  for (int64_t i = 0; i < out.numElements(); ++i)
    if (!(input.data[i] > 0))
      out.data[i] = slope == 0 ? 0.0 : slope * grad.data[i];
  return out;
}

namespace {
constexpr double kTanhGeluScale = 0.7978845608028654; // sqrt(2 / pi)
double tanhGeluArgument(double x) { return kTanhGeluScale * (x + 0.044715 * x * x * x); }
} // namespace

Tensor dnnc::reference::gelu(const Tensor &x, bool tanhForm) {
  return map(x, [&](double v) {
    return tanhForm ? 0.5 * v * (1 + std::tanh(tanhGeluArgument(v)))
                    : 0.5 * v * (1 + std::erf(v * M_SQRT1_2));
  });
}

Expected<Tensor> dnnc::reference::geluGrad(const Tensor &input, const Tensor &grad,
                                           bool tanhForm) {
  if (llvm::Error e = checkInputAndGrad("gelu_grad", input, grad))
    return std::move(e);
  Tensor out = grad;
  for (int64_t i = 0; i < out.numElements(); ++i) {
    double x = input.data[i], derivative;
    if (tanhForm) {
      double t = std::tanh(tanhGeluArgument(x));
      derivative = 0.5 * (1 + t) +
                   0.5 * x * (1 - t * t) * kTanhGeluScale * (1 + 3 * 0.044715 * x * x);
    } else {
      derivative = 0.5 * (1 + std::erf(x * M_SQRT1_2)) +
                   x * std::exp(-0.5 * x * x) / std::sqrt(2 * M_PI);
    }
    out.data[i] = grad.data[i] * derivative;
  }
  return out;
}

Tensor dnnc::reference::sign(const Tensor &x) {
  return map(x, [](double v) { return v > 0 ? 1.0 : v < 0 ? -1.0 : v == 0 ? 0.0 : v; });
}

Expected<Tensor> dnnc::reference::equal(const Tensor &lhs, const Tensor &rhs) {
  if (lhs.isInteger != rhs.isInteger)
    return fail("equal: operands mix integer and float element types");
  auto shape = broadcastShapes(lhs.shape, rhs.shape, "equal");
  if (!shape)
    return shape.takeError();
  Tensor out = makeTensor(*shape, lhs.isInteger);
  BroadcastMap lhsMap(lhs.shape, shape->size()), rhsMap(rhs.shape, shape->size());
  int64_t flat = 0;
  forEachIndex(*shape, [&](ArrayRef<int64_t> index) {
    out.data[flat++] =
        lhs.data[lhsMap.offset(index)] == rhs.data[rhsMap.offset(index)] ? 1.0 : 0.0;
  });
  return out;
}

Expected<Tensor> dnnc::reference::broadcastLike(const Tensor &x,
                                                ArrayRef<int64_t> resultShape,
                                                ArrayRef<int64_t> axes, bool divideByCount) {
  int64_t rank = (int64_t)resultShape.size();
  std::vector<bool> broadcast(rank, false);
  for (int64_t axis : axes) {
    auto ax = normalizeAxis(axis, rank, "broadcast_like");
    if (!ax)
      return ax.takeError();
    if (broadcast[*ax])
      return fail("broadcast_like: axis " + llvm::Twine(axis) + " is repeated");
    broadcast[*ax] = true;
  }
  bool keptDims = x.rank() == rank;
  if (!keptDims && x.rank() + (int64_t)axes.size() != rank)
    return fail("broadcast_like: input " + shapeString(x.shape) + " cannot stretch to " +
                shapeString(resultShape) + " over " + llvm::Twine(axes.size()) + " axes");
  // For each result dimension, the input dimension it reads (-1: none) and
  // whether the input is pinned at index 0 there.
  std::vector<int64_t> source(rank, -1);
  int64_t count = 1;
  for (int64_t d = 0, i = 0; d < rank; ++d) {
    if (broadcast[d]) {
      count *= resultShape[d];
      if (keptDims && x.shape[i++] != 1)
        return fail("broadcast_like: input " + shapeString(x.shape) +
                    " must have size 1 at axis " + llvm::Twine(d));
      continue;
    }
    if (x.shape[i] != resultShape[d])
      return fail("broadcast_like: input " + shapeString(x.shape) + " does not match " +
                  shapeString(resultShape) + " at result axis " + llvm::Twine(d));
    source[d] = i++;
  }
  std::vector<int64_t> inStrides = stridesOf(x.shape);
  Tensor out = makeTensor(resultShape, x.isInteger);
  int64_t flat = 0;
  forEachIndex(resultShape, [&](ArrayRef<int64_t> index) {
    int64_t offset = 0;
    for (int64_t d = 0; d < rank; ++d)
      if (source[d] >= 0)
        offset += index[d] * inStrides[source[d]];
    double v = x.data[offset];
    out.data[flat++] = divideByCount ? v / (double)count : v;
  });
  return out;
}

Expected<Tensor> dnnc::reference::slice(const Tensor &x, int64_t axis, int64_t start,
                                        int64_t size) {
  auto ax = normalizeAxis(axis, x.rank(), "slice");
  if (!ax)
    return ax.takeError();
  if (start < 0 || size < 0 || start + size > x.shape[*ax])
    return fail("slice: [" + llvm::Twine(start) + ", " + llvm::Twine(start + size) +
                ") is out of range for axis " + llvm::Twine(axis) + " of " +
                shapeString(x.shape));
  std::vector<int64_t> shape = x.shape;
  shape[*ax] = size;
  AxisSplit s(x.shape, *ax);
  Tensor out = makeTensor(shape, x.isInteger);
  int64_t flat = 0;
  for (int64_t o = 0; o < s.outer; ++o)
    for (int64_t k = start; k < start + size; ++k)
      for (int64_t i = 0; i < s.inner; ++i)
        out.data[flat++] = x.data[(o * s.length + k) * s.inner + i];
  return out;
}

namespace {

/// The geometry of a 2-D window op over NCHW, checked: input [n, c, h, w],
/// windows kh x kw, output oh x ow.
struct Window2d {
  int64_t n, c, h, w, kh, kw, oh, ow, sy, sx, py, px;

  /// The input offset (within one plane) that window (y, x) reads at (i, j),
  /// or -1 in the padding.
  int64_t at(int64_t y, int64_t x, int64_t i, int64_t j) const {
    int64_t iy = y * sy - py + i, ix = x * sx - px + j;
    return iy < 0 || iy >= h || ix < 0 || ix >= w ? -1 : iy * w + ix;
  }

  /// Every multiply of a conv2d with `f` filters over this geometry, as flat
  /// indices (out[n, f, y, x], x[n, c, iy, ix], w[f, c, i, j]): the index
  /// relation both of its adjoints walk.
  /// fn(p, y, x, window) for every window (y, x) of every plane p = n * c + c
  /// (`window`: its flat index in the pooled tensor).
  template <typename Fn> void forEachWindow(Fn fn) const {
    for (int64_t p = 0; p < n * c; ++p)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t xo = 0; xo < ow; ++xo)
          fn(p, y, xo, (p * oh + y) * ow + xo);
  }

  template <typename Fn> void forEachConvTap(int64_t f, Fn fn) const {
    for (int64_t b = 0; b < n; ++b)
      for (int64_t of = 0; of < f; ++of)
        for (int64_t y = 0; y < oh; ++y)
          for (int64_t xo = 0; xo < ow; ++xo) {
            int64_t out = ((b * f + of) * oh + y) * ow + xo;
            for (int64_t ch = 0; ch < c; ++ch)
              for (int64_t i = 0; i < kh; ++i)
                for (int64_t j = 0; j < kw; ++j) {
                  int64_t offset = at(y, xo, i, j);
                  if (offset >= 0)
                    fn(out, (b * c + ch) * h * w + offset, ((of * c + ch) * kh + i) * kw + j);
                }
          }
  }
};

Expected<Window2d> window2d(llvm::StringRef op, ArrayRef<int64_t> inputShape,
                            ArrayRef<int64_t> size, ArrayRef<int64_t> stride,
                            ArrayRef<int64_t> padding) {
  if (inputShape.size() != 4)
    return fail(op + ": input must have rank 4, got " + shapeString(inputShape));
  for (auto [values, what, minValue] :
       {std::make_tuple(size, "size", 1), std::make_tuple(stride, "stride", 1),
        std::make_tuple(padding, "padding", 0)})
    if (auto err = checkPair(values, op, what, minValue))
      return std::move(err);
  Window2d g{inputShape[0], inputShape[1], inputShape[2], inputShape[3], size[0], size[1],
             0, 0, stride[0], stride[1], padding[0], padding[1]};
  auto oh = windowExtent(g.h, g.kh, g.sy, g.py, op);
  if (!oh)
    return oh.takeError();
  auto ow = windowExtent(g.w, g.kw, g.sx, g.px, op);
  if (!ow)
    return ow.takeError();
  g.oh = *oh;
  g.ow = *ow;
  return g;
}

llvm::Error checkGradShape(llvm::StringRef op, const Tensor &grad,
                           ArrayRef<int64_t> expected) {
  if (grad.isInteger || grad.shape != std::vector<int64_t>(expected.begin(), expected.end()))
    return fail(op + ": grad has shape " + shapeString(grad.shape) +
                " but the forward result has " + shapeString(expected));
  return llvm::Error::success();
}

} // namespace

Expected<Tensor> dnnc::reference::conv2dInputGrad(const Tensor &grad, const Tensor &filter,
                                                  ArrayRef<int64_t> inputShape,
                                                  ArrayRef<int64_t> stride,
                                                  ArrayRef<int64_t> padding) {
  llvm::StringRef op = "conv2d_input_grad";
  if (filter.rank() != 4 || inputShape.size() != 4 || filter.shape[1] != inputShape[1])
    return fail(op + ": filter " + shapeString(filter.shape) +
                " does not fit an input of shape " + shapeString(inputShape));
  int64_t f = filter.shape[0];
  auto g = window2d(op, inputShape, ArrayRef(filter.shape).drop_front(2), stride, padding);
  if (!g)
    return g.takeError();
  if (auto err = checkGradShape(op, grad, {g->n, f, g->oh, g->ow}))
    return std::move(err);
  // conv2d reads x[n, c, at(y, x, i, j)] * w[f, c, i, j] into out[n, f, y, x];
  // the adjoint sends grad[n, f, y, x] * w[f, c, i, j] back along each read.
  Tensor dx = makeTensor(inputShape);
  g->forEachConvTap(f, [&](int64_t out, int64_t in, int64_t weight) {
    dx.data[in] += grad.data[out] * filter.data[weight];
  });
  return dx;
}

Expected<Tensor> dnnc::reference::conv2dFilterGrad(const Tensor &x, const Tensor &grad,
                                                   ArrayRef<int64_t> kernelSize,
                                                   ArrayRef<int64_t> stride,
                                                   ArrayRef<int64_t> padding) {
  llvm::StringRef op = "conv2d_filter_grad";
  if (x.isInteger)
    return fail(op + ": input must be float");
  auto g = window2d(op, x.shape, kernelSize, stride, padding);
  if (!g)
    return g.takeError();
  if (grad.rank() != 4)
    return fail(op + ": grad must have rank 4, got " + shapeString(grad.shape));
  int64_t f = grad.shape[1];
  if (auto err = checkGradShape(op, grad, {g->n, f, g->oh, g->ow}))
    return std::move(err);
  // The same reads as conv2d, now accumulating x * grad into the filter.
  Tensor dw = makeTensor({f, g->c, g->kh, g->kw});
  g->forEachConvTap(f, [&](int64_t out, int64_t in, int64_t weight) {
    dw.data[weight] += grad.data[out] * x.data[in];
  });
  return dw;
}

Expected<Tensor> dnnc::reference::maxPool2dArgmax(const Tensor &x, ArrayRef<int64_t> size,
                                                  ArrayRef<int64_t> stride,
                                                  ArrayRef<int64_t> padding) {
  llvm::StringRef op = "maxpool2d_argmax";
  if (x.isInteger)
    return fail(op + ": input must be float");
  auto g = window2d(op, x.shape, size, stride, padding);
  if (!g)
    return g.takeError();
  Tensor argmax = makeTensor({g->n, g->c, g->oh, g->ow}, /*isInteger=*/true);
  int64_t plane = g->h * g->w;
  g->forEachWindow([&](int64_t p, int64_t y, int64_t xo, int64_t window) {
    // Later elements must be strictly greater to take over; padding is
    // never a candidate.
    int64_t best = -1, bestOffset = -1;
    for (int64_t i = 0; i < g->kh; ++i)
      for (int64_t j = 0; j < g->kw; ++j) {
        int64_t offset = g->at(y, xo, i, j);
        if (offset < 0)
          continue;
        if (bestOffset < 0 || x.data[p * plane + offset] > x.data[p * plane + bestOffset]) {
          bestOffset = offset;
          best = i * g->kw + j;
        }
      }
    argmax.data[window] = double(best);
  });
  return argmax;
}

Expected<Tensor> dnnc::reference::maxPool2dArgmaxGrad(const Tensor &argmax, const Tensor &grad,
                                                      ArrayRef<int64_t> inputShape,
                                                      ArrayRef<int64_t> size,
                                                      ArrayRef<int64_t> stride,
                                                      ArrayRef<int64_t> padding) {
  llvm::StringRef op = "maxpool2d_argmax_grad";
  auto g = window2d(op, inputShape, size, stride, padding);
  if (!g)
    return g.takeError();
  if (auto err = checkGradShape(op, grad, {g->n, g->c, g->oh, g->ow}))
    return std::move(err);
  if (!argmax.isInteger || argmax.shape != grad.shape)
    return fail(op + ": argmax has shape " + shapeString(argmax.shape) + " but grad has " +
                shapeString(grad.shape));
  Tensor dx = makeTensor(inputShape);
  int64_t plane = g->h * g->w;
  g->forEachWindow([&](int64_t p, int64_t y, int64_t xo, int64_t window) {
    int64_t best = int64_t(argmax.data[window]);
    if (best < 0 || best >= g->kh * g->kw)
      return;
    int64_t offset = g->at(y, xo, best / g->kw, best % g->kw);
    if (offset >= 0)
      dx.data[p * plane + offset] += grad.data[window];
  });
  return dx;
}

Expected<Tensor> dnnc::reference::maxPool2dGrad(const Tensor &x, const Tensor &grad,
                                                ArrayRef<int64_t> size,
                                                ArrayRef<int64_t> stride,
                                                ArrayRef<int64_t> padding) {
  auto argmax = maxPool2dArgmax(x, size, stride, padding);
  if (!argmax)
    return argmax.takeError();
  return maxPool2dArgmaxGrad(*argmax, grad, x.shape, size, stride, padding);
}

Expected<Tensor> dnnc::reference::avgPool2dGrad(const Tensor &grad,
                                                ArrayRef<int64_t> inputShape,
                                                ArrayRef<int64_t> size,
                                                ArrayRef<int64_t> stride,
                                                ArrayRef<int64_t> padding) {
  llvm::StringRef op = "avgpool2d_grad";
  auto g = window2d(op, inputShape, size, stride, padding);
  if (!g)
    return g.takeError();
  if (auto err = checkGradShape(op, grad, {g->n, g->c, g->oh, g->ow}))
    return std::move(err);
  // avgpool2d divides every window by its full size (padding counts as
  // zeros), so each element read gets grad / (kh * kw).
  Tensor dx = makeTensor(inputShape);
  int64_t plane = g->h * g->w;
  double count = (double)(g->kh * g->kw);
  for (int64_t p = 0; p < g->n * g->c; ++p)
    for (int64_t y = 0; y < g->oh; ++y)
      for (int64_t xo = 0; xo < g->ow; ++xo) {
        double share = grad.data[(p * g->oh + y) * g->ow + xo] / count;
        for (int64_t i = 0; i < g->kh; ++i)
          for (int64_t j = 0; j < g->kw; ++j) {
            int64_t offset = g->at(y, xo, i, j);
            if (offset >= 0)
              dx.data[p * plane + offset] += share;
          }
      }
  return dx;
}

Expected<OptimizerUpdate>
dnnc::reference::applyOptimizer(OptimizerKind kind, const OptimizerHyperparameters &hyper,
                                const Tensor &param, const Tensor &grad,
                                ArrayRef<Tensor> state, double lr, int64_t step) {
  size_t slots = kind == OptimizerKind::Sgd ? 0 : kind == OptimizerKind::Momentum ? 1 : 2;
  if (state.size() != slots)
    return fail("apply_optimizer: expected " + llvm::Twine(slots) + " state tensors, got " +
                llvm::Twine(state.size()));
  if (param.isInteger || grad.shape != param.shape ||
      llvm::any_of(state, [&](const Tensor &s) { return s.shape != param.shape; }))
    return fail("apply_optimizer: param, grad and state must be float tensors of one shape");
  if (kind == OptimizerKind::Adam && step < 1)
    return fail("apply_optimizer: adam needs a step number of at least 1, got " +
                llvm::Twine(step));
  OptimizerUpdate out{param, {state.begin(), state.end()}};
  // Adam's bias corrections for step t.
  double correction1 = 1 - std::pow(hyper.beta1, (double)step);
  double correction2 = std::sqrt(1 - std::pow(hyper.beta2, (double)step));
  for (int64_t i = 0; i < param.numElements(); ++i) {
    double p = param.data[i];
    double g = grad.data[i] + hyper.weightDecay * p;
    switch (kind) {
    case OptimizerKind::Sgd:
      p -= lr * g;
      break;
    case OptimizerKind::Momentum: {
      double &v = out.state[0].data[i];
      v = hyper.beta * v + g;
      p -= lr * v;
      break;
    }
    case OptimizerKind::Adam: {
      double &m = out.state[0].data[i];
      double &v = out.state[1].data[i];
      m = hyper.beta1 * m + (1 - hyper.beta1) * g;
      v = hyper.beta2 * v + (1 - hyper.beta2) * g * g;
      p -= lr / correction1 * m / (std::sqrt(v) / correction2 + hyper.eps);
      break;
    }
    }
    out.param.data[i] = p;
  }
  return out;
}
