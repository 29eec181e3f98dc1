//===- DNNDialect.cpp - The dnn dialect -----------------------------------===//

#include "dnnc/Dialect/DNN/IR/DNNDialect.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace dnnc::dnn;

#include "dnnc/Dialect/DNN/IR/DNNOpsDialect.cpp.inc"
#include "dnnc/Dialect/DNN/IR/DNNOpsEnums.cpp.inc"
#include "dnnc/Dialect/DNN/IR/GradientOpInterface.cpp.inc"
#define GET_ATTRDEF_CLASSES
#include "dnnc/Dialect/DNN/IR/DNNOpsAttributes.cpp.inc"

void DNNDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "dnnc/Dialect/DNN/IR/DNNOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "dnnc/Dialect/DNN/IR/DNNOpsAttributes.cpp.inc"
      >();
}

Operation *DNNDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                           Type type, Location loc) {
  auto elements = dyn_cast<ElementsAttr>(value);
  if (!elements || elements.getType() != type)
    return nullptr;
  return ConstantOp::create(builder, loc, type, elements);
}
