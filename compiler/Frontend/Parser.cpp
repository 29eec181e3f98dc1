//===- Parser.cpp - Recursive-descent parser for .dnn ---------------------===//
//
// Grammar (docs/language.md has the full version):
//   file      := (function | model | NEWLINE)*
//   function  := 'fn' IDENT '(' [IDENT (',' IDENT)*] ')' '=' expr
//   model     := 'model' IDENT '{' (statement (NEWLINE | ';'))* '}'
//   expr      := additive;  additive := mul (('+'|'-') mul)*
//   mul       := unary (('*'|'/'|'@') unary)*;  unary := '-' unary | power
//   power     := primary ['**' unary];  primary := NUMBER | true | false
//              | IDENT | IDENT '(' args ')' | '(' expr ')' | '[' exprs ']'
//
//===----------------------------------------------------------------------===//

#include "dnnc/Frontend/Parser.h"

#include <cmath>
#include <cstdlib>

using namespace dnnc::frontend;
using llvm::SMLoc;
using llvm::SMRange;

namespace {
/// Counts recursion depth; reports once when the limit is passed.
struct NestingGuard {
  NestingGuard(int &depth) : depth(depth) { ++depth; }
  ~NestingGuard() { --depth; }
  int &depth;
};
} // namespace

bool Parser::consumeIf(TokenKind kind) {
  if (!tok.is(kind))
    return false;
  advance();
  return true;
}

bool Parser::expect(TokenKind kind, llvm::StringRef context) {
  if (consumeIf(kind))
    return true;
  if (!tok.is(TokenKind::Error)) // the lexer already reported it
    diags.error(tok.getRange(), "expected " + getTokenKindName(kind) + " " + context +
                                    ", found " + getTokenKindName(tok.kind));
  return false;
}

bool Parser::expectClosing(TokenKind kind, llvm::StringRef context, const Token &opening) {
  bool wasError = tok.is(TokenKind::Error);
  if (expect(kind, context))
    return true;
  if (!wasError)
    diags.note(opening.getRange(), "to match this " + getTokenKindName(opening.kind));
  return false;
}

void Parser::skipNewlines() {
  while (tok.is(TokenKind::Newline) || tok.is(TokenKind::Semicolon))
    advance();
}

static bool startsStatement(TokenKind kind) {
  switch (kind) {
  case TokenKind::KwInput: case TokenKind::KwParam: case TokenKind::KwBuffer: case TokenKind::KwLet:
  case TokenKind::KwOutput: case TokenKind::KwLoss: case TokenKind::KwTrain:
  case TokenKind::KwModel: case TokenKind::KwFn:
    return true;
  default:
    return false;
  }
}

void Parser::recoverToStatementEnd(SMLoc failedStatement) {
  // Stop where the next statement may begin, but never where the failed one
  // began, so recovery always makes progress.
  while (!tok.is(TokenKind::Eof) && !tok.is(TokenKind::Newline) &&
         !tok.is(TokenKind::Semicolon) && !tok.is(TokenKind::RBrace)) {
    if (startsStatement(tok.kind) && tok.getLoc() != failedStatement)
      return;
    advance();
  }
}

SMRange Parser::rangeFrom(SMLoc start) const {
  return {start, SMLoc::getFromPointer(prevEnd)};
}

std::unique_ptr<ModuleAST> Parser::parseModule() {
  auto module = std::make_unique<ModuleAST>();
  while (true) {
    skipNewlines();
    if (tok.is(TokenKind::Eof))
      break;
    if (tok.is(TokenKind::KwModel)) {
      if (auto model = parseModel())
        module->models.push_back(std::move(model));
      continue;
    }
    if (tok.is(TokenKind::KwFn)) {
      SMLoc start = tok.getLoc();
      if (auto fn = parseFunction())
        module->functions.push_back(std::move(fn));
      else
        recoverToStatementEnd(start);
      continue;
    }
    if (!tok.is(TokenKind::Error))
      diags.error(tok.getRange(), "expected 'model' or 'fn' at top level, found " +
                                      getTokenKindName(tok.kind));
    // Skip to the next line that may start a declaration.
    do {
      advance();
    } while (!tok.is(TokenKind::Eof) && !tok.is(TokenKind::KwModel) &&
             !tok.is(TokenKind::KwFn));
  }
  return module;
}

