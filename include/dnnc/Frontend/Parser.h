//===- Parser.h - Recursive-descent parser for .dnn -------------*- C++ -*-===//
#ifndef DNNC_FRONTEND_PARSER_H
#define DNNC_FRONTEND_PARSER_H

#include "dnnc/Frontend/AST.h"
#include "dnnc/Frontend/Lexer.h"

namespace dnnc::frontend {

/// Parses a whole file. On a syntax error it reports it, skips to the end of
/// the statement and goes on, so one run shows every independent error.
class Parser {
public:
  Parser(llvm::StringRef buffer, DiagnosticEngine &diags)
      : lexer(buffer, diags), diags(diags) {
    advance();
  }

  std::unique_ptr<ModuleAST> parseModule();

  /// Deeper nesting than this is rejected, so hostile input cannot overflow
  /// the stack.
  static constexpr int kMaxNesting = 200;

private:
  void advance() {
    prevEnd = tok.spelling.end();
    tok = lexer.next();
  }
  bool consumeIf(TokenKind kind);
  bool expect(TokenKind kind, llvm::StringRef context);
  /// expect() for a closing delimiter; on failure, also a note at the
  /// delimiter it would close (`note: to match this '('`).
  bool expectClosing(TokenKind kind, llvm::StringRef context, const Token &opening);
  void skipNewlines();
  /// Skips to the next newline or ';' (or a '}' that closes the model).
  void recoverToStatementEnd(llvm::SMLoc failedStatement);
  llvm::SMRange rangeFrom(llvm::SMLoc start) const;

  std::unique_ptr<FunctionDecl> parseFunction();
  std::unique_ptr<ModelDecl> parseModel();
  std::unique_ptr<Statement> parseStatement();
  bool parseType(TypeSpec &type);
  std::unique_ptr<Expr> parseExpr();
  std::unique_ptr<Expr> parseAdditive();
  std::unique_ptr<Expr> parseMultiplicative();
  std::unique_ptr<Expr> parseUnary();
  std::unique_ptr<Expr> parsePower();
  std::unique_ptr<Expr> parsePrimary();
  std::unique_ptr<Expr> parseCallRest(Token callee);
  std::unique_ptr<Expr> parseList();

  Lexer lexer;
  DiagnosticEngine &diags;
  Token tok;
  const char *prevEnd = nullptr; // end of the last consumed token
  int nesting = 0;
  std::string statementName; // the name of the statement being parsed, once read
};

} // namespace dnnc::frontend

#endif // DNNC_FRONTEND_PARSER_H
