//===- InterpreterTest.cpp - The reference interpreter on hand-computed cases ===//
//
// Each case compiles a tiny model from DSL text and checks the interpreter
// against values worked out by hand (or in closed form), so the reference
// that compiled models are verified against is itself verified.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Driver/Driver.h"
#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace dnnc;
using namespace dnnc::reference;

namespace {

Tensor f32(std::vector<int64_t> shape, std::vector<double> data) {
  return Tensor{false, std::move(shape), std::move(data)};
}
Tensor i32(std::vector<int64_t> shape, std::vector<double> data) {
  return Tensor{true, std::move(shape), std::move(data)};
}

using Values = std::vector<double>;
using Dims = std::vector<int64_t>;

/// Element-wise near-equality, tolerant enough for f32 rounding.
::testing::AssertionResult near(const Values &actual, const Values &expected) {
  if (actual.size() != expected.size())
    return ::testing::AssertionFailure()
           << "has " << actual.size() << " elements, expected " << expected.size();
  for (size_t i = 0; i < actual.size(); ++i)
    if (!(std::fabs(actual[i] - expected[i]) <= 1e-6 + 1e-6 * std::fabs(expected[i])))
      return ::testing::AssertionFailure()
             << "element " << i << " is " << actual[i] << ", expected " << expected[i];
  return ::testing::AssertionSuccess();
}

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest() {
    mlir::DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
  }

  /// Compiles `source` (one model) and evaluates it; fails the test on any
  /// frontend or interpreter error.
  NamedTensors run(llvm::StringRef source, const NamedTensors &bindings) {
    auto result = tryRun(source, bindings);
    if (!result) {
      ADD_FAILURE() << llvm::toString(result.takeError());
      return {};
    }
    return *result;
  }

  /// Evaluates the first model of dnn-dialect IR, for what the DSL cannot
  /// write (i32 division, foreign ops).
  llvm::Expected<NamedTensors> runIR(llvm::StringRef ir, const NamedTensors &bindings) {
    parsed = mlir::parseSourceString<mlir::ModuleOp>(ir, mlir::ParserConfig(&context));
    if (!parsed)
      return llvm::createStringError(llvm::inconvertibleErrorCode(), "cannot parse the IR");
    return evaluate(*parsed->getOps<dnn::ModelOp>().begin(), bindings);
  }

  llvm::Expected<NamedTensors> tryRun(llvm::StringRef source, const NamedTensors &bindings) {
    sourceMgr = std::make_unique<llvm::SourceMgr>();
    sourceMgr->AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, "t.dnn"),
                                  llvm::SMLoc());
    std::string diagnostics;
    llvm::raw_string_ostream os(diagnostics);
    frontend = runFrontend(*sourceMgr, context, os);
    if (frontend.numErrors || !frontend.module)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "frontend errors:\n" + diagnostics);
    auto models = llvm::to_vector(frontend.module->getOps<dnn::ModelOp>());
    return evaluate(models.front(), bindings);
  }

  mlir::MLIRContext context;
  std::unique_ptr<llvm::SourceMgr> sourceMgr;
  FrontendResult frontend;
  mlir::OwningOpRef<mlir::ModuleOp> parsed;
};

} // namespace

TEST_F(InterpreterTest, SoftmaxAndLogSoftmaxOfAKnownVector) {
  NamedTensors out = run(R"(
model m {
  input x: f32[N, 3]
  output s = softmax(x)
  output l = log_softmax(x, axis=1)
  output c = softmax(x, axis=0)
})",
                         {{"x", f32({2, 3}, {1, 2, 3, 5, 5, 5})}});
  EXPECT_TRUE(near(out["s"].data, Values{0.09003057, 0.24472847, 0.66524096,
                                                      1 / 3.0, 1 / 3.0, 1 / 3.0}));
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  EXPECT_TRUE(near(out["l"].data, Values{1 - lse, 2 - lse, 3 - lse,
                                                      -std::log(3.0), -std::log(3.0),
                                                      -std::log(3.0)}));
  // Along the batch: columns [1, 5], [2, 5], [3, 5].
  double a = 1 / (1 + std::exp(4.0)), b = 1 / (1 + std::exp(3.0)), c = 1 / (1 + std::exp(2.0));
  EXPECT_TRUE(near(out["c"].data, Values{a, b, c, 1 - a, 1 - b, 1 - c}));
}

