//===- LibraryDescriptor.h - The descriptor a model library exports -*- C++ -*-===//
//
// Adds to a translated LLVM module what dnn/model.h promises: for each
// entry point a wrapper `void (void **args)` over its C-interface function,
// and constant `dnn_library_info` data returned by the exported
// `dnn_library()`.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_TARGET_CPU_LIBRARYDESCRIPTOR_H
#define DNNC_TARGET_CPU_LIBRARYDESCRIPTOR_H

#include "dnnc/Target/ModelSignature.h"

#include "llvm/Support/Error.h"

namespace llvm {
class Module;
} // namespace llvm

namespace dnnc {

/// The DNN_ABI_VERSION this compiler emits (dnn/model.h).
unsigned getEmittedABIVersion();

llvm::Error emitLibraryDescriptor(llvm::Module &module,
                                  llvm::ArrayRef<ModelSignature> models,
                                  llvm::StringRef producer);

} // namespace dnnc

#endif // DNNC_TARGET_CPU_LIBRARYDESCRIPTOR_H
