//===- FrontendFuzzer.cpp - libFuzzer entry point for the .dnn frontend ---===//
//
// Any byte string must give diagnostics or a verified module: never a crash,
// an assertion, a hang or a leak.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Dialect/DNN/IR/DNNDialect.h"
#include "dnnc/Frontend/MLIRGen.h"
#include "dnnc/Frontend/Parser.h"
#include "dnnc/Frontend/Sema.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static mlir::MLIRContext *context = [] {
    auto *ctx = new mlir::MLIRContext(mlir::MLIRContext::Threading::DISABLED);
    ctx->getOrLoadDialect<dnnc::dnn::DNNDialect>();
    return ctx;
  }();
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          llvm::StringRef(reinterpret_cast<const char *>(data), size), "fuzz.dnn"),
      llvm::SMLoc());
  std::string sink;
  llvm::raw_string_ostream os(sink);
  dnnc::frontend::DiagnosticEngine diags(sourceMgr, os);
  llvm::StringRef buffer = sourceMgr.getMemoryBuffer(1)->getBuffer();
  dnnc::frontend::Parser parser(buffer, diags);
  auto ast = parser.parseModule();
  if (!dnnc::frontend::checkModule(*ast, diags) || diags.hadError())
    return 0;
  mlir::ScopedDiagnosticHandler handler(context, [](mlir::Diagnostic &) {
    return mlir::success();
  });
  auto module = dnnc::frontend::emitMLIR(*ast, *context, sourceMgr);
  // Sema accepted the program, so the dialect must accept the IR.
  if (failed(mlir::verify(*module)))
    std::abort();
  return 0;
}
