//===- Diagnostics.cpp - Located error reporting for the frontend ---------===//

#include "dnnc/Frontend/Diagnostics.h"

using namespace dnnc::frontend;

void DiagnosticEngine::error(llvm::SMRange range, const llvm::Twine &message) {
  ++numErrors;
  suppressNotes = numErrors > kMaxPrintedErrors;
  if (numErrors == kMaxPrintedErrors + 1)
    os << "error: too many errors; further errors are not shown\n";
  if (suppressNotes)
    return;
  sourceMgr.PrintMessage(os, range.Start, llvm::SourceMgr::DK_Error, message,
                         range.isValid() ? llvm::ArrayRef<llvm::SMRange>(range) : llvm::ArrayRef<llvm::SMRange>());
}

void DiagnosticEngine::note(llvm::SMRange range, const llvm::Twine &message) {
  if (suppressNotes)
    return;
  sourceMgr.PrintMessage(os, range.Start, llvm::SourceMgr::DK_Note, message,
                         range.isValid() ? llvm::ArrayRef<llvm::SMRange>(range) : llvm::ArrayRef<llvm::SMRange>());
}
