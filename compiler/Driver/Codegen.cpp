//===- Codegen.cpp - From the dnn dialect to native artifacts -------------===//
//
// The back half of dnnc: the CPU pipeline up to the requested phase, then
// LLVM IR with the library descriptor, optimization, native code and the
// lld link, writing whichever stage --emit asks for.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Driver/Driver.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Dialect/DNN/Transforms/Passes.h"
#include "dnnc/Target/CPU/HeaderGenerator.h"
#include "dnnc/Target/CPU/LibraryDescriptor.h"
#include "dnnc/Target/MemoryReport.h"
#include "dnnc/Target/ModelSignature.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

#ifndef DNNC_VERSION
#define DNNC_VERSION "unknown"
#endif

using namespace mlir;
using namespace dnnc;

std::optional<EmitKind> dnnc::emitKindForOutput(llvm::StringRef outputFile) {
  llvm::StringRef ext = llvm::sys::path::extension(outputFile);
  return llvm::StringSwitch<std::optional<EmitKind>>(ext)
      .Case(".so", EmitKind::Library)
      .Case(".o", EmitKind::Object)
      .Case(".s", EmitKind::Assembly)
      .Case(".ll", EmitKind::LLVMIR)
      .Case(".h", EmitKind::Header)
      .Default(std::nullopt);
}

namespace {

int fail(llvm::raw_ostream &diagOut, const llvm::Twine &message) {
  diagOut << "dnnc: error: " << message << "\n";
  return 1;
}

int fail(llvm::raw_ostream &diagOut, llvm::Error error) {
  return fail(diagOut, llvm::toString(std::move(error)));
}

std::string libraryName(llvm::StringRef outputFile) {
  llvm::StringRef stem = llvm::sys::path::stem(outputFile);
  stem.consume_front("lib");
  return stem.empty() || outputFile == "-" ? "model" : stem.str();
}

int writeHeader(llvm::ArrayRef<ModelSignature> signatures, llvm::StringRef path,
                llvm::StringRef name, llvm::raw_ostream &diagOut) {
  std::string error;
  auto output = openOutputFile(path, &error);
  if (!output)
    return fail(diagOut, error);
  generateHeader(signatures, name, output->os());
  output->keep();
  return 0;
}

/// `--batch N=128`: adds, after each model with symbol N, a copy named
/// `<model>_N128` whose inputs have N fixed to 128 (dnn-specialize-shapes),
/// and records the copy's entry functions in the signatures.
LogicalResult addSpecializedModels(ModuleOp module, std::vector<ModelSignature> &signatures,
                                   const DriverOptions &options, llvm::raw_ostream &diagOut) {
  const std::string &symbol = options.specializedSymbol;
  std::string binding = symbol + "=" + std::to_string(options.specializedSize);
  bool any = false;
  for (ModelSignature &sig : signatures) {
    if (!llvm::is_contained(sig.symbols, symbol))
      continue;
    any = true;
    auto model = module.lookupSymbol<dnn::ModelOp>(sig.name);
    std::string name = sig.name + "_" + symbol + std::to_string(options.specializedSize);
    if (module.lookupSymbol(name)) {
      diagOut << "dnnc: error: --batch " << binding << ": the copy of model '" << sig.name
              << "' would be named '" << name << "', which the source already uses\n";
      return failure();
    }
    OpBuilder b(model);
    b.setInsertionPointAfter(model);
    auto copy = cast<dnn::ModelOp>(b.clone(*model));
    copy.setSymName(name);
    copy->setAttr("dnn.specialization", b.getStringAttr(binding));
    PassManager pm(module.getContext(), dnn::ModelOp::getOperationName());
    dnn::DNNSpecializeShapesPassOptions specialize;
    specialize.bindings = {binding};
    pm.addPass(dnn::createDNNSpecializeShapesPass(specialize));
    if (failed(pm.run(copy)))
      return failure();
    for (EntrySignature &entry : sig.entries) {
      entry.specializedSymbolName = name + "_" + entry.name;
      entry.specializedSymbol = symbol;
      entry.specializedSize = options.specializedSize;
    }
  }
  if (!any) {
    diagOut << "dnnc: error: --batch " << binding << ": no model has a symbolic dimension '"
            << symbol << "'";
    for (const ModelSignature &sig : signatures)
      diagOut << "; model '" << sig.name << "' has "
              << (sig.symbols.empty() ? std::string("none") : llvm::join(sig.symbols, ", "));
    diagOut << "\n";
    return failure();
  }
  return success();
}

} // namespace

LogicalResult dnnc::runPhases(ModuleOp module, std::vector<ModelSignature> &signatures,
                              CompilePhase from, CompilePhase to,
                              llvm::function_ref<void(OpPassManager &, CompilePhase, CompilePhase)>
                                  build) {
  // The activations kept for the backward pass (memory report, library
  // descriptor) are read off the differentiated graph before lowering goes on.
  if (from < CompilePhase::Grad && CompilePhase::Grad < to) {
    PassManager gradPm(module.getContext());
    if (failed(applyPassManagerCLOptions(gradPm)))
      return failure();
    build(gradPm, from, CompilePhase::Grad);
    if (failed(gradPm.run(module)))
      return failure();
    collectSavedActivations(module, signatures);
    from = CompilePhase::Grad;
  }
  PassManager pm(module.getContext());
  if (failed(applyPassManagerCLOptions(pm)))
    return failure();
  applyDefaultTimingPassManagerCLOptions(pm);
  build(pm, from, to);
  return pm.run(module);
}