TEST_F(InterpreterTest, Conv2dWithStridePaddingAndBias) {
  const char *source = R"(
model m {
  input x: f32[N, 1, 3, 3]
  param w: f32[1, 1, 2, 2] = zeros()
  param b: f32[1] = zeros()
  output valid = conv2d(x, w)
  output padded = conv2d(x, w, b, stride=2, padding=1)
})";
  NamedTensors out = run(source, {{"x", f32({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9})},
                                  {"w", f32({1, 1, 2, 2}, {1, 2, 3, 4})},
                                  {"b", f32({1}, {10})}});
  EXPECT_EQ(out["valid"].shape, (Dims{1, 1, 2, 2}));
  EXPECT_TRUE(near(out["valid"].data, Values{37, 47, 67, 77}));
  // Windows at rows/cols {-1, 0} and {1, 2}: the padding contributes zeros.
  EXPECT_EQ(out["padded"].shape, (Dims{1, 1, 2, 2}));
  EXPECT_TRUE(near(out["padded"].data, Values{4 + 10, 18 + 10, 36 + 10,
                                                           77 + 10}));
}

TEST_F(InterpreterTest, Conv2dSumsOverChannels) {
  NamedTensors out = run(R"(
model m {
  input x: f32[N, 2, 1, 1]
  param w: f32[3, 2, 1, 1] = zeros()
  output y = conv2d(x, w)
})",
                         {{"x", f32({1, 2, 1, 1}, {2, 3})},
                          {"w", f32({3, 2, 1, 1}, {1, 0, 0, 1, 1, 1})}});
  EXPECT_EQ(out["y"].shape, (Dims{1, 3, 1, 1}));
  EXPECT_TRUE(near(out["y"].data, Values{2, 3, 5}));
}

TEST_F(InterpreterTest, PoolingWithPadding) {
  const char *source = R"(
model m {
  input x: f32[N, 1, 2, 2]
  output mx = maxpool2d(x, 2, padding=1)
  output avg = avgpool2d(x, 2, padding=1)
  output whole = avgpool2d(x, 2)
})";
  // Each padded window holds exactly one real element.
  NamedTensors out = run(source, {{"x", f32({1, 1, 2, 2}, {-1, -2, -3, -4})}});
  EXPECT_EQ(out["mx"].shape, (Dims{1, 1, 2, 2}));
  EXPECT_TRUE(near(out["mx"].data, Values{-1, -2, -3, -4})); // not 0
  EXPECT_TRUE(near(out["avg"].data, Values{-0.25, -0.5, -0.75, -1}));
  EXPECT_TRUE(near(out["whole"].data, Values{-2.5}));
}

TEST_F(InterpreterTest, CrossEntropyWithIndicesAndProbabilities) {
  const char *source = R"(
model m {
  input x: f32[N, 3]
  input y: i32[N]
  input p: f32[N, 3]
  output ce = cross_entropy(x, y)
  output soft = cross_entropy(x, p)
  output acc = accuracy(x, y)
})";
  NamedTensors out = run(source, {{"x", f32({2, 3}, {1, 2, 3, 0, 0, 0})},
                                  {"y", i32({2}, {2, 1})},
                                  {"p", f32({2, 3}, {0, 0, 1, 0.25, 0.25, 0.5})}});
  double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  double expected = ((lse - 3) + std::log(3.0)) / 2;
  EXPECT_TRUE(out["ce"].shape.empty());
  EXPECT_TRUE(near(out["ce"].data, Values{expected}));
  // Uniform logits give log(3) for any probability row.
  EXPECT_TRUE(near(out["soft"].data, Values{expected}));
  // Row 0 predicts 2 (right); row 1 ties and predicts 0 (wrong).
  EXPECT_TRUE(near(out["acc"].data, Values{0.5}));
}

