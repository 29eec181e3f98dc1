//===- CUDACodegen.cpp - dnnc --target=cuda -------------------------------===//
//
// The CUDA back half: the shared front half (dnn, autodiff, linalg with its
// fusion), bufferization, loop nests mapped to kernels, kernels compiled for
// each --cuda-arch, host code in the LLVM dialect, and then, as on the CPU,
// LLVM IR with the library descriptor, an object or a shared library. The
// library embeds one fatbin with a cubin per architecture and the PTX of the
// newest (for newer GPUs), made with the toolkit's ptxas and fatbinary.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Driver/Driver.h"
#include "dnnc/Target/CPU/ObjectEmitter.h"
#include "dnnc/Target/MemoryReport.h"
#include "dnnc/Target/ModelSignature.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
using namespace dnnc;

namespace {

int fail(llvm::raw_ostream &diagOut, const llvm::Twine &message) {
  diagOut << "dnnc: error: " << message << "\n";
  return 1;
}

/// Writes the PTX of every kernel module, one per architecture, each
/// preceded by a comment naming its module and architecture.
void printPTX(ModuleOp module, llvm::raw_ostream &os) {
  module.walk([&](gpu::BinaryOp binary) {
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      auto target = dyn_cast<NVVM::NVVMTargetAttr>(object.getTarget());
      os << "// dnnc: module " << binary.getSymName() << ", "
         << (target ? target.getChip() : "unknown target") << "\n";
      os << object.getObject().getValue() << "\n";
    }
  });
}

/// Runs `program` with `args`; on failure, its output goes into the error.
llvm::Error runTool(llvm::StringRef program, llvm::ArrayRef<llvm::StringRef> args) {
  llvm::SmallString<128> log;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile("dnnc-tool", "log", log))
    return llvm::createStringError(ec, "cannot create a temporary file");
  llvm::scope_exit removeLog([&] { llvm::sys::fs::remove(log); });
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, llvm::StringRef(log),
                                                llvm::StringRef(log)};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(program, args, std::nullopt, redirects, 0, 0, &message);
  if (rc == 0)
    return llvm::Error::success();
  auto output = llvm::MemoryBuffer::getFile(log);
  return llvm::createStringError(
      "%s failed%s%s: %s", program.str().c_str(), message.empty() ? "" : ": ", message.c_str(),
      output ? (*output)->getBuffer().trim().str().c_str() : "");
}

/// Replaces the PTX objects of every gpu.binary by one fatbin: a cubin per
/// architecture (ptxas) and the PTX of the last one, which the driver
/// compiles for GPUs newer than all of them (fatbinary).
llvm::Error packFatbins(ModuleOp module, const CUDAPipelineOptions &cuda) {
  std::string ptxas = cuda.toolkitPath + "/bin/ptxas";
  std::string fatbinary = cuda.toolkitPath + "/bin/fatbinary";
  for (const std::string &tool : {ptxas, fatbinary})
    if (!llvm::sys::fs::can_execute(tool))
      return llvm::createStringError("no %s: a CUDA library needs the toolkit's ptxas and "
                                     "fatbinary (--cuda-path)",
                                     tool.c_str());
  llvm::SmallVector<gpu::BinaryOp> binaries(module.getOps<gpu::BinaryOp>());
  for (gpu::BinaryOp binary : binaries) {
    llvm::SmallVector<std::string> files;
    llvm::scope_exit removeFiles([&] {
      for (const std::string &file : files)
        llvm::sys::fs::remove(file);
    });
    auto temporary = [&](llvm::StringRef suffix) -> llvm::Expected<std::string> {
      llvm::SmallString<128> path;
      if (std::error_code ec = llvm::sys::fs::createTemporaryFile("dnnc-kernels", suffix, path))
        return llvm::createStringError(ec, "cannot create a temporary file");
      files.push_back(path.str().str());
      return files.back();
    };
    std::vector<std::string> images;
    Attribute firstTarget;
    std::string lastPTX;
    unsigned lastSM = 0;
    for (Attribute attr : binary.getObjects()) {
      auto object = cast<gpu::ObjectAttr>(attr);
      auto target = cast<NVVM::NVVMTargetAttr>(object.getTarget());
      if (!firstTarget)
        firstTarget = target;
      llvm::StringRef chip = target.getChip();
      unsigned sm = 0;
      chip.drop_front(3).rtrim('a').getAsInteger(10, sm);
      auto ptx = temporary("ptx");
      auto cubin = temporary("cubin");
      if (!ptx)
        return ptx.takeError();
      if (!cubin)
        return cubin.takeError();
      {
        std::error_code ec;
        llvm::raw_fd_ostream os(*ptx, ec);
        if (ec)
          return llvm::createStringError(ec, "cannot write %s", ptx->c_str());
        os << object.getObject().getValue();
      }
      std::string arch = ("-arch=" + chip).str();
      if (llvm::Error err = runTool(ptxas, {ptxas, arch, "-O3", *ptx, "-o", *cubin}))
        return err;
      images.push_back("--image3=kind=elf,sm=" + std::to_string(sm) + ",file=" + *cubin);
      if (sm >= lastSM) {
        lastSM = sm;
        lastPTX = "--image3=kind=ptx,sm=" + std::to_string(sm) + ",file=" + *ptx;
      }
    }
    if (images.empty())
      continue;
    images.push_back(lastPTX);
    auto fatbin = temporary("fatbin");
    if (!fatbin)
      return fatbin.takeError();
    std::string create = "--create=" + *fatbin;
    llvm::SmallVector<llvm::StringRef> args = {fatbinary, "-64", create};
    for (const std::string &image : images)
      args.push_back(image);
    if (llvm::Error err = runTool(fatbinary, args))
      return err;
    auto bytes = llvm::MemoryBuffer::getFile(*fatbin, /*IsText=*/false,
                                             /*RequiresNullTerminator=*/false);
    if (!bytes)
      return llvm::createStringError(bytes.getError(), "cannot read %s", fatbin->c_str());
    auto object = gpu::ObjectAttr::get(module.getContext(), firstTarget,
                                       gpu::CompilationTarget::Fatbin,
                                       StringAttr::get(module.getContext(),
                                                       (*bytes)->getBuffer()),
                                       nullptr, nullptr);
    binary.setObjectsAttr(ArrayAttr::get(module.getContext(), {object}));
  }
  return llvm::Error::success();
}

} // namespace

