//===- FrontendTest.cpp - Parse, check and emit through the driver library ===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Driver/Driver.h"
#include "dnnc/Frontend/Builtins.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace dnnc;

namespace {
class FrontendTest : public ::testing::Test {
protected:
  FrontendTest() {
    mlir::DialectRegistry registry;
    registerAllDialects(registry);
    context.appendDialectRegistry(registry);
  }

  FrontendResult run(llvm::StringRef source) {
    sourceMgr = std::make_unique<llvm::SourceMgr>();
    sourceMgr->AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(source, "t.dnn"),
                                  llvm::SMLoc());
    diagnostics.clear();
    llvm::raw_string_ostream os(diagnostics);
    return runFrontend(*sourceMgr, context, os);
  }

  mlir::MLIRContext context;
  std::unique_ptr<llvm::SourceMgr> sourceMgr;
  std::string diagnostics;
};
} // namespace

TEST_F(FrontendTest, EmitsAModelWithItsStructure) {
  FrontendResult r = run(R"(
model m {
  input x: f32[N, 4]
  input y: i32[N]
  param w: f32[4, 3] = uniform(low=-1, high=1)
  loss l = cross_entropy(x @ w, y)
  train with sgd(lr=0.5)
})");
  ASSERT_EQ(r.numErrors, 0u) << diagnostics;
  auto models = llvm::to_vector(r.module->getOps<dnn::ModelOp>());
  ASSERT_EQ(models.size(), 1u);
  dnn::ModelOp model = models.front();
  EXPECT_EQ(model.getSymName(), "m");
  ASSERT_TRUE(model.getLossOp());
  ASSERT_TRUE(model.getTrainOp());
  EXPECT_EQ(model.getTrainOp().getOptimizer(), dnn::OptimizerKind::sgd);
  auto lr = model.getTrainOp().getHyperparameters().getAs<mlir::FloatAttr>("lr");
  EXPECT_DOUBLE_EQ(lr.getValueAsDouble(), 0.5);
  auto param = *model.getBody().getOps<dnn::ParamOp>().begin();
  EXPECT_EQ(param.getInit(), dnn::InitKind::uniform);
  EXPECT_DOUBLE_EQ(param.getInitArgs().getAs<mlir::FloatAttr>("low").getValueAsDouble(), -1.0);
}

TEST_F(FrontendTest, NumberLiteralsTakeTheTensorsElementType) {
  FrontendResult r = run("model m {\n input x: f64[3]\n output y = x * 2 + 1\n}\n");
  ASSERT_EQ(r.numErrors, 0u) << diagnostics;
  r.module->walk([](dnn::ConstantOp c) {
    EXPECT_TRUE(mlir::cast<mlir::RankedTensorType>(c.getType()).getElementType().isF64());
  });
}

TEST_F(FrontendTest, UserFunctionsExpandAtEachCall) {
  FrontendResult r = run(R"(
fn dense(x, w, b) = x @ w + b
model m {
  input x: f32[N, 4]
  param w1: f32[4, 8] = zeros()
  param b1: f32[8] = zeros()
  param w2: f32[8, 2] = zeros()
  param b2: f32[2] = zeros()
  output y = dense(relu(dense(x, w1, b1)), w2, b2)
})");
  ASSERT_EQ(r.numErrors, 0u) << diagnostics;
  int matmuls = 0;
  r.module->walk([&](dnn::MatmulOp) { ++matmuls; });
  EXPECT_EQ(matmuls, 2);
}

TEST_F(FrontendTest, ReportsEveryIndependentError) {
  FrontendResult r = run(R"(
model m {
  input x: f32[N, 4]
  let a = x @ x
  let b = undefined_name
  let c = relu(x, x)
})");
  EXPECT_EQ(r.numErrors, 3u) << diagnostics;
  EXPECT_FALSE(r.module);
  EXPECT_NE(diagnostics.find("t.dnn:4:13: error: matmul of f32[N, 4] and f32[N, 4]"),
            std::string::npos)
      << diagnostics;
}

