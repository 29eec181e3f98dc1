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
#include "mlir/Support/Timing.h"
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
    "emit", cl::desc("What to emit (default: from the -o extension .so/.o/.s/.ll/.h, else mlir)"),
    cl::values(
        clEnumValN(dnnc::EmitKind::AST, "ast", "the checked syntax tree"),
        clEnumValN(dnnc::EmitKind::Summary, "summary",
                   "per model: signature, parameter count, op histogram"),
        clEnumValN(dnnc::EmitKind::Grad, "grad",
                   "the derived backward graph, one value per line"),
        clEnumValN(dnnc::EmitKind::MLIR, "mlir", "MLIR after --compile-to (default: dnn)"),
        clEnumValN(dnnc::EmitKind::Linalg, "linalg", "MLIR lowered to linalg on tensors"),
        clEnumValN(dnnc::EmitKind::LLVMMLIR, "llvm-mlir", "MLIR in the LLVM dialect"),
        clEnumValN(dnnc::EmitKind::LLVMIR, "llvm", "optimized LLVM IR"),
        clEnumValN(dnnc::EmitKind::Assembly, "asm", "native assembly"),
        clEnumValN(dnnc::EmitKind::Object, "obj", "an object file"),
        clEnumValN(dnnc::EmitKind::Library, "so", "a shared library and its C header"),
        clEnumValN(dnnc::EmitKind::Header, "header", "the C header alone"),
        clEnumValN(dnnc::EmitKind::Memory, "memory",
                   "bytes of params, optimizer state and each entry's workspace"),
        clEnumValN(dnnc::EmitKind::PTX, "ptx",
                   "--target=cuda: the kernels' PTX, per --cuda-arch")),
    cl::cat(dnncCategory));
// cl::desc keeps a reference: the text must outlive the option.
static const std::string compileToHelp = "With --emit=mlir, stop after this phase: " + dnnc::getPhaseNameList();
static cl::opt<std::string> compileTo(
    "compile-to",
    cl::desc(compileToHelp),
    cl::value_desc("phase"), cl::init("dnn"), cl::cat(dnncCategory));
static cl::opt<dnnc::CodegenTarget> codegenTarget(
    "target", cl::desc("What to generate code for"), cl::init(dnnc::CodegenTarget::CPU),
    cl::values(clEnumValN(dnnc::CodegenTarget::CPU, "cpu", "the host CPU (default)"),
               clEnumValN(dnnc::CodegenTarget::CUDA, "cuda",
                          "NVIDIA GPUs: kernels compiled to PTX per --cuda-arch")),
    cl::cat(dnncCategory));
static cl::list<std::string> cudaArchs(
    "cuda-arch", cl::desc("With --target=cuda, the architectures (default: sm_80,sm_90)"),
    cl::value_desc("sm_XX,..."), cl::CommaSeparated, cl::cat(dnncCategory));
static cl::opt<std::string> cudaPath(
    "cuda-path", cl::desc("With --target=cuda, the CUDA toolkit (default: /usr/local/cuda)"),
    cl::value_desc("dir"), cl::init("/usr/local/cuda"), cl::cat(dnncCategory));
static cl::opt<bool> cudaLoopNestsOnCPU(
    "cuda-loop-nests-on-cpu",
    cl::desc("Test only: compile for the CPU the loop nests, blocks and threads that "
             "--target=cuda maps to kernels, so that dnn-verify checks the mapping without a GPU"),
    cl::init(false), cl::Hidden, cl::cat(dnncCategory));
static cl::list<int64_t> memoryBatches(
    "memory-batch", cl::desc("With --emit=memory, the batch sizes (default: 1,32,128,256)"),
    cl::value_desc("n,..."), cl::CommaSeparated, cl::cat(dnncCategory));
static cl::opt<std::string> batchBinding(
    "batch",
    cl::desc("Also compile every entry with a symbolic dimension fixed to a size, e.g. "
             "--batch N=128; the runtime calls that copy when a call binds the symbol to the "
             "size and the symbolic code otherwise"),
    cl::value_desc("SYMBOL=SIZE"), cl::cat(dnncCategory));
static cl::opt<bool> noSimplify("no-simplify",
                                cl::desc("Emit the dnn dialect exactly as generated, "
                                         "without canonicalization and CSE"),
                                cl::init(false), cl::cat(dnncCategory));
static cl::opt<std::string> headerFile(
    "header", cl::desc("Where to write the C header of a shared library (default: beside it)"),
    cl::value_desc("file"), cl::cat(dnncCategory));
static cl::opt<std::string> targetCPU("target-cpu",
                                      cl::desc("Target CPU (default: the host's), e.g. skylake"),
                                      cl::value_desc("cpu"), cl::cat(dnncCategory));
static cl::opt<std::string> targetFeatures(
    "target-features", cl::desc("Target features, e.g. +avx2,-avx512f (default: the host's)"),
    cl::value_desc("features"), cl::cat(dnncCategory));
enum class Convolutions { Auto, Im2col, Direct };
static cl::opt<Convolutions> convolutions(
    "convolutions", cl::desc("How forward convolutions are computed"),
    cl::init(Convolutions::Auto),
    cl::values(clEnumValN(Convolutions::Auto, "auto", "direct or im2col per convolution (default)"),
               clEnumValN(Convolutions::Im2col, "im2col", "a matmul over im2col columns"),
               clEnumValN(Convolutions::Direct, "direct",
                          "a direct kernel where the strides are 1")),
    cl::cat(dnncCategory));