TEST_F(InterpreterTest, ElementwiseLosses) {
  const char *source = R"(
model m {
  input p: f32[N, 2]
  input t: f32[N, 2]
  output sq = mse(p, t)
  output b = bce(p, t)
  output l = bce_with_logits(p - 0.5, t)
})";
  NamedTensors out = run(source, {{"p", f32({1, 2}, {0.5, 0.5})},
                                  {"t", f32({1, 2}, {1, 0})}});
  EXPECT_TRUE(near(out["sq"].data, Values{0.25}));
  EXPECT_TRUE(near(out["b"].data, Values{std::log(2.0)}));
  EXPECT_TRUE(near(out["l"].data, Values{std::log(2.0)}));
}

TEST_F(InterpreterTest, BroadcastingAlignsTrailingDimensions) {
  NamedTensors out = run(R"(
model m {
  input a: f32[2, 1]
  input b: f32[3]
  output s = a + b
  output d = b / a - 1
})",
                         {{"a", f32({2, 1}, {1, 2})}, {"b", f32({3}, {10, 20, 30})}});
  EXPECT_EQ(out["s"].shape, (Dims{2, 3}));
  EXPECT_TRUE(near(out["s"].data, Values{11, 21, 31, 12, 22, 32}));
  EXPECT_TRUE(near(out["d"].data, Values{9, 19, 29, 4, 9, 14}));
}

TEST_F(InterpreterTest, ReductionsWithKeepdims) {
  const char *source = R"(
model m {
  input x: f32[N, 3]
  output s = sum(x, axis=1, keepdims=true)
  output mean0 = mean(x, axis=0)
  output mx = max(x)
  output mn = min(x, axis=-1, keepdims=true)
})";
  NamedTensors out = run(source, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})}});
  EXPECT_EQ(out["s"].shape, (Dims{2, 1}));
  EXPECT_TRUE(near(out["s"].data, Values{6, 15}));
  EXPECT_EQ(out["mean0"].shape, (Dims{3}));
  EXPECT_TRUE(near(out["mean0"].data, Values{2.5, 3.5, 4.5}));
  EXPECT_TRUE(out["mx"].shape.empty());
  EXPECT_TRUE(near(out["mx"].data, Values{6}));
  EXPECT_EQ(out["mn"].shape, (Dims{2, 1}));
  EXPECT_TRUE(near(out["mn"].data, Values{1, 4}));
}

TEST_F(InterpreterTest, ArgmaxPicksTheFirstMaximum) {
  NamedTensors out = run(R"(
model m {
  input x: f32[N, 3]
  output rows = argmax(x)
  output cols = argmax(x, axis=0)
})",
                         {{"x", f32({2, 3}, {1, 3, 3, 2, 3, 1})}});
  EXPECT_TRUE(out["rows"].isInteger);
  EXPECT_EQ(out["rows"].data, (Values{1, 1}));
  EXPECT_EQ(out["cols"].data, (Values{1, 0, 0}));
}

TEST_F(InterpreterTest, ShapeOps) {
  const char *source = R"(
model m {
  input x: f32[2, 3]
  input y: f32[N, 2, 2]
  output r = reshape(x, [3, -1])
  output all = reshape(x, [-1])
  output byN = reshape(y, [N, 4])
  output f = flatten(y)
  output t = transpose(x)
  output c = concat([x, x * 10], axis=1)
})";
  NamedTensors out = run(source, {{"x", f32({2, 3}, {1, 2, 3, 4, 5, 6})},
                                  {"y", f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8})}});
  EXPECT_EQ(out["r"].shape, (Dims{3, 2}));
  EXPECT_EQ(out["all"].shape, (Dims{6}));
  EXPECT_EQ(out["byN"].shape, (Dims{2, 4}));
  EXPECT_EQ(out["f"].shape, (Dims{2, 4}));
  EXPECT_TRUE(near(out["f"].data, Values{1, 2, 3, 4, 5, 6, 7, 8}));
  EXPECT_EQ(out["t"].shape, (Dims{3, 2}));
  EXPECT_TRUE(near(out["t"].data, Values{1, 4, 2, 5, 3, 6}));
  EXPECT_EQ(out["c"].shape, (Dims{2, 6}));
  EXPECT_TRUE(near(out["c"].data,
              Values{1, 2, 3, 10, 20, 30, 4, 5, 6, 40, 50, 60}));
}

