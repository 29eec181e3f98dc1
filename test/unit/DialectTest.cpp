//===- DialectTest.cpp - Building dnn ops through the C++ API -------------===//

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Dialect/DNN/Transforms/Passes.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Verifier.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace dnnc::dnn;

namespace {
class DialectTest : public ::testing::Test {
protected:
  DialectTest() : builder(&context) {
    context.getOrLoadDialect<DNNDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToEnd(module->getBody());
    model = ModelOp::create(builder, builder.getUnknownLoc(), "m");
    builder.setInsertionPointToEnd(&model.getBody().front());
  }

  Value input(ArrayRef<int64_t> shape, ArrayRef<StringRef> symbols = {}) {
    return InputOp::create(builder, builder.getUnknownLoc(),
                           RankedTensorType::get(shape, builder.getF32Type()),
                           "x" + std::to_string(count++), builder.getStrArrayAttr(symbols));
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  ModelOp model;
  int count = 0;
};
} // namespace

TEST_F(DialectTest, BuildersInferBroadcastAndMatmulTypes) {
  Value x = input({ShapedType::kDynamic, 784}, {"N"});
  Value w = input({784, 10});
  Value b = input({10});
  Value y = MatmulOp::create(builder, builder.getUnknownLoc(), x, w);
  Value z = AddOp::create(builder, builder.getUnknownLoc(), y, b);
  EXPECT_EQ(z.getType(), RankedTensorType::get({ShapedType::kDynamic, 10}, builder.getF32Type()));
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(DialectTest, InferShapesPropagatesAStaticBatch) {
  Value x = input({ShapedType::kDynamic, 4}, {"N"});
  Value w = input({4, 3});
  Value y = MatmulOp::create(builder, builder.getUnknownLoc(), x, w);
  Value s = SumOp::create(builder, builder.getUnknownLoc(), y,
                          builder.getDenseI64ArrayAttr({1}), UnitAttr());
  x.setType(RankedTensorType::get({8, 4}, builder.getF32Type()));
  cast<InputOp>(x.getDefiningOp()).setSymbolsAttr(builder.getStrArrayAttr({}));
  ASSERT_TRUE(succeeded(inferShapes(model)));
  EXPECT_EQ(s.getType(), RankedTensorType::get({8}, builder.getF32Type()));
  EXPECT_TRUE(succeeded(verify(*module)));
}

TEST_F(DialectTest, VerifierRejectsATrainOpWithoutLoss) {
  TrainOp::create(builder, builder.getUnknownLoc(), OptimizerKind::sgd,
                  builder.getDictionaryAttr({builder.getNamedAttr("lr", builder.getF64FloatAttr(0.1)),
                                             builder.getNamedAttr("weight_decay",
                                                                  builder.getF64FloatAttr(0))}));
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    message = d.str();
    return success();
  });
  EXPECT_TRUE(failed(verify(*module)));
  EXPECT_NE(message.find("needs a loss"), std::string::npos) << message;
}
