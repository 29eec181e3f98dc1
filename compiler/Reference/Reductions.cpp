//===- Reductions.cpp - Reference kernels of softmax and reductions ---------===//
//
// softmax and log_softmax, sum/mean/max/min over axes, argmax, and
// dnn.count (the divisor of batch statistics).
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

KernelResult dnnc::reference::support::runReductionOp(Operation *op, ArrayRef<const Tensor *> in) {
  using namespace dnnc::dnn;
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](CountOp c) {
        double count = 1;
        for (int64_t axis : c.getAxes())
          count *= (double)in[0]->shape[axis];
        return makeTensor({}, /*isInteger=*/false, count);
      })
      .Case([&](SoftmaxOp o) { return softmax(*in[0], o.getAxisAttr().getInt(), false); })
      .Case([&](LogSoftmaxOp o) {
        return softmax(*in[0], o.getAxisAttr().getInt(), true);
      })
      .Case([&](SumOp o) {
        return reduce(ReduceKind::Sum, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](MeanOp o) {
        return reduce(ReduceKind::Mean, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](MaxOp o) {
        return reduce(ReduceKind::Max, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](MinOp o) {
        return reduce(ReduceKind::Min, *in[0], o.getAxes(), o.getKeepdims());
      })
      .Case([&](ArgmaxOp o) { return argmax(*in[0], o.getAxisAttr().getInt()); })
      .Default([](Operation *) { return KernelResult(); });
}