TEST_F(FrontendTest, RecursionIsAnErrorNotAHang) {
  FrontendResult r = run("fn f(x) = f(x)\nmodel m {\n input x: f32[2]\n output y = f(x)\n}\n");
  EXPECT_EQ(r.numErrors, 1u);
  EXPECT_NE(diagnostics.find("recursive call to 'f'"), std::string::npos) << diagnostics;
}

TEST_F(FrontendTest, ExponentialExpansionIsBounded) {
  std::string source = "fn f0(x) = x + x\n";
  for (int i = 1; i < 40; ++i)
    source += "fn f" + std::to_string(i) + "(x) = f" + std::to_string(i - 1) + "(x) + f" +
              std::to_string(i - 1) + "(x)\n";
  source += "model m {\n input x: f32[2]\n output y = f39(x)\n}\n";
  FrontendResult r = run(source);
  EXPECT_GE(r.numErrors, 1u);
  EXPECT_NE(diagnostics.find("too large after expanding"), std::string::npos);
}

TEST_F(FrontendTest, DeepNestingIsAnErrorNotAStackOverflow) {
  std::string source = "model m {\n input x: f32[2]\n output y = " + std::string(100000, '(') +
                       "x" + std::string(100000, ')') + "\n}\n";
  FrontendResult r = run(source);
  EXPECT_GE(r.numErrors, 1u);
  EXPECT_NE(diagnostics.find("nested too deeply"), std::string::npos);
}

TEST_F(FrontendTest, SummaryListsSignatureAndParameterCount) {
  FrontendResult r = run("model m {\n input x: f32[N, 4]\n param w: f32[4, 3] = zeros()\n"
                         " output y = x @ w\n}\n");
  ASSERT_EQ(r.numErrors, 0u) << diagnostics;
  std::string summary;
  llvm::raw_string_ostream os(summary);
  printSummary(*r.module, os);
  EXPECT_NE(summary.find("input  x: f32[N, 4]"), std::string::npos) << summary;
  EXPECT_NE(summary.find("parameters: 12 values"), std::string::npos) << summary;
}

// The builtin table (Builtins.h): every row complete, each name once, each
// string parameter with its choices, every row findable by its name.
TEST(BuiltinTable, RowsAreCompleteAndUnique) {
  llvm::StringSet<> names;
  for (const frontend::BuiltinInfo &row : frontend::getAllBuiltins()) {
    SCOPED_TRACE(row.name.str());
    EXPECT_TRUE(names.insert(row.name).second) << "listed twice";
    EXPECT_NE(row.check, nullptr);
    EXPECT_NE(row.emit, nullptr);
    ASSERT_FALSE(row.params.empty());
    EXPECT_NE(row.params.front().kind, frontend::ArgKind::OptionalTensor)
        << "the first argument types the call (x of 'op of x: ...' messages)";
    for (const frontend::BuiltinParam &p : row.params)
      if (p.kind == frontend::ArgKind::String)
        EXPECT_FALSE(p.choices.empty()) << p.name.str();
    EXPECT_EQ(frontend::lookupBuiltin(row.name), &row);
  }
  EXPECT_EQ(frontend::lookupBuiltin("no_such_builtin"), nullptr);
}

// docs/language.md §7 documents every row of the table, as `name(`.
TEST(BuiltinTable, EveryBuiltinIsDocumented) {
  auto doc = llvm::MemoryBuffer::getFile(DNNC_SOURCE_DIR "/docs/language.md");
  ASSERT_TRUE(doc) << "cannot read docs/language.md";
  llvm::StringRef text = (*doc)->getBuffer();
  size_t builtins = text.find("## 7. Builtins");
  ASSERT_NE(builtins, llvm::StringRef::npos);
  text = text.drop_front(builtins);
  for (const frontend::BuiltinInfo &row : frontend::getAllBuiltins())
    EXPECT_TRUE(text.contains(("`" + row.name + "(").str())) << row.name.str();
}
