//===- Linker.h - Link a model's object into a shared library --*- C++ -*-===//
#ifndef DNNC_TARGET_CPU_LINKER_H
#define DNNC_TARGET_CPU_LINKER_H

#include "llvm/Support/Error.h"

#include <string>

namespace dnnc {

struct LinkOptions {
  /// The compiler driver that runs lld (clang++ from LLVM 22 by default).
  std::string driver;
  /// The runtime archive embedded into every library (libdnnrt.a).
  std::string runtimeLibrary;
};

/// Fills empty fields of `options`: $DNNC_LINKER / $DNNC_RUNTIME_LIBRARY,
/// then the files next to the running executable (../lib/libdnnrt.a), then
/// the build tree dnnc was built in. `argv0` locates the executable.
llvm::Error resolveLinkOptions(LinkOptions &options, const char *argv0);

/// Links `objectFile` and the runtime into the shared library `output`,
/// exporting only dnn_library() and the runtime's dnn_* API.
llvm::Error linkSharedLibrary(llvm::StringRef objectFile, llvm::StringRef output,
                              const LinkOptions &options);

} // namespace dnnc

#endif // DNNC_TARGET_CPU_LINKER_H
