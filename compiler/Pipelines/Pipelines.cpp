//===- Pipelines.cpp - Named pass pipelines of dnnc -----------------------===//

#include "dnnc/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

void dnnc::buildDNNSimplifyPipeline(mlir::OpPassManager &pm) {
  pm.addPass(mlir::createCanonicalizerPass());
  pm.addPass(mlir::createCSEPass());
}

void dnnc::registerPipelines() {
  mlir::PassPipelineRegistration<>("dnn-simplify",
                                   "Canonicalize and CSE at the dnn level",
                                   buildDNNSimplifyPipeline);
}
