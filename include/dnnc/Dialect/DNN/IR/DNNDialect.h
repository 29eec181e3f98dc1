//===- DNNDialect.h - The dnn dialect ---------------------------*- C++ -*-===//
#ifndef DNNC_DIALECT_DNN_IR_DNNDIALECT_H
#define DNNC_DIALECT_DNN_IR_DNNDIALECT_H

#include "mlir/IR/Dialect.h"

#include "dnnc/Dialect/DNN/IR/DNNOpsDialect.h.inc"

#endif // DNNC_DIALECT_DNN_IR_DNNDIALECT_H