TEST_F(InterpreterTest, MatmulOverBatchedOperands) {
  NamedTensors out = run(R"(
model m {
  input a: f32[2, 1, 1, 2]
  input b: f32[3, 2, 1]
  output c = a @ b
})",
                         {{"a", f32({2, 1, 1, 2}, {1, 2, 3, 4})},
                          {"b", f32({3, 2, 1}, {1, 1, 1, 0, 0, 1})}});
  // [2,1] and [3] broadcast to batch [2, 3]; each product is a 1x1 dot.
  EXPECT_EQ(out["c"].shape, (Dims{2, 3, 1, 1}));
  EXPECT_TRUE(near(out["c"].data, Values{3, 1, 2, 7, 3, 4}));
}

TEST_F(InterpreterTest, ElementwiseFunctions) {
  const char *source = R"(
model m {
  input x: f32[4]
  output r = relu(x)
  output lr = leaky_relu(x, slope=0.5)
  output sq = x ** 2
  output ab = abs(x)
  output sg = sigmoid(x)
  output th = tanh(x)
  output ng = -stop_gradient(x)
  output ex = exp(abs(x))
  output lg = log(abs(x) + 1)
  output rt = sqrt(abs(x))
})";
  NamedTensors out = run(source, {{"x", f32({4}, {-2, -0.5, 0, 4})}});
  EXPECT_TRUE(near(out["r"].data, Values{0, 0, 0, 4}));
  EXPECT_TRUE(near(out["lr"].data, Values{-1, -0.25, 0, 4}));
  EXPECT_TRUE(near(out["sq"].data, Values{4, 0.25, 0, 16}));
  EXPECT_TRUE(near(out["ab"].data, Values{2, 0.5, 0, 4}));
  EXPECT_TRUE(near(out["sg"].data, Values{1 / (1 + std::exp(2.0)),
                                                       1 / (1 + std::exp(0.5)), 0.5,
                                                       1 / (1 + std::exp(-4.0))}));
  EXPECT_TRUE(near(out["th"].data,
              Values{std::tanh(-2.0), std::tanh(-0.5), 0, std::tanh(4.0)}));
  EXPECT_TRUE(near(out["ng"].data, Values{2, 0.5, 0, -4}));
  EXPECT_TRUE(near(out["ex"].data,
              Values{std::exp(2.0), std::exp(0.5), 1, std::exp(4.0)}));
  EXPECT_TRUE(near(out["lg"].data,
              Values{std::log(3.0), std::log(1.5), 0, std::log(5.0)}));
  EXPECT_TRUE(near(out["rt"].data, Values{std::sqrt(2.0), std::sqrt(0.5), 0, 2}));
}

TEST_F(InterpreterTest, IntegerOpsKeepIntegerSemantics) {
  const char *source = R"(
model m {
  input i: i32[N]
  output s = sum(i * 3 - 1)
  output a = abs(-i)
  output big = i * 2147483647
  output h = one_hot(i, 3)
})";
  NamedTensors out = run(source, {{"i", i32({3}, {0, 2, -1})}});
  EXPECT_TRUE(out["s"].isInteger);
  EXPECT_EQ(out["s"].data, (Values{-1 + 5 - 4}));
  EXPECT_EQ(out["a"].data, (Values{0, 2, 1}));
  // 2 * (2^31 - 1) wraps to -2.
  EXPECT_EQ(out["big"].data, (Values{0, -2, -2147483647}));
  EXPECT_FALSE(out["h"].isInteger);
  EXPECT_EQ(out["h"].shape, (Dims{3, 3}));
  EXPECT_EQ(out["h"].data, (Values{1, 0, 0, 0, 0, 1, 0, 0, 0}));
}

TEST_F(InterpreterTest, F32ResultsAreRoundedToFloat) {
  NamedTensors out = run("model m {\n input x: f32[1]\n output y = x / 10\n}\n",
                         {{"x", f32({1}, {1})}});
  EXPECT_EQ(out["y"].data[0], (double)(1.0f / 10.0f));
}

