//===- ConvPool.cpp - Reference kernels of convolution and pooling ----------===//
//
// conv2d and pooling over NCHW, and their gradients, each written as the
// adjoint of the forward loop over the same index relation.
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

namespace {

/// The filter size [KH, KW] of a conv2d_filter_grad: from its result type, or
/// where that is dynamic and the stride 1, from the input and grad extents.
Expected<llvm::SmallVector<int64_t, 2>> filterSize(dnnc::dnn::Conv2dFilterGradOp op,
                                                   const Tensor &x, const Tensor &grad) {
  llvm::SmallVector<int64_t, 2> size;
  for (int64_t k = 0; k < 2; ++k) {
    int64_t s = resultDim(op, 2 + k);
    if (s < 0 && x.rank() == 4 && grad.rank() == 4 && op.getStride().size() == 2 &&
        op.getPadding().size() == 2 && op.getStride()[k] == 1)
      s = x.shape[2 + k] + 2 * op.getPadding()[k] - grad.shape[2 + k] + 1;
    if (s < 1)
      return fail("conv2d_filter_grad: the filter size is neither static nor implied by "
                  "the input and grad");
    size.push_back(s);
  }
  return size;
}

} // namespace

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

KernelResult dnnc::reference::support::runConvPoolOp(Operation *op, ArrayRef<const Tensor *> in) {
  using namespace dnnc::dnn;
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](Conv2dOp o) {
        return conv2d(*in[0], *in[1], o.getBias() ? in[2] : nullptr, o.getStride(),
                      o.getPadding());
      })
      .Case([&](MaxPool2dOp o) {
        return pool2d(PoolKind::Max, *in[0], o.getSize(), o.getStride(), o.getPadding());
      })
      .Case([&](AvgPool2dOp o) {
        return pool2d(PoolKind::Avg, *in[0], o.getSize(), o.getStride(), o.getPadding());
      })
      .Case([&](Conv2dInputGradOp o) {
        return conv2dInputGrad(*in[0], *in[1], in[2]->shape, o.getStride(), o.getPadding());
      })
      .Case([&](Conv2dFilterGradOp o) -> Expected<Tensor> {
        auto size = filterSize(o, *in[0], *in[1]);
        if (!size)
          return size.takeError();
        return conv2dFilterGrad(*in[0], *in[1], *size, o.getStride(), o.getPadding());
      })
      .Case([&](MaxPool2dArgmaxOp o) {
        return maxPool2dArgmax(*in[0], o.getSize(), o.getStride(), o.getPadding());
      })
      .Case([&](MaxPool2dArgmaxGradOp o) -> Expected<Tensor> {
        // The input's shape: batch and channels from grad, the plane from
        // the type.
        if (in[1]->rank() != 4)
          return fail("maxpool2d_argmax_grad: grad must have rank 4");
        llvm::SmallVector<int64_t, 4> inputShape = {in[1]->shape[0], in[1]->shape[1], resultDim(o, 2),
                                              resultDim(o, 3)};
        if (llvm::is_contained(inputShape, -1))
          return fail("maxpool2d_argmax_grad: the input's plane is not static");
        return maxPool2dArgmaxGrad(*in[0], *in[1], inputShape, o.getSize(), o.getStride(),
                                   o.getPadding());
      })
      .Case([&](AvgPool2dGradOp o) {
        return avgPool2dGrad(*in[0], in[1]->shape, o.getSize(), o.getStride(),
                             o.getPadding());
      })
      .Default([](Operation *) { return KernelResult(); });
}
