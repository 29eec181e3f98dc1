//===- Registration.cpp - Every dialect and pass dnnc uses ----------------===//

#include "dnnc/Tools/Registration.h"
#include "dnnc/Dialect/DNN/IR/DNNDialect.h"
#include "dnnc/Dialect/DNN/Transforms/Passes.h"
#include "dnnc/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Transforms/Passes.h"

void dnnc::registerAllDialects(mlir::DialectRegistry &registry) {
  registry.insert<dnn::DNNDialect, mlir::func::FuncDialect>();
}

void dnnc::registerAllPasses() {
  dnn::registerDNNPasses();
  mlir::registerTransformsPasses();
  registerPipelines();
}
