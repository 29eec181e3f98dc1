//===- dnn-opt.cpp - mlir-opt with the dnn dialect and dnnc passes --------===//

#include "dnnc/Tools/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  dnnc::registerAllDialects(registry);
  dnnc::registerAllPasses();
  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "dnnc modular optimizer driver\n", registry));
}
