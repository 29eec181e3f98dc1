//===- Driver.h - The dnnc compiler as a library ----------------*- C++ -*-===//
//
// Everything dnnc does, callable from tests: the tool's main only parses the
// command line into DriverOptions.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_DRIVER_DRIVER_H
#define DNNC_DRIVER_DRIVER_H

#include "dnnc/Frontend/AST.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"
#include "llvm/Support/SourceMgr.h"

#include <memory>
#include <string>

namespace dnnc {

/// What dnnc writes to its output.
enum class EmitKind {
  AST,     // the checked syntax tree
  MLIR,    // the dnn dialect after dnn-level simplification
  Summary, // per model: signature, parameter count, optimizer and op histogram
};

struct DriverOptions {
  std::string inputFile = "-";
  std::string outputFile = "-";
  EmitKind emit = EmitKind::MLIR;
  /// Run the dnn-simplify pipeline (canonicalize, CSE) before emitting MLIR.
  bool simplify = true;
};

/// The frontend's result for one source buffer.
struct FrontendResult {
  std::unique_ptr<frontend::ModuleAST> ast;
  mlir::OwningOpRef<mlir::ModuleOp> module; // null unless parsing and Sema succeeded
  unsigned numErrors = 0;
};

/// Parses, checks and (when stopAfterSema is false) emits the dnn dialect for
/// the main buffer of `sourceMgr`. Diagnostics go to `diagOut`.
FrontendResult runFrontend(llvm::SourceMgr &sourceMgr, mlir::MLIRContext &context,
                           llvm::raw_ostream &diagOut, bool stopAfterSema = false);

/// Prints the per-model summary of a dnn module.
void printSummary(mlir::ModuleOp module, llvm::raw_ostream &os);

/// Runs dnnc end to end. Returns the process exit code: 0 on success, 1 on
/// errors in the input, 2 on unusable options or files.
int runDriver(const DriverOptions &options, mlir::MLIRContext &context,
              llvm::raw_ostream &diagOut);

} // namespace dnnc

#endif // DNNC_DRIVER_DRIVER_H
