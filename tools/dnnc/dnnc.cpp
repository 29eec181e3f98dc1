//===- dnnc.cpp - The dnnc command-line compiler --------------------------===//
//
// Parses the command line into dnnc::DriverOptions; the work is in the
// DNNCDriver library.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Driver/Driver.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#ifndef DNNC_VERSION
#define DNNC_VERSION "unknown"
#endif

namespace cl = llvm::cl;

static cl::OptionCategory dnncCategory("dnnc options");

static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<model.dnn>"),
                                      cl::init("-"), cl::cat(dnncCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Output file (default: stdout)"),
                                       cl::value_desc("file"), cl::init("-"),
                                       cl::cat(dnncCategory));
static cl::opt<dnnc::EmitKind> emitKind(
    "emit", cl::desc("What to emit"), cl::init(dnnc::EmitKind::MLIR),
    cl::values(clEnumValN(dnnc::EmitKind::AST, "ast", "the checked syntax tree"),
               clEnumValN(dnnc::EmitKind::MLIR, "mlir", "the dnn dialect"),
               clEnumValN(dnnc::EmitKind::Summary, "summary",
                          "per model: signature, parameter count, op histogram")),
    cl::cat(dnncCategory));
static cl::opt<bool> noSimplify("no-simplify",
                                cl::desc("Emit the dnn dialect exactly as generated, "
                                         "without canonicalization and CSE"),
                                cl::init(false), cl::cat(dnncCategory));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "dnnc version " << DNNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING << ")\n";
  });
  cl::ParseCommandLineOptions(argc, argv,
                              "dnnc: compile .dnn neural-network models\n\n"
                              "  dnnc model.dnn --emit=mlir    print the dnn dialect\n");

  mlir::DialectRegistry registry;
  dnnc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);

  dnnc::DriverOptions options;
  options.inputFile = inputFile;
  options.outputFile = outputFile;
  options.emit = emitKind;
  options.simplify = !noSimplify;
  return dnnc::runDriver(options, context, llvm::errs());
}
