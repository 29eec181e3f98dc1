//===- GradientKernelsTest.cpp - Reference kernels of the gradient ops ----===//
//
// The kernels that the backward graph runs on in the reference interpreter:
// hand-computed cases for each, adjoint identities for the convolution and
// pooling gradients (<op(x), y> == <x, op_grad(y)>) over stride and padding
// combinations, the optimizer updates against their formulas, and the
// interpreter's dispatch of the ops, dnn.gradient results and f64 mode.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Reference/Kernels.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

using namespace dnnc;
using namespace dnnc::reference;

namespace {

using Values = std::vector<double>;
using Dims = std::vector<int64_t>;

Tensor f32(Dims shape, Values data) { return Tensor{false, std::move(shape), std::move(data)}; }
Tensor i32(Dims shape, Values data) { return Tensor{true, std::move(shape), std::move(data)}; }

::testing::AssertionResult near(const Values &actual, const Values &expected,
                                double tolerance = 1e-12) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "has " << actual.size() << " elements, expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i)
    if (!(std::fabs(actual[i] - expected[i]) <= tolerance * (1 + std::fabs(expected[i]))))
      return ::testing::AssertionFailure()
             << "element " << i << " is " << actual[i] << ", expected " << expected[i];
  return ::testing::AssertionSuccess();
}

/// Unwraps an Expected, failing the test on an error.
template <typename T> T get(llvm::Expected<T> value) {
  if (!value) {
    ADD_FAILURE() << llvm::toString(value.takeError());
    return T();
  }
  return std::move(*value);
}

/// The error message of a failed Expected ("" on success).
template <typename T> std::string errorOf(llvm::Expected<T> value) {
  if (value)
    return "";
  return llvm::toString(value.takeError());
}

Tensor random(Dims shape, std::mt19937_64 &rng) {
  Tensor t = makeTensor(shape);
  for (double &v : t.data)
    v = (double)(rng() >> 11) * 0x1.0p-53 * 2 - 1;
  return t;
}

double dot(const Tensor &a, const Tensor &b) {
  EXPECT_EQ(a.shape, b.shape);
  double acc = 0;
  for (size_t i = 0; i < a.data.size() && i < b.data.size(); ++i)
    acc += a.data[i] * b.data[i];
  return acc;
}

} // namespace

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST(GradientKernels, ReluGradRoutesByTheInputSign) {
  Tensor x = f32({4}, {-1, 0, 2, 0.5}), g = f32({4}, {1, 2, 3, 4});
  EXPECT_TRUE(near(get(reluGrad(x, g, 0)).data, Values{0, 0, 3, 4}));
  // Leaky: slope * grad where the input is not positive (0 included).
  EXPECT_TRUE(near(get(reluGrad(x, g, 0.1)).data, Values{0.1, 0.2, 3, 4}));
  EXPECT_NE(errorOf(reluGrad(x, f32({2}, {1, 2}), 0)), "");
  // relu selects: where it is flat an infinite or NaN grad gives 0, as in
  // torch (sqrt(relu(x)) at x <= 0); a leaky slope multiplies.
  Tensor bad = f32({3}, {INFINITY, NAN, 1});
  Tensor at = f32({3}, {0, -1, 1});
  EXPECT_EQ(get(reluGrad(at, bad, 0)).data, (Values{0, 0, 1}));
  Tensor leaky = get(reluGrad(at, bad, 0.5));
  EXPECT_TRUE(std::isinf(leaky.data[0]) && std::isnan(leaky.data[1]));
}

TEST(GradientKernels, SignOfEachElement) {
  Tensor s = sign(f32({5}, {-2, -0.0, 0, 3, 1e-30}));
  EXPECT_EQ(s.data, (Values{-1, 0, 0, 1, 1}));
  EXPECT_TRUE(std::isnan(sign(f32({1}, {NAN})).data[0]));
}

TEST(GradientKernels, EqualBroadcastsAndKeepsTheElementType) {
  Tensor e = get(equal(f32({2, 2}, {1, 2, 3, 2}), f32({2}, {1, 2})));
  EXPECT_EQ(e.shape, (Dims{2, 2}));
  EXPECT_FALSE(e.isInteger);
  EXPECT_EQ(e.data, (Values{1, 1, 0, 1}));
  Tensor ei = get(equal(i32({3}, {4, 5, 6}), i32({}, {5})));
  EXPECT_TRUE(ei.isInteger);
  EXPECT_EQ(ei.data, (Values{0, 1, 0}));
  EXPECT_NE(errorOf(equal(f32({2}, {1, 2}), i32({2}, {1, 2}))), "");
  EXPECT_NE(errorOf(equal(f32({2}, {1, 2}), f32({3}, {1, 2, 3}))), "");
}

