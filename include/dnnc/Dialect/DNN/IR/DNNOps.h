//===- DNNOps.h - Ops, enums and attributes of the dnn dialect --*- C++ -*-===//
#ifndef DNNC_DIALECT_DNN_IR_DNNOPS_H
#define DNNC_DIALECT_DNN_IR_DNNOPS_H

#include "dnnc/Dialect/DNN/IR/DNNDialect.h"

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "dnnc/Dialect/DNN/IR/DNNOpsEnums.h.inc"
#include "dnnc/Dialect/DNN/IR/GradientOpInterface.h.inc"

#define GET_ATTRDEF_CLASSES
#include "dnnc/Dialect/DNN/IR/DNNOpsAttributes.h.inc"

#define GET_OP_CLASSES
#include "dnnc/Dialect/DNN/IR/DNNOps.h.inc"

#endif // DNNC_DIALECT_DNN_IR_DNNOPS_H
