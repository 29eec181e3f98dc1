//===- ShapeTest.cpp - Shape rules with symbolic and unknown dimensions ---===//

#include "dnnc/Support/Shape.h"

#include <gtest/gtest.h>

using namespace dnnc;
namespace rules = dnnc::shape_rules;

namespace {
Dim c(int64_t n) { return Dim::constant(n); }
Dim s(const char *name) { return Dim::symbol(name); }
std::string str(const llvm::FailureOr<Shape> &shape) {
  return succeeded(shape) ? shapeToString(*shape) : "failure";
}
} // namespace

TEST(ShapeRules, BroadcastAlignsTrailingDimensions) {
  std::string why;
  EXPECT_EQ(str(rules::broadcast({s("N"), c(512)}, {c(512)}, why)), "[N, 512]");
  EXPECT_EQ(str(rules::broadcast({s("N"), c(1)}, {c(3), c(1), c(4)}, why)), "[3, N, 4]");
  EXPECT_EQ(str(rules::broadcast({}, {c(2), c(3)}, why)), "[2, 3]");
}

TEST(ShapeRules, BroadcastRejectsDifferentDimensions) {
  std::string why;
  EXPECT_TRUE(failed(rules::broadcast({c(3)}, {c(4)}, why)));
  EXPECT_EQ(why, "dimensions 3 and 4 are not broadcast-compatible");
  EXPECT_TRUE(failed(rules::broadcast({s("N")}, {s("M")}, why)));
  EXPECT_TRUE(failed(rules::broadcast({s("N")}, {c(5)}, why)));
}

TEST(ShapeRules, UnknownDimensionsUnifyWithAnything) {
  std::string why;
  EXPECT_EQ(str(rules::broadcast({Dim::unknown(), c(4)}, {c(7), c(4)}, why)), "[7, 4]");
  EXPECT_EQ(str(rules::matmul({Dim::unknown(), Dim::unknown()}, {c(3), c(2)}, why)), "[?, 2]");
}

TEST(ShapeRules, MatmulChecksInnerAndBatchDimensions) {
  std::string why;
  EXPECT_EQ(str(rules::matmul({s("N"), c(784)}, {c(784), c(10)}, why)), "[N, 10]");
  EXPECT_EQ(str(rules::matmul({c(5), s("N"), c(3)}, {c(1), c(3), c(2)}, why)), "[5, N, 2]");
  EXPECT_TRUE(failed(rules::matmul({s("N"), c(784)}, {c(512), c(10)}, why)));
  EXPECT_EQ(why, "inner dimensions 784 and 512 differ");
  EXPECT_TRUE(failed(rules::matmul({c(3)}, {c(3), c(2)}, why)));
}

TEST(ShapeRules, ReduceAndKeepDims) {
  std::string why;
  EXPECT_EQ(str(rules::reduce({s("N"), c(10)}, {1}, false, why)), "[N]");
  EXPECT_EQ(str(rules::reduce({s("N"), c(10)}, {1}, true, why)), "[N, 1]");
  EXPECT_EQ(str(rules::reduce({s("N"), c(10)}, {}, false, why)), "[]");
  EXPECT_TRUE(failed(rules::reduce({c(2)}, {1}, false, why)));
}

TEST(ShapeRules, NormalizeAxis) {
  std::string why;
  EXPECT_EQ(*rules::normalizeAxis(-1, 2, why), 1);
  EXPECT_TRUE(failed(rules::normalizeAxis(2, 2, why)));
  EXPECT_EQ(why, "axis 2 is out of range for a tensor of rank 2");
}

TEST(ShapeRules, ReshapeComparesSymbolicElementCounts) {
  std::string why;
  EXPECT_EQ(str(rules::reshape({s("N"), c(784)}, {s("N"), c(1), c(28), c(28)}, why)),
            "[N, 1, 28, 28]");
  EXPECT_TRUE(failed(rules::reshape({s("N"), c(784)}, {s("N"), c(1), c(28), c(27)}, why)));
  EXPECT_TRUE(failed(rules::reshape({s("N"), c(784)}, {s("M"), c(784)}, why)));
}

TEST(ShapeRules, FlattenKeepsTheFirstDimension) {
  std::string why;
  EXPECT_EQ(str(rules::flatten({s("N"), c(16), c(5), c(5)}, why)), "[N, 400]");
  EXPECT_TRUE(failed(rules::flatten({c(2), s("N")}, why)));
}

TEST(ShapeRules, TransposeNeedsAPermutation) {
  std::string why;
  EXPECT_EQ(str(rules::transpose({s("N"), c(2), c(3)}, {0, 2, 1}, why)), "[N, 3, 2]");
  EXPECT_TRUE(failed(rules::transpose({c(2), c(3)}, {0, 0}, why)));
  EXPECT_TRUE(failed(rules::transpose({c(2), c(3)}, {0}, why)));
}

TEST(ShapeRules, ConcatAddsTheAxis) {
  std::string why;
  EXPECT_EQ(str(rules::concat({{s("N"), c(3)}, {s("N"), c(4)}}, 1, why)), "[N, 7]");
  EXPECT_TRUE(failed(rules::concat({{s("N"), c(3)}, {s("M"), c(4)}}, 1, why)));
  EXPECT_TRUE(failed(rules::concat({{s("N"), c(3)}, {s("N"), c(4)}}, 0, why)));
}

TEST(ShapeRules, Conv2dOutputSize) {
  std::string why;
  Shape bias{c(6)};
  EXPECT_EQ(str(rules::conv2d({s("N"), c(1), c(28), c(28)}, {c(6), c(1), c(5), c(5)}, &bias,
                              {1, 1}, {2, 2}, why)),
            "[N, 6, 28, 28]");
  EXPECT_EQ(str(rules::conv2d({s("N"), c(3), c(32), c(32)}, {c(8), c(3), c(3), c(3)}, nullptr,
                              {2, 2}, {0, 0}, why)),
            "[N, 8, 15, 15]");
  EXPECT_TRUE(failed(rules::conv2d({s("N"), c(3), c(32), c(32)}, {c(8), c(1), c(3), c(3)},
                                   nullptr, {1, 1}, {0, 0}, why)));
  EXPECT_EQ(why, "input has 3 channels but the filter expects 1");
}

TEST(ShapeRules, Pool2dOutputSize) {
  std::string why;
  EXPECT_EQ(str(rules::pool2d({s("N"), c(6), c(28), c(28)}, {2, 2}, {2, 2}, {0, 0}, why)),
            "[N, 6, 14, 14]");
  EXPECT_TRUE(failed(rules::pool2d({s("N"), c(6), c(28), c(28)}, {2, 2}, {2, 2}, {2, 2}, why)));
}

TEST(ShapeRules, Losses) {
  std::string why;
  EXPECT_EQ(str(rules::crossEntropy({s("N"), c(10)}, {s("N")}, true, why)), "[]");
  EXPECT_EQ(str(rules::crossEntropy({s("N"), c(10)}, {s("N"), c(10)}, false, why)), "[]");
  EXPECT_TRUE(failed(rules::crossEntropy({s("N"), c(10)}, {s("M")}, true, why)));
  EXPECT_TRUE(failed(rules::elementwiseLoss({s("N"), c(1)}, {s("N")}, why)));
  EXPECT_EQ(str(rules::oneHot({s("N")}, 10, why)), "[N, 10]");
}