// Every binary kind names itself in its errors (max, the kind the gradient
// of maximum-style ops uses, was past the end of the name table).
TEST(GradientKernels, BinaryKernelsNameThemselvesInErrors) {
  EXPECT_EQ(errorOf(binary(BinaryKind::Max, f32({2}, {1, 2}), i32({2}, {1, 2}))),
            "max: operands mix integer and float element types");
  EXPECT_EQ(errorOf(binary(BinaryKind::Div, f32({2}, {1, 2}), i32({2}, {1, 2}))),
            "div: operands mix integer and float element types");
  EXPECT_TRUE(near(get(binary(BinaryKind::Max, f32({3}, {1, 5, -2}), f32({}, {0}))).data,
                   {1, 5, 0}));
}

//===----------------------------------------------------------------------===//
// broadcast_like and slice
//===----------------------------------------------------------------------===//

TEST(GradientKernels, BroadcastLikeOverDroppedAxes) {
  // [2] over axis 1 of [2, 3]: each row repeats its value.
  Tensor r = get(broadcastLike(f32({2}, {1, 2}), {2, 3}, {1}, false));
  EXPECT_EQ(r.shape, (Dims{2, 3}));
  EXPECT_EQ(r.data, (Values{1, 1, 1, 2, 2, 2}));
  // [3] over axis 0 (negative axes count from the end).
  Tensor c = get(broadcastLike(f32({3}, {1, 2, 3}), {2, 3}, {-2}, false));
  EXPECT_EQ(c.data, (Values{1, 2, 3, 1, 2, 3}));
  // [3] over axes 0 and 2 of [2, 3, 2], divided by 2 * 2.
  Tensor m = get(broadcastLike(f32({3}, {4, 8, 12}), {2, 3, 2}, {0, 2}, true));
  EXPECT_EQ(m.data, (Values{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  // A scalar over everything: the gradient of a mean.
  Tensor s = get(broadcastLike(f32({}, {1}), {2, 2}, {0, 1}, true));
  EXPECT_EQ(s.data, (Values{0.25, 0.25, 0.25, 0.25}));
}

TEST(GradientKernels, BroadcastLikeOverKeptAxes) {
  Tensor r = get(broadcastLike(f32({2, 1}, {1, 2}), {2, 3}, {1}, true));
  EXPECT_TRUE(near(r.data, Values{1 / 3.0, 1 / 3.0, 1 / 3.0, 2 / 3.0, 2 / 3.0, 2 / 3.0}));
  Tensor c = get(broadcastLike(f32({1, 3, 1}, {1, 2, 3}), {2, 3, 2}, {0, 2}, false));
  EXPECT_EQ(c.data, (Values{1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3}));
  // No axes: the identity (with or without divide_by_count).
  Tensor id = get(broadcastLike(f32({2}, {5, 6}), {2}, {}, true));
  EXPECT_EQ(id.data, (Values{5, 6}));
}

TEST(GradientKernels, BroadcastLikeRejectsMismatches) {
  EXPECT_NE(errorOf(broadcastLike(f32({2}, {1, 2}), {3, 3}, {1}, false)), "");
  EXPECT_NE(errorOf(broadcastLike(f32({2, 2}, {1, 2, 3, 4}), {2, 3}, {1}, false)), "");
  EXPECT_NE(errorOf(broadcastLike(f32({2}, {1, 2}), {2, 3}, {1, 1}, false)), "");
  EXPECT_NE(errorOf(broadcastLike(f32({2}, {1, 2}), {2, 3}, {2}, false)), "");
  EXPECT_NE(errorOf(broadcastLike(f32({2}, {1, 2}), {2, 3, 4}, {1}, false)), "");
}

TEST(GradientKernels, SliceAlongAnAxis) {
  Tensor x = f32({2, 5}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor s = get(slice(x, 1, 1, 3));
  EXPECT_EQ(s.shape, (Dims{2, 3}));
  EXPECT_EQ(s.data, (Values{1, 2, 3, 6, 7, 8}));
  EXPECT_EQ(get(slice(x, 0, 1, 1)).data, (Values{5, 6, 7, 8, 9}));
  EXPECT_EQ(get(slice(x, -1, 4, 1)).data, (Values{4, 9}));
  EXPECT_NE(errorOf(slice(x, 1, 3, 3)), "");
  EXPECT_NE(errorOf(slice(x, 2, 0, 1)), "");
}

TEST(GradientKernels, SliceUndoesConcat) {
  Tensor a = f32({2, 1}, {1, 2}), b = f32({2, 2}, {3, 4, 5, 6});
  Tensor c = get(concat({&a, &b}, 1));
  EXPECT_EQ(get(slice(c, 1, 0, 1)).data, a.data);
  EXPECT_EQ(get(slice(c, 1, 1, 2)).data, b.data);
}

//===----------------------------------------------------------------------===//
// Convolution
//===----------------------------------------------------------------------===//

TEST(GradientKernels, Conv2dGradsByHand) {
  // x = [[1, 2, 3], [4, 5, 6], [7, 8, 9]], w = [[1, 0], [0, -1]], stride 1:
  // y[i][j] = x[i][j] - x[i+1][j+1].
  Tensor x = f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = f32({1, 1, 2, 2}, {1, 0, 0, -1});
  Tensor g = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  // dx[a][b] = sum over outputs reading x[a][b]: +g[a][b], -g[a-1][b-1].
  Tensor dx = get(conv2dInputGrad(g, w, {1, 1, 3, 3}, {1, 1}, {0, 0}));
  EXPECT_EQ(dx.shape, (Dims{1, 1, 3, 3}));
  EXPECT_EQ(dx.data, (Values{1, 2, 0, 3, 4 - 1, -2, 0, -3, -4}));
  // dw[i][j] = sum_{y, x} g[y][x] * x[y + i][x + j].
  Tensor dw = get(conv2dFilterGrad(x, g, {2, 2}, {1, 1}, {0, 0}));
  EXPECT_EQ(dw.shape, (Dims{1, 1, 2, 2}));
  EXPECT_EQ(dw.data, (Values{1 * 1 + 2 * 2 + 3 * 4 + 4 * 5, 1 * 2 + 2 * 3 + 3 * 5 + 4 * 6,
                             1 * 4 + 2 * 5 + 3 * 7 + 4 * 8, 1 * 5 + 2 * 6 + 3 * 8 + 4 * 9}));
}

TEST(GradientKernels, Conv2dGradsWithPaddingAndStrideByHand) {
  // A 1x1 filter of weight 2, padding 1, stride 2 over a 2x2 input: the
  // output [2, 2] reads x only at (-1,-1)... (1, 1), so only x[1][1] is read,
  // by output (1, 1).
  Tensor w = f32({1, 1, 1, 1}, {2});
  Tensor g = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor dx = get(conv2dInputGrad(g, w, {1, 1, 2, 2}, {2, 2}, {1, 1}));
  EXPECT_EQ(dx.data, (Values{0, 0, 0, 8}));
  Tensor x = f32({1, 1, 2, 2}, {5, 6, 7, 8});
  EXPECT_EQ(get(conv2dFilterGrad(x, g, {1, 1}, {2, 2}, {1, 1})).data, (Values{4 * 8}));
}

namespace {
struct ConvCase {
  Dims x, w;
  Dims stride, padding;
};
} // namespace

TEST(GradientKernels, Conv2dGradsAreAdjoints) {
  // <conv(x, w), y> is bilinear, so it equals <x, dx(y, w)> and <w, dw(x, y)>.
  // Shapes include extents that the stride does not divide (unread rows),
  // rectangular filters, and padding larger than half the filter.
  const ConvCase cases[] = {
      {{2, 3, 5, 5}, {4, 3, 3, 3}, {1, 1}, {0, 0}},
      {{2, 3, 5, 5}, {4, 3, 3, 3}, {1, 1}, {1, 1}},
      {{1, 2, 7, 6}, {3, 2, 3, 3}, {2, 2}, {1, 1}},
      {{2, 2, 8, 8}, {2, 2, 3, 3}, {2, 2}, {0, 0}},
      {{1, 3, 6, 7}, {2, 3, 3, 2}, {1, 2}, {2, 0}},
      {{3, 1, 9, 5}, {2, 1, 4, 2}, {3, 2}, {1, 2}},
      {{1, 2, 4, 4}, {1, 2, 1, 1}, {2, 3}, {0, 1}},
      {{2, 1, 5, 5}, {3, 1, 5, 5}, {1, 1}, {2, 2}},
  };
  std::mt19937_64 rng(7);
  for (const ConvCase &c : cases) {
    SCOPED_TRACE("x " + shapeString(c.x) + " w " + shapeString(c.w) + " stride " +
                 shapeString(c.stride) + " padding " + shapeString(c.padding));
    Tensor x = random(c.x, rng), w = random(c.w, rng);
    Tensor y = get(conv2d(x, w, nullptr, c.stride, c.padding));
    Tensor g = random(y.shape, rng);
    double forward = dot(y, g);
    Tensor dx = get(conv2dInputGrad(g, w, c.x, c.stride, c.padding));
    Tensor dw = get(conv2dFilterGrad(x, g, {c.w[2], c.w[3]}, c.stride, c.padding));
    EXPECT_NEAR(dot(x, dx), forward, 1e-12 * (1 + std::fabs(forward)));
    EXPECT_NEAR(dot(w, dw), forward, 1e-12 * (1 + std::fabs(forward)));
  }
}

TEST(GradientKernels, Conv2dGradsRejectMismatchedShapes) {
  Tensor w = f32({1, 1, 2, 2}, {1, 0, 0, 1});
  // The forward result of a 3x3 input is 2x2, not 3x3.
  Tensor g = makeTensor({1, 1, 3, 3});
  EXPECT_NE(errorOf(conv2dInputGrad(g, w, {1, 1, 3, 3}, {1, 1}, {0, 0})), "");
  EXPECT_NE(errorOf(conv2dFilterGrad(makeTensor({1, 1, 3, 3}), g, {2, 2}, {1, 1}, {0, 0})),
            "");
  EXPECT_NE(errorOf(conv2dInputGrad(makeTensor({1, 1, 2, 2}), w, {1, 2, 3, 3}, {1, 1},
                                    {0, 0})),
            "");
}

//===----------------------------------------------------------------------===//
// Pooling
//===----------------------------------------------------------------------===//

TEST(GradientKernels, MaxPoolGradGoesToTheFirstMaximum) {
  // One 2x2 window with a tie at (0, 1) and (1, 0): row-major order picks
  // (0, 1), as the forward maxpool and torch do.
  Tensor x = f32({1, 1, 2, 2}, {1, 3, 3, 2});
  Tensor dx = get(maxPool2dGrad(x, f32({1, 1, 1, 1}, {5}), {2, 2}, {2, 2}, {0, 0}));
  EXPECT_EQ(dx.data, (Values{0, 5, 0, 0}));
  // Overlapping windows (stride 1) add up at a shared maximum.
  Tensor y = f32({1, 1, 2, 3}, {0, 9, 1, 2, 3, 4});
  Tensor dy = get(maxPool2dGrad(y, f32({1, 1, 1, 2}, {1, 10}), {2, 2}, {1, 1}, {0, 0}));
  EXPECT_EQ(dy.data, (Values{0, 11, 0, 0, 0, 0}));
}

TEST(GradientKernels, MaxPoolGradPaddingNeverWins) {
  // All-negative input with padding 1: every window's maximum is an input
  // element, never a padded zero.
  Tensor x = f32({1, 1, 2, 2}, {-4, -3, -2, -1});
  Tensor g = f32({1, 1, 2, 2}, {1, 2, 3, 4});
  // Windows of size 2, stride 2, padding 1 each hold one input element.
  Tensor dx = get(maxPool2dGrad(x, g, {2, 2}, {2, 2}, {1, 1}));
  EXPECT_EQ(dx.data, (Values{1, 2, 3, 4}));
  // Size 3, stride 1, padding 1: every window holds -1 at (1, 1).
  Tensor d3 = get(maxPool2dGrad(x, g, {3, 3}, {1, 1}, {1, 1}));
  EXPECT_EQ(d3.data, (Values{0, 0, 0, 10}));
}

TEST(GradientKernels, PoolGradsAreAdjoints) {
  // avgpool is linear, so <avgpool(x), y> == <x, avgpool_grad(y)>; maxpool
  // is linear in x once each window's winner is fixed, so the same holds
  // with maxpool_grad(x, y).
  const ConvCase cases[] = {
      {{2, 3, 4, 4}, {2, 2}, {2, 2}, {0, 0}},
      {{1, 2, 5, 5}, {3, 3}, {1, 1}, {1, 1}},
      {{2, 1, 7, 6}, {3, 2}, {2, 2}, {1, 0}},
      {{1, 2, 6, 7}, {2, 3}, {3, 2}, {1, 1}},
      {{1, 1, 5, 5}, {2, 2}, {2, 2}, {1, 1}},
  };
  std::mt19937_64 rng(11);
  for (const ConvCase &c : cases) {
    Dims size = c.w;
    SCOPED_TRACE("x " + shapeString(c.x) + " size " + shapeString(size) + " stride " +
                 shapeString(c.stride) + " padding " + shapeString(c.padding));
    Tensor x = random(c.x, rng);
    Tensor avg = get(pool2d(PoolKind::Avg, x, size, c.stride, c.padding));
    Tensor g = random(avg.shape, rng);
    Tensor dxAvg = get(avgPool2dGrad(g, c.x, size, c.stride, c.padding));
    EXPECT_NEAR(dot(x, dxAvg), dot(avg, g), 1e-12);
    Tensor mx = get(pool2d(PoolKind::Max, x, size, c.stride, c.padding));
    Tensor dxMax = get(maxPool2dGrad(x, g, size, c.stride, c.padding));
    EXPECT_NEAR(dot(x, dxMax), dot(mx, g), 1e-12);
  }
}

TEST(GradientKernels, AvgPoolGradCountsPaddingAsZeros) {
  // 2x2 input, size 2, stride 1, padding 1: a 3x3 output whose corner windows
  // hold one input element each, all divided by 4.
  Tensor g = f32({1, 1, 3, 3}, {1, 1, 1, 1, 1, 1, 1, 1, 1});
  Tensor dx = get(avgPool2dGrad(g, {1, 1, 2, 2}, {2, 2}, {1, 1}, {1, 1}));
  // Each input element lies in 4 windows.
  EXPECT_EQ(dx.data, (Values{1, 1, 1, 1}));
  Tensor g2 = f32({1, 1, 3, 3}, {4, 0, 0, 0, 0, 0, 0, 0, 8});
  EXPECT_EQ(get(avgPool2dGrad(g2, {1, 1, 2, 2}, {2, 2}, {1, 1}, {1, 1})).data,
            (Values{1, 0, 0, 2}));
  EXPECT_NE(errorOf(avgPool2dGrad(g2, {1, 1, 3, 3}, {2, 2}, {1, 1}, {1, 1})), "");
}

//===----------------------------------------------------------------------===//
// Optimizers
//===----------------------------------------------------------------------===//

TEST(GradientKernels, SgdWithWeightDecay) {
  OptimizerHyperparameters hyper;
  hyper.weightDecay = 0.5;
  auto out = get(applyOptimizer(OptimizerKind::Sgd, hyper, f32({2}, {1, -2}),
                                f32({2}, {0.25, 1}), {}, 0.1, 1));
  // g' = g + 0.5 p = [0.75, 0]; p -= 0.1 g'.
  EXPECT_TRUE(near(out.param.data, Values{1 - 0.075, -2}));
  EXPECT_TRUE(out.state.empty());
}

TEST(GradientKernels, MomentumOverTwoSteps) {
  OptimizerHyperparameters hyper;
  hyper.beta = 0.9;
  Tensor p = f32({1}, {1}), g = f32({1}, {2});
  auto one = get(applyOptimizer(OptimizerKind::Momentum, hyper, p, g, {f32({1}, {0})}, 0.1, 1));
  // v = 2; p = 1 - 0.2.
  EXPECT_TRUE(near(one.state[0].data, Values{2}));
  EXPECT_TRUE(near(one.param.data, Values{0.8}));
  auto two = get(applyOptimizer(OptimizerKind::Momentum, hyper, one.param, g, one.state,
                                0.1, 2));
  // v = 0.9 * 2 + 2 = 3.8; p = 0.8 - 0.38.
  EXPECT_TRUE(near(two.state[0].data, Values{3.8}));
  EXPECT_TRUE(near(two.param.data, Values{0.42}));
}

TEST(GradientKernels, AdamMatchesItsFormula) {
  OptimizerHyperparameters hyper;
  hyper.beta1 = 0.9;
  hyper.beta2 = 0.99;
  hyper.eps = 1e-3;
  hyper.weightDecay = 0.1;
  double lr = 0.01;
  Values p = {1, -1}, g = {0.5, 2};
  Tensor param = f32({2}, p);
  std::vector<Tensor> state = {f32({2}, {0, 0}), f32({2}, {0, 0})};
  Values m(2, 0), v(2, 0);
  for (int64_t t = 1; t <= 3; ++t) {
    auto out = get(applyOptimizer(OptimizerKind::Adam, hyper, param, f32({2}, g), state, lr, t));
    for (int i = 0; i < 2; ++i) {
      double gi = g[i] + 0.1 * p[i];
      m[i] = 0.9 * m[i] + 0.1 * gi;
      v[i] = 0.99 * v[i] + 0.01 * gi * gi;
      double mHat = m[i] / (1 - std::pow(0.9, t)), vHat = v[i] / (1 - std::pow(0.99, t));
      p[i] -= lr * mHat / (std::sqrt(vHat) + 1e-3);
    }
    EXPECT_TRUE(near(out.param.data, p, 1e-12));
    EXPECT_TRUE(near(out.state[0].data, m, 1e-12));
    EXPECT_TRUE(near(out.state[1].data, v, 1e-12));
    param = out.param;
    state = out.state;
  }
  // The first Adam step moves each parameter by about lr, whatever the scale.
  auto first = get(applyOptimizer(OptimizerKind::Adam, OptimizerHyperparameters{},
                                  f32({1}, {0}), f32({1}, {1000}),
                                  {f32({1}, {0}), f32({1}, {0})}, 0.01, 1));
  EXPECT_NEAR(first.param.data[0], -0.01, 1e-9);
}

TEST(GradientKernels, OptimizerRejectsBadState) {
  EXPECT_NE(errorOf(applyOptimizer(OptimizerKind::Adam, {}, f32({1}, {0}), f32({1}, {0}),
                                   {f32({1}, {0})}, 0.1, 1)),
            "");
  EXPECT_NE(errorOf(applyOptimizer(OptimizerKind::Adam, {}, f32({1}, {0}), f32({1}, {0}),
                                   {f32({1}, {0}), f32({1}, {0})}, 0.1, 0)),
            "");
  EXPECT_NE(errorOf(applyOptimizer(OptimizerKind::Sgd, {}, f32({2}, {0, 0}), f32({1}, {0}),
                                   {}, 0.1, 1)),
            "");
}

//===----------------------------------------------------------------------===//
// The interpreter on gradient ops
//===----------------------------------------------------------------------===//

namespace {
class GradientInterpreterTest : public ::testing::Test {
protected:
  GradientInterpreterTest() {
    mlir::DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
    context.loadAllAvailableDialects();
  }

  /// Parses `ir`; fails the test if it does not parse.
  mlir::ModuleOp parse(llvm::StringRef ir) {
    parsed = mlir::parseSourceString<mlir::ModuleOp>(ir, mlir::ParserConfig(&context));
    EXPECT_TRUE(parsed) << "cannot parse the IR";
    return parsed ? *parsed : mlir::ModuleOp();
  }

  dnn::ModelOp model(llvm::StringRef ir) {
    mlir::ModuleOp module = parse(ir);
    return module ? *module.getOps<dnn::ModelOp>().begin() : dnn::ModelOp();
  }

  mlir::MLIRContext context;
  mlir::OwningOpRef<mlir::ModuleOp> parsed;
};
} // namespace

TEST_F(GradientInterpreterTest, ElementwiseGradientOpsAndNamedGradients) {
  dnn::ModelOp m = model(R"(
dnn.model @m {
  %x = dnn.input "x" : tensor<2x3xf32>
  %w = dnn.param "w" init zeros : tensor<2x3xf32>
  %r = dnn.relu_grad %x, %w slope 1.000000e-01 : tensor<2x3xf32>
  %s = dnn.sign %x : tensor<2x3xf32>
  %e = dnn.equal %x, %w : tensor<2x3xf32>, tensor<2x3xf32>
  %half = dnn.constant dense<5.0e-01> : tensor<f32>
  %mx = dnn.maximum %x, %half : tensor<2x3xf32>, tensor<f32>
  %sum = dnn.sum %x axes [1] : tensor<2x3xf32>
  %b = dnn.broadcast_like %sum like %x axes [1] divide_by_count : tensor<2xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  %sl = dnn.slice %x axis 1 start 1 : tensor<2x3xf32> -> tensor<2x2xf32>
  dnn.output "s" %s : tensor<2x3xf32>
  dnn.output "e" %e : tensor<2x3xf32>
  dnn.output "mx" %mx : tensor<2x3xf32>
  dnn.output "b" %b : tensor<2x3xf32>
  dnn.output "sl" %sl : tensor<2x2xf32>
  dnn.gradient "w" %r : tensor<2x3xf32>
})");
  ASSERT_TRUE(m);
  auto out = get(evaluate(m, {{"x", f32({2, 3}, {-1, 0, 2, 3, -4, 0})},
                              {"w", f32({2, 3}, {1, 0, 3, 3, 5, 6})}}));
  EXPECT_EQ(out["grad.w"].data, (Values{0.1f, 0, 3, 3, 0.5f, 0.6f}));
  EXPECT_EQ(out["s"].data, (Values{-1, 0, 1, 1, -1, 0}));
  EXPECT_EQ(out["e"].data, (Values{0, 1, 0, 1, 0, 0}));
  EXPECT_EQ(out["mx"].data, (Values{0.5f, 0.5f, 2, 3, 0.5f, 0.5f}));
  EXPECT_TRUE(near(out["b"].data, Values{1 / 3.0f, 1 / 3.0f, 1 / 3.0f, -1 / 3.0f,
                                         -1 / 3.0f, -1 / 3.0f}, 1e-7));
  EXPECT_EQ(out["sl"].data, (Values{0, 2, -4, 0}));
  EXPECT_EQ(gradientKey("w"), "grad.w");
}

TEST_F(GradientInterpreterTest, ConvAndPoolGradientOps) {
  dnn::ModelOp m = model(R"(
dnn.model @m {
  %x = dnn.input "x" symbols ["N"] : tensor<?x1x3x3xf32>
  %w = dnn.param "w" init zeros : tensor<1x1x2x2xf32>
  %g = dnn.input "g" symbols ["N"] : tensor<?x1x2x2xf32>
  %dx = dnn.conv2d_input_grad %g, %w like %x stride [1, 1] padding [0, 0] : tensor<?x1x2x2xf32>, tensor<1x1x2x2xf32>, tensor<?x1x3x3xf32> -> tensor<?x1x3x3xf32>
  %dw = dnn.conv2d_filter_grad %x, %g stride [1, 1] padding [0, 0] : tensor<?x1x3x3xf32>, tensor<?x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %am = dnn.maxpool2d_argmax %x size [2, 2] stride [1, 1] padding [0, 0] : tensor<?x1x3x3xf32> -> tensor<?x1x2x2xi32>
  %mp = dnn.maxpool2d_argmax_grad %am, %g size [2, 2] stride [1, 1] padding [0, 0] : tensor<?x1x2x2xi32>, tensor<?x1x2x2xf32> -> tensor<?x1x3x3xf32>
  %ap = dnn.avgpool2d_grad %g like %x size [2, 2] stride [1, 1] padding [0, 0] : tensor<?x1x2x2xf32>, tensor<?x1x3x3xf32> -> tensor<?x1x3x3xf32>
  dnn.output "dx" %dx : tensor<?x1x3x3xf32>
  dnn.output "am" %am : tensor<?x1x2x2xi32>
  dnn.output "mp" %mp : tensor<?x1x3x3xf32>
  dnn.output "ap" %ap : tensor<?x1x3x3xf32>
  dnn.gradient "w" %dw : tensor<1x1x2x2xf32>
})");
  ASSERT_TRUE(m);
  auto out = get(evaluate(m, {{"x", f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})},
                              {"w", f32({1, 1, 2, 2}, {1, 0, 0, -1})},
                              {"g", f32({1, 1, 2, 2}, {1, 2, 3, 4})}}));
  EXPECT_EQ(out["dx"].data, (Values{1, 2, 0, 3, 3, -2, 0, -3, -4}));
  EXPECT_EQ(out["grad.w"].data, (Values{37, 47, 67, 77}));
  // Each 2x2 window's maximum is its bottom-right element (offset 1 * 2 + 1).
  EXPECT_EQ(out["am"].data, (Values{3, 3, 3, 3}));
  EXPECT_TRUE(out["am"].isInteger);
  EXPECT_EQ(out["mp"].data, (Values{0, 0, 0, 0, 1, 2, 0, 3, 4}));
  EXPECT_EQ(out["ap"].data, (Values{0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1}));
}

TEST_F(GradientInterpreterTest, FilterGradSizeFromTheResultTypeUnderStride) {
  // With stride 2, a 5x5 input gives a 2x2 output for filters of size 2 and
  // 3 alike: only the result type tells them apart.
  dnn::ModelOp m = model(R"(
dnn.model @m {
  %x = dnn.input "x" : tensor<1x1x5x5xf32>
  %g = dnn.input "g" : tensor<1x1x2x2xf32>
  %d2 = dnn.conv2d_filter_grad %x, %g stride [2, 2] padding [0, 0] : tensor<1x1x5x5xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x2x2xf32>
  %d3 = dnn.conv2d_filter_grad %x, %g stride [2, 2] padding [0, 0] : tensor<1x1x5x5xf32>, tensor<1x1x2x2xf32> -> tensor<1x1x3x3xf32>
  dnn.output "d2" %d2 : tensor<1x1x2x2xf32>
  dnn.output "d3" %d3 : tensor<1x1x3x3xf32>
})");
  ASSERT_TRUE(m);
  Tensor x = makeTensor({1, 1, 5, 5}, false, 1);
  auto out = get(evaluate(m, {{"x", x}, {"g", f32({1, 1, 2, 2}, {1, 1, 1, 1})}}));
  EXPECT_EQ(out["d2"].shape, (Dims{1, 1, 2, 2}));
  EXPECT_EQ(out["d3"].shape, (Dims{1, 1, 3, 3}));
  EXPECT_EQ(out["d3"].data, Values(9, 4));
}

TEST_F(GradientInterpreterTest, DoublePrecisionModeSkipsF32Rounding) {
  dnn::ModelOp m = model(R"(
dnn.model @m {
  %x = dnn.input "x" : tensor<f32>
  %c = dnn.constant dense<3.0> : tensor<f32>
  %y = dnn.div %x, %c : tensor<f32>, tensor<f32>
  dnn.output "y" %y : tensor<f32>
})");
  ASSERT_TRUE(m);
  NamedTensors bindings = {{"x", f32({}, {0.1})}};
  auto rounded = get(evaluate(m, bindings));
  EXPECT_EQ(rounded["y"].data[0], (double)(float)((double)0.1f / 3));
  EvaluateOptions options;
  options.roundToElementType = false;
  auto exact = get(evaluate(m, bindings, options));
  EXPECT_EQ(exact["y"].data[0], 0.1 / 3);
}

TEST_F(GradientInterpreterTest, FixedValuesReplaceTheirOps) {
  dnn::ModelOp m = model(R"(
dnn.model @m {
  %x = dnn.input "x" : tensor<2xf32>
  %s = dnn.stop_gradient %x : tensor<2xf32>
  %y = dnn.mul %s, %x : tensor<2xf32>, tensor<2xf32>
  dnn.output "y" %y : tensor<2xf32>
})");
  ASSERT_TRUE(m);
  mlir::Value stopped;
  m.walk([&](dnn::StopGradientOp op) { stopped = op.getResult(); });
  ValueTensors fixed;
  fixed[stopped] = f32({2}, {10, 20});
  EvaluateOptions options;
  options.fixedValues = &fixed;
  auto out = get(evaluate(m, {{"x", f32({2}, {1, 2})}}, options));
  EXPECT_EQ(out["y"].data, (Values{10, 40}));
  fixed[stopped] = f32({3}, {1, 2, 3});
  EXPECT_NE(errorOf(evaluate(m, {{"x", f32({2}, {1, 2})}}, options)), "");
}

TEST_F(GradientInterpreterTest, ApplyOptimizerOpReadsItsHyperparameters) {
  mlir::ModuleOp module = parse(R"(
func.func @step(%p: tensor<2xf32>, %g: tensor<2xf32>, %m: tensor<2xf32>, %v: tensor<2xf32>,
                %lr: tensor<f64>, %t: tensor<i32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %0:3 = dnn.apply_optimizer adam %p, %g state(%m, %v) lr %lr step %t with {lr = 1.0e-03 : f64, beta1 = 0.5 : f64, beta2 = 0.75 : f64, eps = 1.0e-01 : f64, weight_decay = 1.0 : f64} : (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<f64>, tensor<i32>) -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>)
  return %0#0, %0#1, %0#2 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}
func.func @sgd(%p: tensor<2xf32>, %g: tensor<2xf32>, %lr: tensor<f64>, %t: tensor<i32>) -> tensor<2xf32> {
  %0 = dnn.apply_optimizer sgd %p, %g lr %lr step %t with {lr = 1.0 : f64, weight_decay = 0.0 : f64} : (tensor<2xf32>, tensor<2xf32>, tensor<f64>, tensor<i32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
})");
  ASSERT_TRUE(module);
  llvm::SmallVector<dnn::ApplyOptimizerOp> ops;
  module.walk([&](dnn::ApplyOptimizerOp op) { ops.push_back(op); });
  ASSERT_EQ(ops.size(), 2u);
  // Step 2 from m = [0.5, 0], v = [1, 0]; g' = g + p.
  Values p = {1, 2}, g = {1, -2}, m = {0.5, 0}, v = {1, 0};
  auto out = get(evaluateApplyOptimizer(
      ops[0], {f32({2}, p), f32({2}, g), f32({2}, m), f32({2}, v), f32({}, {0.25}),
               i32({}, {2})}));
  ASSERT_EQ(out.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    double gi = g[i] + p[i];
    double mi = 0.5 * m[i] + 0.5 * gi, vi = 0.75 * v[i] + 0.25 * gi * gi;
    double pi = p[i] - 0.25 / (1 - 0.25) * mi / (std::sqrt(vi) / std::sqrt(1 - 0.5625) + 0.1);
    EXPECT_EQ(out[0].data[i], (double)(float)pi);
    EXPECT_EQ(out[1].data[i], (double)(float)mi);
    EXPECT_EQ(out[2].data[i], (double)(float)vi);
  }
  // The run-time lr wins over the attribute's.
  auto sgd = get(evaluateApplyOptimizer(
      ops[1], {f32({2}, {1, 2}), f32({2}, {1, 1}), f32({}, {0.5}), i32({}, {1})}));
  EXPECT_EQ(sgd[0].data, (Values{0.5, 1.5}));
  EXPECT_NE(errorOf(evaluateApplyOptimizer(ops[1], {f32({2}, {1, 2})})), "");
}