int dnnc::runCodegen(ModuleOp module, const DriverOptions &options, llvm::raw_ostream &diagOut) {
  auto signatures = extractSignatures(module);
  if (failed(signatures))
    return 1;
  std::string name = libraryName(options.outputFile);
  if (options.emit == EmitKind::Header)
    return writeHeader(*signatures, options.outputFile, name, diagOut);
  if (options.emit == EmitKind::Library && options.outputFile == "-")
    return fail(diagOut, "a shared library needs an output file: -o model.so");
  if (!options.specializedSymbol.empty() &&
      failed(addSpecializedModels(module, *signatures, options, diagOut)))
    return 1;
  if (options.codegenTarget == CodegenTarget::CUDA)
    return runCUDACodegen(module, *signatures, options, diagOut);

  auto machine = createTargetMachine(options.target);
  if (!machine)
    return fail(diagOut, machine.takeError());

  CPUPipelineOptions pipelineOptions;
  pipelineOptions.vectorize = options.target.optLevel > 0;
  pipelineOptions.vectorWidth = getNativeVectorWidth(**machine);
  pipelineOptions.convolutions = options.convolutions;
  pipelineOptions.cudaLoopNests = options.cudaLoopNestsOnCPU;
  CompilePhase lastPhase = options.emit == EmitKind::MLIR     ? options.compileTo
                           : options.emit == EmitKind::Linalg ? CompilePhase::Linalg
                           : options.emit == EmitKind::Memory ? CompilePhase::Bufferized
                                                              : CompilePhase::LLVM;
  if (failed(runPhases(module, *signatures, CompilePhase::DNN, lastPhase,
                       [&](OpPassManager &pm, CompilePhase from, CompilePhase to) {
                         buildCPUPipeline(pm, from, to, pipelineOptions);
                       })))
    return 1;

  std::string error;
  if (options.emit == EmitKind::Memory) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    if (failed(printMemoryReport(module, *signatures, options.memoryBatches,
                                 output->os(), error)))
      return fail(diagOut, error);
    output->keep();
    return 0;
  }
  if (options.emit == EmitKind::MLIR || options.emit == EmitKind::Linalg ||
      options.emit == EmitKind::LLVMMLIR) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    module.print(output->os());
    output->os() << "\n";
    output->keep();
    return 0;
  }

  return emitNativeArtifacts(module, *signatures, options, **machine, LibraryDevice{}, diagOut);
}

int dnnc::emitNativeArtifacts(ModuleOp module, llvm::ArrayRef<ModelSignature> signatures,
                              const DriverOptions &options, llvm::TargetMachine &machine,
                              const LibraryDevice &device, llvm::raw_ostream &diagOut) {
  std::string name = libraryName(options.outputFile);
  std::string error;
  llvm::LLVMContext llvmContext;
  std::unique_ptr<llvm::Module> llvmModule = translateModuleToLLVMIR(module, llvmContext, name);
  if (!llvmModule)
    return fail(diagOut, "cannot translate the LLVM dialect to LLVM IR");
  if (llvm::Error err =
          emitLibraryDescriptor(*llvmModule, signatures, "dnnc " DNNC_VERSION, device))
    return fail(diagOut, std::move(err));
  // Only the descriptor is the library's own API (the runtime adds dnn_*):
  // lowered functions and outlined loop bodies stay local to the object.
  for (llvm::Function &fn : *llvmModule)
    if (!fn.isDeclaration() && fn.getName() != "dnn_library")
      fn.setLinkage(llvm::GlobalValue::InternalLinkage);
  optimizeModule(*llvmModule, machine, options.target.optLevel);

  if (options.emit == EmitKind::LLVMIR) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    llvmModule->print(output->os(), nullptr);
    output->keep();
    return 0;
  }
  if (options.emit == EmitKind::Assembly || options.emit == EmitKind::Object) {
    auto output = openOutputFile(options.outputFile, &error);
    if (!output)
      return fail(diagOut, error);
    auto kind = options.emit == EmitKind::Object ? NativeFileKind::Object : NativeFileKind::Assembly;
    if (llvm::Error err = emitNativeCode(*llvmModule, machine, kind, output->os()))
      return fail(diagOut, std::move(err));
    output->keep();
    return 0;
  }

  // A shared library: object to a temporary file, lld, then the header.
  LinkOptions link = options.link;
  if (llvm::Error err = resolveLinkOptions(link, options.argv0))
    return fail(diagOut, std::move(err));
  llvm::SmallString<128> object;
  int fd;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("dnnc-" + name, "o", fd, object))
    return fail(diagOut, "cannot create a temporary object file: " + ec.message());
  llvm::scope_exit removeObject([&] { llvm::sys::fs::remove(object); });
  {
    llvm::raw_fd_ostream os(fd, /*shouldClose=*/true);
    if (llvm::Error err = emitNativeCode(*llvmModule, machine, NativeFileKind::Object, os))
      return fail(diagOut, std::move(err));
  }
  if (llvm::Error err = linkSharedLibrary(object, options.outputFile, link))
    return fail(diagOut, std::move(err));
  std::string header = options.headerFile;
  if (header.empty()) {
    llvm::SmallString<128> path(options.outputFile);
    llvm::sys::path::replace_extension(path, "h");
    header = path.str().str();
  }
  return writeHeader(signatures, header, name, diagOut);
}