TEST_F(InterpreterTest, OutputsOfUnboundInputsAreSkipped) {
  const char *source = R"(
model m {
  input x: f32[N, 2]
  input y: i32[N]
  param w: f32[2, 2] = zeros()
  output logits = x @ w
  loss ce = cross_entropy(x @ w, y)
})";
  NamedTensors out = run(source, {{"x", f32({1, 2}, {1, 2})},
                                  {"w", f32({2, 2}, {1, 0, 0, 1})}});
  EXPECT_EQ(out.count("ce"), 0u);
  EXPECT_TRUE(near(out["logits"].data, Values{1, 2}));
  NamedTensors all = run(source, {{"x", f32({1, 2}, {1, 2})},
                                  {"w", f32({2, 2}, {1, 0, 0, 1})},
                                  {"y", i32({1}, {1})}});
  EXPECT_TRUE(near(all["ce"].data,
              Values{std::log(std::exp(1.0) + std::exp(2.0)) - 2}));
}

TEST_F(InterpreterTest, BadBindingsAreErrors) {
  const char *source = R"(
model m {
  input x: f32[N, 2]
  input y: i32[N]
  output z = x
})";
  auto expectError = [&](const NamedTensors &bindings, const char *message) {
    auto result = tryRun(source, bindings);
    ASSERT_FALSE(result) << "expected an error containing: " << message;
    std::string error = llvm::toString(result.takeError());
    EXPECT_NE(error.find(message), std::string::npos) << error;
  };
  expectError({{"x", f32({1, 3}, {1, 2, 3})}}, "has shape [1, 3] but type");
  expectError({{"x", i32({1, 2}, {1, 2})}}, "is integer but has type");
  expectError({{"x", f32({1, 2}, {1})}}, "has 1 values but shape [1, 2] needs 2");
  expectError({{"x", f32({1, 2}, {1, 2})}, {"y", i32({2}, {0, 1})}},
              "symbol N is 1 in 'x' but 2 in 'y'");
  expectError({{"q", f32({1}, {1})}}, "has no input or param named 'q'");
  expectError({{"y", i32({1}, {0.5})}}, "which is not an i32");
}

TEST_F(InterpreterTest, RuntimeFaultsAreErrors) {
  auto result = tryRun("model m {\n input x: f32[N, 2]\n input y: i32[N]\n"
                       " output l = cross_entropy(x, y)\n}\n",
                       {{"x", f32({1, 2}, {0, 0})}, {"y", i32({1}, {2})}});
  ASSERT_FALSE(result);
  std::string error = llvm::toString(result.takeError());
  EXPECT_NE(error.find("t.dnn:4:13: cross_entropy: target 2 of row 0 is not a class "
                       "index in [0, 2)"),
            std::string::npos)
      << error;
}

TEST_F(InterpreterTest, F64ValuesKeepDoublePrecision) {
  NamedTensors out = run("model m {\n input x: f64[1]\n output y = x / 10\n}\n",
                         {{"x", f32({1}, {1})}});
  EXPECT_EQ(out["y"].data[0], 0.1);
}

TEST_F(InterpreterTest, IntegerDivisionTruncatesTowardZero) {
  const char *ir = R"(
dnn.model @m {
  %a = dnn.input "a" : tensor<4xi32>
  %b = dnn.input "b" : tensor<4xi32>
  %q = dnn.div %a, %b : tensor<4xi32>, tensor<4xi32>
  dnn.output "q" %q : tensor<4xi32>
})";
  auto out = runIR(ir, {{"a", i32({4}, {7, -7, 7, -2147483648.0})},
                        {"b", i32({4}, {2, 2, -2, -1})}});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  // INT_MIN / -1 wraps, as two's-complement division does.
  EXPECT_EQ((*out)["q"].data, (Values{3, -3, -3, -2147483648.0}));

  auto byZero = runIR(ir, {{"a", i32({4}, {1, 2, 3, 4})}, {"b", i32({4}, {1, 0, 1, 1})}});
  ASSERT_FALSE(bool(byZero));
  std::string error = llvm::toString(byZero.takeError());
  EXPECT_NE(error.find("integer division by zero"), std::string::npos) << error;
}

TEST_F(InterpreterTest, ForeignOpsAreErrors) {
  auto out = runIR(R"(
dnn.model @m {
  %c = arith.constant dense<1.0> : tensor<2xf32>
  dnn.output "c" %c : tensor<2xf32>
})",
                   {});
  ASSERT_FALSE(bool(out));
  std::string error = llvm::toString(out.takeError());
  EXPECT_NE(error.find("does not support 'arith.constant'"), std::string::npos) << error;
}