int dnnc::runCUDACodegen(ModuleOp module, std::vector<ModelSignature> &signatures,
                         const DriverOptions &options, llvm::raw_ostream &diagOut) {
  // PTX first in every case: a library's fatbin is made from it below.
  CUDAPipelineOptions cuda = options.cuda;
  cuda.format = "isa";
  bool native = options.emit != EmitKind::MLIR && options.emit != EmitKind::Linalg &&
                options.emit != EmitKind::Memory && options.emit != EmitKind::PTX &&
                options.emit != EmitKind::LLVMMLIR;
  CompilePhase lastPhase = options.emit == EmitKind::MLIR     ? options.compileTo
                           : options.emit == EmitKind::Linalg ? CompilePhase::Linalg
                           : options.emit == EmitKind::Memory ? CompilePhase::Bufferized
                           : options.emit == EmitKind::PTX || native ? CompilePhase::NVVM
                                                                    : CompilePhase::LLVM;
  if (lastPhase >= CompilePhase::NVVM &&
      !llvm::sys::fs::exists(cuda.toolkitPath + "/nvvm/libdevice/libdevice.10.bc"))
    return fail(diagOut, "no CUDA toolkit at '" + cuda.toolkitPath +
                             "' (nvvm/libdevice/libdevice.10.bc is missing); give its "
                             "directory with --cuda-path");

  auto build = [&](OpPassManager &pm, CompilePhase from, CompilePhase to) {
    buildCUDAPipeline(pm, from, to, cuda);
  };
  if (failed(runPhases(module, signatures, CompilePhase::DNN, lastPhase, build)))
    return 1;

  if (native) {
    if (llvm::Error err = packFatbins(module, cuda))
      return fail(diagOut, llvm::toString(std::move(err)));
    if (failed(runPhases(module, signatures, CompilePhase::NVVM, CompilePhase::LLVM, build)))
      return 1;
    auto machine = createTargetMachine(options.target);
    if (!machine)
      return fail(diagOut, llvm::toString(machine.takeError()));
    LibraryDevice device;
    device.kind = 1; // DNN_DEVICE_CUDA
    device.archs = llvm::join(cuda.chips, ",");
    return emitNativeArtifacts(module, signatures, options, **machine, device, diagOut);
  }

  std::string error;
  auto output = openOutputFile(options.outputFile, &error);
  if (!output)
    return fail(diagOut, error);
  if (options.emit == EmitKind::Memory) {
    if (failed(printMemoryReport(module, signatures, options.memoryBatches, output->os(),
                                 error)))
      return fail(diagOut, error);
  } else if (options.emit == EmitKind::PTX) {
    printPTX(module, output->os());
  } else {
    module.print(output->os());
    output->os() << "\n";
  }
  output->keep();
  return 0;
}