std::unique_ptr<FunctionDecl> Parser::parseFunction() {
  advance(); // 'fn'
  auto fn = std::make_unique<FunctionDecl>();
  fn->nameRange = tok.getRange();
  fn->name = tok.spelling.str();
  if (!expect(TokenKind::Identifier, "for the function name"))
    return nullptr;
  Token openParen = tok;
  if (!expect(TokenKind::LParen, "after the function name"))
    return nullptr;
  if (!tok.is(TokenKind::RParen)) {
    do {
      fn->params.push_back(tok.spelling.str());
      fn->paramRanges.push_back(tok.getRange());
      if (!expect(TokenKind::Identifier, "for a parameter name"))
        return nullptr;
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expectClosing(TokenKind::RParen, "after the parameters", openParen) ||
      !expect(TokenKind::Equal, "before the function body"))
    return nullptr;
  fn->body = parseExpr();
  if (!fn->body)
    return nullptr;
  if (!tok.is(TokenKind::Newline) && !tok.is(TokenKind::Semicolon) &&
      !tok.is(TokenKind::Eof)) {
    expect(TokenKind::Newline, "after the function body");
    return nullptr;
  }
  return fn;
}

std::unique_ptr<ModelDecl> Parser::parseModel() {
  SMLoc start = tok.getLoc();
  advance(); // 'model'
  auto model = std::make_unique<ModelDecl>();
  model->nameRange = tok.getRange();
  model->name = tok.spelling.str();
  if (!expect(TokenKind::Identifier, "for the model name"))
    model->name.clear();
  Token openBrace = tok;
  if (!expect(TokenKind::LBrace, "to open the model body")) {
    // Skip the whole body rather than report each of its lines.
    while (!tok.is(TokenKind::Eof) && !tok.is(TokenKind::RBrace) &&
           !tok.is(TokenKind::KwModel) && !tok.is(TokenKind::KwFn))
      advance();
    consumeIf(TokenKind::RBrace);
    return nullptr;
  }
  while (true) {
    skipNewlines();
    if (tok.is(TokenKind::RBrace) || tok.is(TokenKind::Eof))
      break;
    if (tok.is(TokenKind::KwModel) || tok.is(TokenKind::KwFn)) {
      diags.error(tok.getRange(), "expected '}' to close model '" + model->name +
                                      "' before " + getTokenKindName(tok.kind));
      return nullptr;
    }
    SMLoc stmtStart = tok.getLoc();
    auto stmt = parseStatement();
    if (stmt && !tok.is(TokenKind::Newline) && !tok.is(TokenKind::Semicolon) &&
        !tok.is(TokenKind::RBrace)) {
      if (!tok.is(TokenKind::Error))
        diags.error(tok.getRange(), "expected end of line after the statement, found " +
                                        getTokenKindName(tok.kind));
      stmt = nullptr;
    }
    if (stmt)
      model->statements.push_back(std::move(stmt));
    else {
      if (!statementName.empty())
        model->brokenNames.push_back(statementName);
      recoverToStatementEnd(stmtStart);
    }
  }
  if (!expectClosing(TokenKind::RBrace, "to close model '" + model->name + "'", openBrace))
    return nullptr;
  model->range = rangeFrom(start);
  return model->name.empty() ? nullptr : std::move(model);
}

std::unique_ptr<Statement> Parser::parseStatement() {
  auto stmt = std::make_unique<Statement>();
  SMLoc start = tok.getLoc();
  statementName.clear();
  switch (tok.kind) {
  case TokenKind::KwInput: stmt->kind = Statement::Kind::Input; break;
  case TokenKind::KwParam: stmt->kind = Statement::Kind::Param; break;
  case TokenKind::KwBuffer: stmt->kind = Statement::Kind::Buffer; break;
  case TokenKind::KwLet: stmt->kind = Statement::Kind::Let; break;
  case TokenKind::KwOutput: stmt->kind = Statement::Kind::Output; break;
  case TokenKind::KwLoss: stmt->kind = Statement::Kind::Loss; break;
  case TokenKind::KwTrain: stmt->kind = Statement::Kind::Train; break;
  default:
    if (!tok.is(TokenKind::Error))
      diags.error(tok.getRange(),
                  "expected a statement (input, param, buffer, let, output, loss or train), found " +
                      getTokenKindName(tok.kind));
    return nullptr;
  }
  advance();
  llvm::StringRef keyword = getStatementKeyword(stmt->kind);

  if (stmt->kind == Statement::Kind::Train) {
    if (!expect(TokenKind::KwWith, "after 'train'"))
      return nullptr;
    SMLoc callStart = tok.getLoc();
    Token name = tok;
    if (!expect(TokenKind::Identifier, "naming an optimizer"))
      return nullptr;
    if (!tok.is(TokenKind::LParen)) {
      // `train with sgd` without arguments.
      stmt->value = std::make_unique<CallExpr>(rangeFrom(callStart), name.spelling,
                                               name.getRange(), std::vector<Argument>{});
    } else {
      stmt->value = parseCallRest(name);
    }
    stmt->range = rangeFrom(start);
    return stmt->value ? std::move(stmt) : nullptr;
  }

  stmt->name = tok.spelling.str();
  stmt->nameRange = tok.getRange();
  if (!expect(TokenKind::Identifier, ("after '" + keyword + "'").str()))
    return nullptr;
  statementName = stmt->name;

  if (stmt->kind == Statement::Kind::Input || stmt->kind == Statement::Kind::Param ||
      stmt->kind == Statement::Kind::Buffer) {
    if (!expect(TokenKind::Colon, ("before the type of " + keyword + " '" + stmt->name + "'").str()) ||
        !parseType(stmt->type))
      return nullptr;
    if (stmt->kind == Statement::Kind::Input) {
      stmt->range = rangeFrom(start);
      return stmt;
    }
    if (!expect(TokenKind::Equal,
                ("and an initializer after the " +
                 (stmt->kind == Statement::Kind::Param ? llvm::StringRef("parameter") : keyword) +
                 " type")
                    .str()))
      return nullptr;
  } else if (!expect(TokenKind::Equal, ("after the name of " + keyword + " '" + stmt->name + "'").str())) {
    return nullptr;
  }
  stmt->value = parseExpr();
  if (!stmt->value)
    return nullptr;
  stmt->range = rangeFrom(start);
  return stmt;
}

bool Parser::parseType(TypeSpec &type) {
  SMLoc start = tok.getLoc();
  type.dtypeName = tok.spelling.str();
  type.dtypeRange = tok.getRange();
  if (!expect(TokenKind::Identifier, "for an element type (f32, f64 or i32)"))
    return false;
  Token open = tok;
  if (!consumeIf(TokenKind::LBracket)) {
    type.range = rangeFrom(start);
    return true; // a scalar: `f32`
  }
  if (!tok.is(TokenKind::RBracket)) {
    do {
      DimSpec dim;
      dim.range = tok.getRange();
      if (tok.is(TokenKind::Number)) {
        int64_t size;
        if (tok.spelling.getAsInteger(10, size) || size < 1) {
          diags.error(tok.getRange(), "dimension must be a positive integer or a symbol, found '" +
                                          tok.spelling + "'");
          return false;
        }
        dim.size = size;
      } else if (tok.is(TokenKind::Identifier)) {
        dim.symbol = tok.spelling.str();
      } else {
        if (!tok.is(TokenKind::Error))
          diags.error(tok.getRange(), "expected a dimension (a positive integer or a symbol such as N), found " +
                                          getTokenKindName(tok.kind));
        return false;
      }
      advance();
      type.dims.push_back(std::move(dim));
    } while (consumeIf(TokenKind::Comma));
  }
  if (!expectClosing(TokenKind::RBracket, "to close the shape", open))
    return false;
  type.range = rangeFrom(start);
  return true;
}

std::unique_ptr<Expr> Parser::parseExpr() {
  NestingGuard guard(nesting);
  if (nesting > kMaxNesting) {
    diags.error(tok.getRange(), "expression is nested too deeply");
    return nullptr;
  }
  return parseAdditive();
}

std::unique_ptr<Expr> Parser::parseAdditive() {
  SMLoc start = tok.getLoc();
  auto lhs = parseMultiplicative();
  while (lhs && (tok.is(TokenKind::Plus) || tok.is(TokenKind::Minus))) {
    BinaryOp op = tok.is(TokenKind::Plus) ? BinaryOp::Add : BinaryOp::Sub;
    SMRange opRange = tok.getRange();
    advance();
    auto rhs = parseMultiplicative();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(rangeFrom(start), op, opRange, std::move(lhs),
                                       std::move(rhs));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseMultiplicative() {
  SMLoc start = tok.getLoc();
  auto lhs = parseUnary();
  while (lhs && (tok.is(TokenKind::Star) || tok.is(TokenKind::Slash) ||
                 tok.is(TokenKind::At))) {
    BinaryOp op = tok.is(TokenKind::Star)    ? BinaryOp::Mul
                  : tok.is(TokenKind::Slash) ? BinaryOp::Div
                                             : BinaryOp::MatMul;
    SMRange opRange = tok.getRange();
    advance();
    auto rhs = parseUnary();
    if (!rhs)
      return nullptr;
    lhs = std::make_unique<BinaryExpr>(rangeFrom(start), op, opRange, std::move(lhs),
                                       std::move(rhs));
  }
  return lhs;
}

std::unique_ptr<Expr> Parser::parseUnary() {
  NestingGuard guard(nesting);
  if (nesting > kMaxNesting) {
    diags.error(tok.getRange(), "expression is nested too deeply");
    return nullptr;
  }
  if (tok.is(TokenKind::Minus)) {
    SMLoc start = tok.getLoc();
    advance();
    auto operand = parseUnary();
    if (!operand)
      return nullptr;
    return std::make_unique<UnaryExpr>(rangeFrom(start), std::move(operand));
  }
  return parsePower();
}

std::unique_ptr<Expr> Parser::parsePower() {
  SMLoc start = tok.getLoc();
  auto base = parsePrimary();
  if (!base || !tok.is(TokenKind::StarStar))
    return base;
  SMRange opRange = tok.getRange();
  advance();
  auto exponent = parseUnary(); // right-associative; allows x ** -1
  if (!exponent)
    return nullptr;
  return std::make_unique<BinaryExpr>(rangeFrom(start), BinaryOp::Pow, opRange,
                                      std::move(base), std::move(exponent));
}

std::unique_ptr<Expr> Parser::parsePrimary() {
  Token t = tok;
  switch (t.kind) {
  case TokenKind::Number: {
    advance();
    bool isInteger = !t.spelling.contains_insensitive('.') &&
                     !t.spelling.contains_insensitive('e');
    double value = std::strtod(t.spelling.str().c_str(), nullptr);
    if (!std::isfinite(value)) {
      diags.error(t.getRange(), "number '" + t.spelling + "' is out of range");
      return nullptr;
    }
    return std::make_unique<NumberExpr>(t.getRange(), value, isInteger);
  }
  case TokenKind::String:
    advance();
    return std::make_unique<StringExpr>(t.getRange(), t.spelling.drop_front().drop_back());
  case TokenKind::KwTrue:
  case TokenKind::KwFalse:
    advance();
    return std::make_unique<BoolExpr>(t.getRange(), t.is(TokenKind::KwTrue));
  case TokenKind::Identifier:
    advance();
    if (tok.is(TokenKind::LParen))
      return parseCallRest(t);
    return std::make_unique<NameExpr>(t.getRange(), t.spelling);
  case TokenKind::LParen: {
    advance();
    auto inner = parseExpr();
    if (!inner || !expectClosing(TokenKind::RParen, "to close the parenthesis", t))
      return nullptr;
    return inner;
  }
  case TokenKind::LBracket:
    return parseList();
  case TokenKind::Error:
    return nullptr; // already reported by the lexer
  default:
    diags.error(t.getRange(), "expected an expression, found " + getTokenKindName(t.kind));
    return nullptr;
  }
}

std::unique_ptr<Expr> Parser::parseCallRest(Token callee) {
  Token open = tok;
  advance(); // '('
  std::vector<Argument> args;
  if (!tok.is(TokenKind::RParen)) {
    do {
      Argument arg;
      if (tok.is(TokenKind::Identifier)) {
        // Look ahead for `name=`: the lexer is cheap to copy.
        Lexer probe = lexer;
        Token after = probe.next();
        if (after.is(TokenKind::Equal)) {
          arg.name = tok.spelling.str();
          arg.nameRange = tok.getRange();
          advance();
          advance();
        }
      }
      arg.value = parseExpr();
      if (!arg.value)
        return nullptr;
      args.push_back(std::move(arg));
    } while (consumeIf(TokenKind::Comma) && !tok.is(TokenKind::RParen));
  }
  if (!expectClosing(TokenKind::RParen, ("to close the call of '" + callee.spelling + "'").str(),
                     open))
    return nullptr;
  return std::make_unique<CallExpr>(rangeFrom(callee.getLoc()), callee.spelling,
                                    callee.getRange(), std::move(args));
}

std::unique_ptr<Expr> Parser::parseList() {
  SMLoc start = tok.getLoc();
  Token open = tok;
  advance(); // '['
  std::vector<std::unique_ptr<Expr>> elements;
  if (!tok.is(TokenKind::RBracket)) {
    do {
      auto e = parseExpr();
      if (!e)
        return nullptr;
      elements.push_back(std::move(e));
    } while (consumeIf(TokenKind::Comma) && !tok.is(TokenKind::RBracket));
  }
  if (!expectClosing(TokenKind::RBracket, "to close the list", open))
    return nullptr;
  return std::make_unique<ListExpr>(rangeFrom(start), std::move(elements));
}
