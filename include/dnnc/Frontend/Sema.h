//===- Sema.h - Semantic analysis of .dnn programs --------------*- C++ -*-===//
//
// Resolves names, checks element types and shapes (with symbolic dimensions
// and broadcasting), binds builtin arguments, inlines user functions, and
// annotates the AST for MLIRGen. Reports every independent error.
//
//===----------------------------------------------------------------------===//
#ifndef DNNC_FRONTEND_SEMA_H
#define DNNC_FRONTEND_SEMA_H

#include "dnnc/Frontend/AST.h"
#include "dnnc/Frontend/Diagnostics.h"

namespace dnnc::frontend {

/// Checks `module` in place. Returns false if any error was reported.
bool checkModule(ModuleAST &module, DiagnosticEngine &diags);

/// User functions are expanded at each call; a program whose expansion
/// exceeds this many expression nodes is rejected.
constexpr size_t kMaxExpandedNodes = 200000;

/// The largest static element count of a declared tensor (2^40).
constexpr int64_t kMaxStaticElements = int64_t(1) << 40;

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_SEMA_H
