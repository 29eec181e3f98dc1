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

#include <cstdint>
#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace dnnc {

/// The DNN_ABI_VERSION this compiler emits (dnn/model.h).
unsigned getEmittedABIVersion();

/// Where the library's entries run: dnn_model_info.device and device_archs.
struct LibraryDevice {
  int32_t kind = 0;     // dnn_device_kind: DNN_DEVICE_CPU
  std::string archs;    // DNN_DEVICE_CUDA: "sm_80,sm_90"
};

llvm::Error emitLibraryDescriptor(llvm::Module &module,
                                  llvm::ArrayRef<ModelSignature> models,
                                  llvm::StringRef producer,
                                  const LibraryDevice &device = {});

} // namespace dnnc

#endif // DNNC_TARGET_CPU_LIBRARYDESCRIPTOR_H
