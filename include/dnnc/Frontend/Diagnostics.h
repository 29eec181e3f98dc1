//===- Diagnostics.h - Located error reporting for the frontend -*- C++ -*-===//
//
// Every frontend message goes through llvm::SourceMgr, so it reads
// `file:line:col: error: ...` followed by the source line and a caret under
// the offending range. Errors are counted, never fatal: the frontend keeps
// going to report every independent problem in one run.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_FRONTEND_DIAGNOSTICS_H
#define DNNC_FRONTEND_DIAGNOSTICS_H

#include "llvm/Support/SMLoc.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"

namespace dnnc::frontend {

class DiagnosticEngine {
public:
  DiagnosticEngine(llvm::SourceMgr &sourceMgr, llvm::raw_ostream &os)
      : sourceMgr(sourceMgr), os(os) {}

  void error(llvm::SMRange range, const llvm::Twine &message);
  void note(llvm::SMRange range, const llvm::Twine &message);

  unsigned getNumErrors() const { return numErrors; }
  bool hadError() const { return numErrors != 0; }
  /// Stops printing after this many errors, so hostile input cannot flood
  /// the terminal; later errors are counted only.
  static constexpr unsigned kMaxPrintedErrors = 50;

  llvm::SourceMgr &getSourceMgr() { return sourceMgr; }

private:
  llvm::SourceMgr &sourceMgr;
  llvm::raw_ostream &os;
  unsigned numErrors = 0;
  bool suppressNotes = false;
};

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_DIAGNOSTICS_H
