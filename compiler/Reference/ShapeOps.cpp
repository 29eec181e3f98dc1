//===- ShapeOps.cpp - Reference kernels of shape ops ------------------------===//
//
// reshape, flatten, transpose, concat, one_hot, and the gradients' slice
// and broadcast_like.
// The kernels are plain loops over row-major data (Kernels.h); the binding
// at the end reads each op's attributes for them.
//
//===----------------------------------------------------------------------===//

#include "KernelSupport.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/TypeSwitch.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace dnnc::reference;
using namespace dnnc::reference::support;
using llvm::ArrayRef;
using llvm::Expected;
using mlir::Operation;

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

KernelResult dnnc::reference::support::runShapeOp(Operation *op, ArrayRef<const Tensor *> in) {
  using namespace dnnc::dnn;
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](ReshapeOp o) { return reshape(*in[0], o.getShape()); })
      .Case([&](FlattenOp) { return flatten(*in[0]); })
      .Case([&](TransposeOp o) { return transpose(*in[0], o.getPerm()); })
      .Case([&](ConcatOp o) { return concat(in, o.getAxisAttr().getInt()); })
      .Case([&](OneHotOp o) { return oneHot(*in[0], o.getNumClassesAttr().getInt()); })
      .Case([&](BroadcastLikeOp o) {
        return broadcastLike(*in[0], in[1]->shape, o.getAxes(), o.getDivideByCount());
      })
      .Case([&](SliceOp o) -> Expected<Tensor> {
        int64_t size = resultDim(o, o.getAxis());
        if (size < 0)
          return fail("slice: the sliced size is not static");
        return slice(*in[0], o.getAxis(), o.getStart(), size);
      })
      .Default([](Operation *) { return KernelResult(); });
}
