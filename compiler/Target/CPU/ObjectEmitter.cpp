//===- ObjectEmitter.cpp - LLVM IR to native code in process --------------===//

#include "dnnc/Target/CPU/ObjectEmitter.h"

#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"

using namespace llvm;

Expected<std::unique_ptr<TargetMachine>> dnnc::createTargetMachine(const TargetOptions &options) {
  InitializeNativeTarget();
  InitializeNativeTargetAsmPrinter();
  InitializeNativeTargetAsmParser();

  Triple triple(options.triple.empty() ? sys::getDefaultTargetTriple() : options.triple);
  std::string error;
  const Target *target = TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return createStringError("unknown target '%s': %s", triple.str().c_str(), error.c_str());

  std::string cpu = options.cpu.empty() ? sys::getHostCPUName().str() : options.cpu;
  std::string features = options.features;
  if (features.empty() && options.cpu.empty()) {
    SubtargetFeatures host;
    for (const auto &[name, enabled] : sys::getHostCPUFeatures())
      host.AddFeature(name, enabled);
    features = host.getString();
  }
  // Validate names here: LLVM itself only warns and carries on.
  {
    std::unique_ptr<MCSubtargetInfo> probe(target->createMCSubtargetInfo(triple, "", ""));
    if (probe && !options.cpu.empty() && !probe->isCPUStringValid(options.cpu))
      return createStringError("unknown target CPU '%s' for '%s'", options.cpu.c_str(),
                               triple.str().c_str());
    if (probe && !options.features.empty()) {
      SmallVector<StringRef> requested;
      StringRef(options.features).split(requested, ',', -1, false);
      for (StringRef feature : requested) {
        StringRef name = feature.ltrim("+-");
        if (!llvm::any_of(probe->getAllProcessorFeatures(),
                          [&](const SubtargetFeatureKV &kv) { return name == kv.Key; }))
          return createStringError("unknown target feature '%s' (features look like "
                                   "+avx2,-avx512f)",
                                   name.str().c_str());
      }
    }
  }

  llvm::TargetOptions targetOptions;
  // Constructors (a CUDA library's kernel loading) go to .init_array, which
  // the dynamic loader runs; lld leaves a .ctors section alone.
  targetOptions.UseInitArray = true;
  CodeGenOptLevel level = options.optLevel == 0   ? CodeGenOptLevel::None
                          : options.optLevel == 1 ? CodeGenOptLevel::Less
                          : options.optLevel == 2 ? CodeGenOptLevel::Default
                                                  : CodeGenOptLevel::Aggressive;
  std::unique_ptr<TargetMachine> machine(target->createTargetMachine(
      triple, cpu, features, targetOptions, Reloc::PIC_, std::nullopt, level));
  if (!machine)
    return createStringError("cannot create a target machine for '%s' (cpu '%s')",
                             triple.str().c_str(), cpu.c_str());
  return machine;
}

int64_t dnnc::getNativeVectorWidth(const TargetMachine &machine) {
  const MCSubtargetInfo *subtarget = machine.getMCSubtargetInfo();
  if (subtarget->checkFeatures("+avx512f"))
    return 16;
  if (subtarget->checkFeatures("+avx"))
    return 8;
  return 4;
}

void dnnc::optimizeModule(Module &module, TargetMachine &machine, unsigned optLevel) {
  module.setTargetTriple(machine.getTargetTriple());
  module.setDataLayout(machine.createDataLayout());
  if (optLevel == 0)
    return;
  LoopAnalysisManager lam;
  FunctionAnalysisManager fam;
  CGSCCAnalysisManager cgam;
  ModuleAnalysisManager mam;
  PassBuilder builder(&machine);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  OptimizationLevel level = optLevel == 1   ? OptimizationLevel::O1
                            : optLevel == 2 ? OptimizationLevel::O2
                                            : OptimizationLevel::O3;
  ModulePassManager pm = builder.buildPerModuleDefaultPipeline(level);
  pm.run(module, mam);
}

Error dnnc::emitNativeCode(Module &module, TargetMachine &machine, NativeFileKind kind,
                           raw_pwrite_stream &os) {
  legacy::PassManager pm;
  CodeGenFileType type =
      kind == NativeFileKind::Object ? CodeGenFileType::ObjectFile : CodeGenFileType::AssemblyFile;
  if (machine.addPassesToEmitFile(pm, os, nullptr, type))
    return createStringError("the target cannot emit this kind of file");
  pm.run(module);
  return Error::success();
}
