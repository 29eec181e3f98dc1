//===- Token.h - Tokens of the .dnn language --------------------*- C++ -*-===//
#ifndef DNNC_FRONTEND_TOKEN_H
#define DNNC_FRONTEND_TOKEN_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/SMLoc.h"

namespace dnnc::frontend {

enum class TokenKind {
  Eof,
  Newline, // ends a statement; not produced inside ( ) or [ ]
  Error,   // a character the language does not use
  Identifier,
  Number,
  String, // "..." (spelling includes the quotes)
  // Keywords.
  KwModel, KwFn, KwInput, KwParam, KwBuffer, KwLet, KwOutput, KwLoss, KwTrain, KwWith,
  KwTrue, KwFalse,
  // Punctuation and operators.
  LBrace, RBrace, LParen, RParen, LBracket, RBracket,
  Comma, Colon, Semicolon, Equal,
  Plus, Minus, Star, Slash, At, StarStar,
};

/// A printable name for diagnostics: "'model'", "identifier", "end of file".
llvm::StringRef getTokenKindName(TokenKind kind);

struct Token {
  TokenKind kind = TokenKind::Eof;
  llvm::StringRef spelling; // points into the source buffer

  bool is(TokenKind k) const { return kind == k; }
  llvm::SMLoc getLoc() const { return llvm::SMLoc::getFromPointer(spelling.data()); }
  llvm::SMRange getRange() const {
    return {getLoc(), llvm::SMLoc::getFromPointer(spelling.data() + spelling.size())};
  }
};

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_TOKEN_H