enum OptLevel { O0, O1, O2, O3 };
static cl::opt<OptLevel> optLevel(cl::desc("Optimization level"), cl::init(O3),
                                  cl::values(clEnumVal(O0, "no optimization"),
                                             clEnumVal(O1, "light optimization"),
                                             clEnumVal(O2, "default optimization"),
                                             clEnumVal(O3, "aggressive (default)")),
                                  cl::cat(dnncCategory));
static cl::opt<std::string> linker("linker",
                                   cl::desc("The clang++ driver that links with lld"),
                                   cl::value_desc("path"), cl::cat(dnncCategory));
static cl::opt<std::string> runtimeLibrary("runtime-library",
                                           cl::desc("The runtime archive (libdnnrt.a) to embed"),
                                           cl::value_desc("path"), cl::cat(dnncCategory));

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  mlir::registerMLIRContextCLOptions();
  mlir::registerPassManagerCLOptions();
  mlir::registerDefaultTimingManagerCLOptions();
  mlir::registerAsmPrinterCLOptions();
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "dnnc version " << DNNC_VERSION << " (LLVM/MLIR " << LLVM_VERSION_STRING << ")\n";
  });
  // libLLVM registers hundreds of global options; --help shows dnnc's own
  // (the MLIR pass-manager options such as --mlir-print-ir-after-all and
  // --mlir-timing still work, and --help-hidden lists everything).
  cl::HideUnrelatedOptions(dnncCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dnnc: compile .dnn neural-network models\n\n"
                              "  dnnc model.dnn -o model.so     a shared library and model.h\n"
                              "  dnnc model.dnn --emit=mlir     print the dnn dialect\n\n"
                              "MLIR pass-manager options (--mlir-print-ir-after-all, "
                              "--mlir-timing, ...) are accepted too; see --help-hidden.\n");

  mlir::DialectRegistry registry;
  dnnc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  // Errors point into the .dnn source; the IR of the failing op is noise there.
  context.printOpOnDiagnostic(false);

  dnnc::DriverOptions options;
  options.inputFile = inputFile;
  options.outputFile = outputFile;
  if (emitKind.getNumOccurrences())
    options.emit = emitKind;
  else
    options.emit = dnnc::emitKindForOutput(outputFile).value_or(dnnc::EmitKind::MLIR);
  auto phase = dnnc::parsePhaseName(compileTo);
  if (!phase) {
    llvm::errs() << "dnnc: error: unknown phase '" << compileTo << "'; expected one of "
                 << dnnc::getPhaseNameList() << "\n";
    return 2;
  }
  options.compileTo = *phase;
  options.codegenTarget = codegenTarget;
  options.cudaLoopNestsOnCPU = cudaLoopNestsOnCPU;
  if (!dnnc::hasPhase(options.codegenTarget, options.compileTo)) {
    llvm::errs() << "dnnc: error: phase '" << compileTo << "' is not a phase of --target="
                 << dnnc::getTargetName(options.codegenTarget) << "\n";
    return 2;
  }
  if (options.emit == dnnc::EmitKind::PTX && options.codegenTarget != dnnc::CodegenTarget::CUDA) {
    llvm::errs() << "dnnc: error: --emit=ptx needs --target=cuda\n";
    return 2;
  }
  if (!cudaArchs.empty()) {
    for (const std::string &arch : cudaArchs) {
      unsigned version;
      if (!llvm::StringRef(arch).starts_with("sm_") ||
          llvm::StringRef(arch).drop_front(3).rtrim('a').getAsInteger(10, version) ||
          version < 75) {
        llvm::errs() << "dnnc: error: --cuda-arch: '" << arch
                     << "' is not a CUDA architecture dnnc compiles for (sm_75 or newer, "
                        "e.g. sm_80, sm_90, sm_90a)\n";
        return 2;
      }
    }
    options.cuda.chips.assign(cudaArchs.begin(), cudaArchs.end());
  }
  options.cuda.toolkitPath = cudaPath;
  options.simplify = !noSimplify;
  options.headerFile = headerFile;
  if (!memoryBatches.empty()) {
    for (int64_t batch : memoryBatches)
      if (batch < 1) {
        llvm::errs() << "dnnc: error: --memory-batch: batch sizes must be at least 1, got "
                     << batch << "\n";
        return 2;
      }
    options.memoryBatches.assign(memoryBatches.begin(), memoryBatches.end());
  }
  if (batchBinding.getNumOccurrences()) {
    auto [symbol, size] = llvm::StringRef(batchBinding).split('=');
    if (symbol.empty() || size.getAsInteger(10, options.specializedSize) ||
        options.specializedSize < 1) {
      llvm::errs() << "dnnc: error: --batch: expected SYMBOL=SIZE with a positive size, e.g. "
                      "N=128, got '"
                   << batchBinding << "'\n";
      return 2;
    }
    options.specializedSymbol = symbol.str();
  }
  options.target.cpu = targetCPU;
  options.target.features = targetFeatures;
  options.target.optLevel = optLevel;
  // convert-dnn-to-linalg's `convolutions` option takes the same names.
  options.convolutions = convolutions == Convolutions::Im2col   ? "im2col"
                         : convolutions == Convolutions::Direct ? "direct"
                                                                : "auto";
  options.cuda.convolutions = options.convolutions;
  options.link.driver = linker;
  options.link.runtimeLibrary = runtimeLibrary;
  options.argv0 = argv[0];
  return dnnc::runDriver(options, context, llvm::errs());
}
