//===- LexerTest.cpp - Tokens of the .dnn language ------------------------===//

#include "dnnc/Frontend/Lexer.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

using namespace dnnc::frontend;

namespace {
struct Lexed {
  std::vector<TokenKind> kinds;
  std::vector<std::string> spellings;
  std::string diagnostics;
};

Lexed lex(llvm::StringRef text) {
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(text, "t.dnn"),
                               llvm::SMLoc());
  Lexed result;
  llvm::raw_string_ostream os(result.diagnostics);
  DiagnosticEngine diags(sourceMgr, os);
  Lexer lexer(sourceMgr.getMemoryBuffer(1)->getBuffer(), diags);
  for (Token t = lexer.next(); !t.is(TokenKind::Eof); t = lexer.next()) {
    result.kinds.push_back(t.kind);
    result.spellings.push_back(t.spelling.str());
  }
  return result;
}
} // namespace

TEST(Lexer, KeywordsIdentifiersAndNumbers) {
  Lexed l = lex("let h1 = 1.5e-3 ** 2");
  using K = TokenKind;
  EXPECT_EQ(l.kinds, (std::vector<K>{K::KwLet, K::Identifier, K::Equal, K::Number,
                                     K::StarStar, K::Number}));
  EXPECT_EQ(l.spellings[3], "1.5e-3");
}

TEST(Lexer, CommentsAndBlankLinesCollapse) {
  Lexed l = lex("# comment\n\nx # trailing\n\n\ny\n");
  using K = TokenKind;
  EXPECT_EQ(l.kinds, (std::vector<K>{K::Identifier, K::Newline, K::Identifier, K::Newline}));
}

TEST(Lexer, NoNewlinesInsideBrackets) {
  Lexed l = lex("f(a,\n  b)\n[1,\n2]");
  // Only the newline after ')' ends a statement.
  ASSERT_EQ(llvm::count(l.kinds, TokenKind::Newline), 1);
  auto nl = llvm::find(l.kinds, TokenKind::Newline) - l.kinds.begin();
  EXPECT_EQ(l.spellings[nl - 1], ")");
}

TEST(Lexer, ReportsBadCharactersAndKeepsGoing) {
  Lexed l = lex("a $ b");
  EXPECT_EQ(l.kinds.size(), 3u);
  EXPECT_NE(l.diagnostics.find("t.dnn:1:3: error: unexpected character '$'"), std::string::npos);
}

TEST(Lexer, RejectsMalformedNumbers) {
  Lexed l = lex("1e+ 2abc");
  EXPECT_NE(l.diagnostics.find("exponent has no digits"), std::string::npos);
  EXPECT_NE(l.diagnostics.find("malformed number '2abc'"), std::string::npos);
}
