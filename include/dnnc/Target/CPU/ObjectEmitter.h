//===- ObjectEmitter.h - LLVM IR to native code in process -----*- C++ -*-===//
#ifndef DNNC_TARGET_CPU_OBJECTEMITTER_H
#define DNNC_TARGET_CPU_OBJECTEMITTER_H

#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <string>

namespace llvm {
class Module;
class TargetMachine;
} // namespace llvm

namespace dnnc {

struct TargetOptions {
  std::string triple;   // empty: the host's
  std::string cpu;      // empty: the host CPU
  std::string features; // empty: the host CPU's features; else "+avx2,-avx512f"
  unsigned optLevel = 3; // -O0 .. -O3
};

/// A TargetMachine for `options`, position-independent (for shared libraries).
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(const TargetOptions &options);

/// The f32 lanes of the widest vector register `machine` has (4, 8 or 16).
int64_t getNativeVectorWidth(const llvm::TargetMachine &machine);

/// Sets the module's triple and data layout and runs LLVM's optimization
/// pipeline for the level.
void optimizeModule(llvm::Module &module, llvm::TargetMachine &machine, unsigned optLevel);

enum class NativeFileKind { Object, Assembly };
llvm::Error emitNativeCode(llvm::Module &module, llvm::TargetMachine &machine,
                           NativeFileKind kind, llvm::raw_pwrite_stream &os);

} // namespace dnnc

#endif // DNNC_TARGET_CPU_OBJECTEMITTER_H
