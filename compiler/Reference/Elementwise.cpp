//===- Elementwise.cpp - Reference kernels of elementwise ops ---------------===//
//
// Arithmetic with NumPy broadcasting, the activations, and the derivatives
// their gradients use (relu_grad, gelu_grad, sign, equal, maximum).
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

Expected<Tensor> dnnc::reference::binary(BinaryKind kind, const Tensor &lhs,
                                         const Tensor &rhs) {
  static const char *names[] = {"add", "sub", "mul", "div", "max"};
  static_assert(std::size(names) == size_t(BinaryKind::Max) + 1, "a name per BinaryKind");
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

KernelResult dnnc::reference::support::runElementwiseOp(Operation *op, ArrayRef<const Tensor *> in) {
  using namespace dnnc::dnn;
  auto sigmoid = [](double x) { return 1.0 / (1.0 + std::exp(-x)); };
  return llvm::TypeSwitch<Operation *, KernelResult>(op)
      .Case([&](AddOp) { return binary(BinaryKind::Add, *in[0], *in[1]); })
      .Case([&](SubOp) { return binary(BinaryKind::Sub, *in[0], *in[1]); })
      .Case([&](MulOp) { return binary(BinaryKind::Mul, *in[0], *in[1]); })
      .Case([&](DivOp) { return binary(BinaryKind::Div, *in[0], *in[1]); })
      .Case([&](NegOp) { return negate(*in[0]); })
      .Case([&](AbsOp) { return absolute(*in[0]); })
      .Case([&](StopGradientOp) { return *in[0]; })
      .Case([&](ReluOp) { return map(*in[0], [](double x) { return x > 0 ? x : 0.0; }); })
      .Case([&](SigmoidOp) { return map(*in[0], sigmoid); })
      .Case([&](SiluOp) { return map(*in[0], [&](double x) { return x * sigmoid(x); }); })
      .Case([&](GeluOp o) { return gelu(*in[0], o.getTanh()); })
      .Case([&](SoftplusOp) {
        // log(1 + exp(x)) without overflow: max(x, 0) + log1p(exp(-|x|)).
        return map(*in[0], [](double x) {
          return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x)));
        });
      })
      .Case([&](TanhOp) { return map(*in[0], [](double x) { return std::tanh(x); }); })
      .Case([&](ExpOp) { return map(*in[0], [](double x) { return std::exp(x); }); })
      .Case([&](LogOp) { return map(*in[0], [](double x) { return std::log(x); }); })
      .Case([&](SqrtOp) { return map(*in[0], [](double x) { return std::sqrt(x); }); })
      .Case([&](LeakyReluOp o) {
        double slope = o.getSlopeAttr().getValueAsDouble();
        return map(*in[0], [&](double x) { return x > 0 ? x : slope * x; });
      })
      .Case([&](PowOp o) {
        double e = o.getExponentAttr().getValueAsDouble();
        return map(*in[0], [&](double x) { return std::pow(x, e); });
      })
      .Case([&](ReluGradOp o) {
        return reluGrad(*in[0], *in[1], o.getSlopeAttr().getValueAsDouble());
      })
      .Case([&](GeluGradOp o) { return geluGrad(*in[0], *in[1], o.getTanh()); })
      .Case([&](SignOp) { return sign(*in[0]); })
      .Case([&](EqualOp) { return equal(*in[0], *in[1]); })
      .Case([&](MaximumOp) { return binary(BinaryKind::Max, *in[0], *in[1]); })
      .Default([](Operation *) { return KernelResult(); });
}
