//===- Lexer.h - Tokenizer for the .dnn language ----------------*- C++ -*-===//
#ifndef DNNC_FRONTEND_LEXER_H
#define DNNC_FRONTEND_LEXER_H

#include "dnnc/Frontend/Diagnostics.h"
#include "dnnc/Frontend/Token.h"

namespace dnnc::frontend {

/// Splits a buffer into tokens. Newlines end statements except inside
/// parentheses or brackets, so long calls may span lines. `#` starts a
/// comment that runs to the end of the line.
class Lexer {
public:
  Lexer(llvm::StringRef buffer, DiagnosticEngine &diags)
      : buffer(buffer), cur(buffer.begin()), diags(diags) {}

  Token next();

private:
  Token make(TokenKind kind, const char *start) {
    return {kind, llvm::StringRef(start, cur - start)};
  }
  Token lexIdentifier(const char *start);
  Token lexNumber(const char *start);

  llvm::StringRef buffer;
  const char *cur;
  DiagnosticEngine &diags;
  int nesting = 0; // depth of ( and [
  bool lastWasNewline = true;
};

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_LEXER_H
