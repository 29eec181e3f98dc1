//===- Registration.h - Every dialect and pass dnnc uses --------*- C++ -*-===//
//
// One place that lists what the tools register, so dnnc and dnn-opt accept
// the same IR and passes.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_TOOLS_REGISTRATION_H
#define DNNC_TOOLS_REGISTRATION_H

namespace mlir {
class DialectRegistry;
} // namespace mlir

namespace dnnc {
void registerAllDialects(mlir::DialectRegistry &registry);
void registerAllPasses();
} // namespace dnnc

#endif // DNNC_TOOLS_REGISTRATION_H
