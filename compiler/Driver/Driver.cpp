//===- Driver.cpp - The dnnc compiler as a library ------------------------===//

#include "dnnc/Driver/Driver.h"
#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Frontend/MLIRGen.h"
#include "dnnc/Frontend/Parser.h"
#include "dnnc/Frontend/Sema.h"
#include "dnnc/Pipelines/Pipelines.h"
#include "dnnc/Target/BackwardGraphPrinter.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/MapVector.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace dnnc;

FrontendResult dnnc::runFrontend(llvm::SourceMgr &sourceMgr, MLIRContext &context,
                                 llvm::raw_ostream &diagOut, bool stopAfterSema) {
  FrontendResult result;
  frontend::DiagnosticEngine diags(sourceMgr, diagOut);
  llvm::StringRef buffer =
      sourceMgr.getMemoryBuffer(sourceMgr.getMainFileID())->getBuffer();
  frontend::Parser parser(buffer, diags);
  result.ast = parser.parseModule();
  // Sema runs even after syntax errors: the statements that did parse can
  // still have independent errors worth reporting in the same run.
  frontend::checkModule(*result.ast, diags);
  result.numErrors = diags.getNumErrors();
  if (result.numErrors || stopAfterSema)
    return result;

  SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagOut);
  result.module = frontend::emitMLIR(*result.ast, context, sourceMgr);
  if (failed(verify(*result.module))) {
    // Sema accepted what the dialect rejects: a frontend bug, reported as such.
    diagOut << "error: internal compiler error: the generated dnn IR does not verify\n";
    result.module = nullptr;
    result.numErrors = 1;
  }
  return result;
}

void dnnc::printSummary(ModuleOp module, llvm::raw_ostream &os) {
  auto printType = [&](Type type, ArrayRef<Attribute> symbols) {
    auto t = cast<RankedTensorType>(type);
    os << t.getElementType() << "[";
    size_t sym = 0;
    llvm::interleaveComma(t.getShape(), os, [&](int64_t d) {
      if (ShapedType::isDynamic(d))
        os << (sym < symbols.size() ? cast<StringAttr>(symbols[sym++]).getValue() : "?");
      else
        os << d;
    });
    os << "]";
  };
  for (auto model : module.getOps<dnn::ModelOp>()) {
    os << "model " << model.getSymName() << "\n";
    int64_t paramCount = 0;
    llvm::MapVector<StringRef, unsigned> histogram;
    for (Operation &op : model.getBody().front()) {
      if (auto in = dyn_cast<dnn::InputOp>(op)) {
        os << "  input  " << in.getName() << ": ";
        printType(in.getType(), in.getSymbols().getValue());
        os << "\n";
      } else if (auto p = dyn_cast<dnn::ParamOp>(op)) {
        os << "  param  " << p.getName() << ": ";
        printType(p.getType(), {});
        os << " = " << dnn::stringifyInitKind(p.getInit()) << "\n";
        paramCount += cast<RankedTensorType>(p.getType()).getNumElements();
      } else if (auto b = dyn_cast<dnn::BufferOp>(op)) {
        os << "  buffer " << b.getName() << ": ";
        printType(b.getType(), {});
        os << " = " << dnn::stringifyInitKind(b.getInit()) << " (not trained)\n";
      } else if (auto out = dyn_cast<dnn::OutputOp>(op)) {
        os << "  output " << out.getName() << ": ";
        printType(out.getValue().getType(), {});
        os << "\n";
      } else if (auto loss = dyn_cast<dnn::LossOp>(op)) {
        os << "  loss   " << loss.getName() << "\n";
      } else if (auto train = dyn_cast<dnn::TrainOp>(op)) {
        os << "  train  " << dnn::stringifyOptimizerKind(train.getOptimizer()) << "(";
        llvm::interleaveComma(train.getHyperparameters(), os, [&](NamedAttribute a) {
          os << a.getName().getValue() << "="
             << llvm::format("%g", cast<FloatAttr>(a.getValue()).getValueAsDouble());
        });
        os << ")\n";
      } else {
        ++histogram[op.getName().stripDialect()];
      }
    }
    os << "  parameters: " << paramCount << " values\n  ops:";
    for (auto [name, count] : histogram)
      os << " " << name << "=" << count;
    os << "\n";
  }
}

int dnnc::runDriver(const DriverOptions &options, MLIRContext &context,
                    llvm::raw_ostream &diagOut) {
  std::string error;
  auto input = openInputFile(options.inputFile, &error);
  if (!input) {
    diagOut << "dnnc: error: " << error << "\n";
    return 2;
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(input), llvm::SMLoc());

  FrontendResult result =
      runFrontend(sourceMgr, context, diagOut, options.emit == EmitKind::AST);
  if (result.numErrors) {
    diagOut << result.numErrors << (result.numErrors == 1 ? " error" : " errors")
            << " generated.\n";
    return 1;
  }

  if (result.module && options.simplify) {
    SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagOut);
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 2;
    buildDNNSimplifyPipeline(pm);
    if (failed(pm.run(*result.module)))
      return 1;
  }

  if (options.emit == EmitKind::Grad) {
    SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagOut);
    PassManager pm(&context);
    if (failed(applyPassManagerCLOptions(pm)))
      return 2;
    buildDifferentiatePipeline(pm);
    if (failed(pm.run(*result.module)))
      return 1;
  }

  if (options.emit != EmitKind::AST && options.emit != EmitKind::Summary &&
      options.emit != EmitKind::Grad &&
      !(options.emit == EmitKind::MLIR && options.compileTo == CompilePhase::DNN)) {
    SourceMgrDiagnosticHandler handler(sourceMgr, &context, diagOut);
    return runCodegen(*result.module, options, diagOut);
  }

  auto output = openOutputFile(options.outputFile, &error);
  if (!output) {
    diagOut << "dnnc: error: " << error << "\n";
    return 2;
  }
  switch (options.emit) {
  case EmitKind::AST:
    frontend::dumpAST(*result.ast, output->os());
    break;
  case EmitKind::Summary:
    printSummary(*result.module, output->os());
    break;
  case EmitKind::Grad:
    printBackwardGraphs(*result.module, output->os());
    break;
  default:
    result.module->print(output->os());
    output->os() << "\n";
    break;
  }
  output->keep();
  return 0;
}
