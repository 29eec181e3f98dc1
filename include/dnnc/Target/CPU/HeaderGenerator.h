//===- HeaderGenerator.h - The C header of a model library -----*- C++ -*-===//
//
// Apps include the generated header to call a model with typed pointers,
// e.g. `mlp_predict(session, N, x, probs, predicted)`; the functions are
// inline wrappers over the runtime's dnn_session_run, so the library only
// exports the runtime API and dnn_library().
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_TARGET_CPU_HEADERGENERATOR_H
#define DNNC_TARGET_CPU_HEADERGENERATOR_H

#include "dnnc/Target/ModelSignature.h"

#include "llvm/Support/raw_ostream.h"

namespace dnnc {

/// Writes the header for `models`; `libraryName` (e.g. "mlp") names the
/// include guard and the comment.
void generateHeader(llvm::ArrayRef<ModelSignature> models, llvm::StringRef libraryName,
                    llvm::raw_ostream &os);

} // namespace dnnc

#endif // DNNC_TARGET_CPU_HEADERGENERATOR_H
