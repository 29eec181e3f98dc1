//===- Lexer.cpp - Tokenizer for the .dnn language ------------------------===//

#include "dnnc/Frontend/Lexer.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/ADT/StringExtras.h"

using namespace dnnc::frontend;

llvm::StringRef dnnc::frontend::getTokenKindName(TokenKind kind) {
  switch (kind) {
  case TokenKind::Eof: return "end of file";
  case TokenKind::Newline: return "end of line";
  case TokenKind::Error: return "invalid character";
  case TokenKind::Identifier: return "identifier";
  case TokenKind::Number: return "number";
  case TokenKind::String: return "string";
  case TokenKind::KwModel: return "'model'";
  case TokenKind::KwFn: return "'fn'";
  case TokenKind::KwInput: return "'input'";
  case TokenKind::KwParam: return "'param'";
  case TokenKind::KwBuffer: return "'buffer'";
  case TokenKind::KwLet: return "'let'";
  case TokenKind::KwOutput: return "'output'";
  case TokenKind::KwLoss: return "'loss'";
  case TokenKind::KwTrain: return "'train'";
  case TokenKind::KwWith: return "'with'";
  case TokenKind::KwTrue: return "'true'";
  case TokenKind::KwFalse: return "'false'";
  case TokenKind::LBrace: return "'{'";
  case TokenKind::RBrace: return "'}'";
  case TokenKind::LParen: return "'('";
  case TokenKind::RParen: return "')'";
  case TokenKind::LBracket: return "'['";
  case TokenKind::RBracket: return "']'";
  case TokenKind::Comma: return "','";
  case TokenKind::Colon: return "':'";
  case TokenKind::Semicolon: return "';'";
  case TokenKind::Equal: return "'='";
  case TokenKind::Plus: return "'+'";
  case TokenKind::Minus: return "'-'";
  case TokenKind::Star: return "'*'";
  case TokenKind::Slash: return "'/'";
  case TokenKind::At: return "'@'";
  case TokenKind::StarStar: return "'**'";
  }
  return "token";
}

static bool isIdentStart(char c) { return llvm::isAlpha(c) || c == '_'; }
static bool isIdentChar(char c) { return llvm::isAlnum(c) || c == '_'; }

Token Lexer::next() {
  while (true) {
    const char *start = cur;
    if (cur == buffer.end())
      return make(TokenKind::Eof, start);
    char c = *cur++;
    switch (c) {
    case ' ': case '\t': case '\r': case '\f': case '\v':
      continue;
    case '#':
      while (cur != buffer.end() && *cur != '\n')
        ++cur;
      continue;
    case '\n':
      if (nesting > 0 || lastWasNewline)
        continue;
      lastWasNewline = true;
      return make(TokenKind::Newline, start);
    default:
      break;
    }
    lastWasNewline = false;
    switch (c) {
    // Braces and statement keywords never occur inside an expression, so an
    // unclosed ( or [ ends there rather than swallowing the rest of the file.
    case '{': nesting = 0; return make(TokenKind::LBrace, start);
    case '}': nesting = 0; return make(TokenKind::RBrace, start);
    case '(': ++nesting; return make(TokenKind::LParen, start);
    case ')': nesting = nesting > 0 ? nesting - 1 : 0; return make(TokenKind::RParen, start);
    case '[': ++nesting; return make(TokenKind::LBracket, start);
    case ']': nesting = nesting > 0 ? nesting - 1 : 0; return make(TokenKind::RBracket, start);
    case ',': return make(TokenKind::Comma, start);
    case ':': return make(TokenKind::Colon, start);
    case ';': lastWasNewline = true; return make(TokenKind::Semicolon, start);
    case '=': return make(TokenKind::Equal, start);
    case '+': return make(TokenKind::Plus, start);
    case '-': return make(TokenKind::Minus, start);
    case '/': return make(TokenKind::Slash, start);
    case '@': return make(TokenKind::At, start);
    case '"': {
      // A string runs to the next quote on the same line; no escapes.
      while (cur != buffer.end() && *cur != '"' && *cur != '\n')
        ++cur;
      if (cur == buffer.end() || *cur != '"') {
        Token bad = make(TokenKind::Error, start);
        diags.error(bad.getRange(), "unterminated string: a string ends with '\"' on its line");
        return bad;
      }
      ++cur;
      return make(TokenKind::String, start);
    }
    case '*':
      if (cur != buffer.end() && *cur == '*') {
        ++cur;
        return make(TokenKind::StarStar, start);
      }
      return make(TokenKind::Star, start);
    default:
      break;
    }
    if (isIdentStart(c))
      return lexIdentifier(start);
    if (llvm::isDigit(c) || (c == '.' && cur != buffer.end() && llvm::isDigit(*cur)))
      return lexNumber(start);

    Token bad = make(TokenKind::Error, start);
    if (llvm::isPrint(c))
      diags.error(bad.getRange(), llvm::Twine("unexpected character '") + llvm::Twine(c) + "'");
    else
      diags.error(bad.getRange(),
                  llvm::Twine("unexpected byte 0x") +
                      llvm::Twine(llvm::utohexstr((unsigned char)c)));
    return bad;
  }
}

Token Lexer::lexIdentifier(const char *start) {
  while (cur != buffer.end() && isIdentChar(*cur))
    ++cur;
  llvm::StringRef text(start, cur - start);
  TokenKind kind = llvm::StringSwitch<TokenKind>(text)
                       .Case("model", TokenKind::KwModel)
                       .Case("fn", TokenKind::KwFn)
                       .Case("input", TokenKind::KwInput)
                       .Case("param", TokenKind::KwParam)
                       .Case("buffer", TokenKind::KwBuffer)
                       .Case("let", TokenKind::KwLet)
                       .Case("output", TokenKind::KwOutput)
                       .Case("loss", TokenKind::KwLoss)
                       .Case("train", TokenKind::KwTrain)
                       .Case("with", TokenKind::KwWith)
                       .Case("true", TokenKind::KwTrue)
                       .Case("false", TokenKind::KwFalse)
                       .Default(TokenKind::Identifier);
  if (kind != TokenKind::Identifier && kind != TokenKind::KwTrue &&
      kind != TokenKind::KwFalse && kind != TokenKind::KwWith)
    nesting = 0;
  return make(kind, start);
}

Token Lexer::lexNumber(const char *start) {
  auto digits = [&] {
    while (cur != buffer.end() && llvm::isDigit(*cur))
      ++cur;
  };
  digits();
  if (cur != buffer.end() && *cur == '.') {
    ++cur;
    digits();
  }
  if (cur != buffer.end() && (*cur == 'e' || *cur == 'E')) {
    const char *mark = cur++;
    if (cur != buffer.end() && (*cur == '+' || *cur == '-'))
      ++cur;
    if (cur == buffer.end() || !llvm::isDigit(*cur)) {
      cur = mark + 1;
      Token bad = make(TokenKind::Error, start);
      diags.error(bad.getRange(), "malformed number: exponent has no digits");
      return bad;
    }
    digits();
  }
  if (cur != buffer.end() && isIdentStart(*cur)) {
    while (cur != buffer.end() && isIdentChar(*cur))
      ++cur;
    Token bad = make(TokenKind::Error, start);
    diags.error(bad.getRange(), "malformed number '" + bad.spelling + "'");
    return bad;
  }
  return make(TokenKind::Number, start);
}
