//===- dnn-gradcheck.cpp - Check derived gradients by finite differences --===//
//
//   dnn-gradcheck MODEL.dnn [--model NAME] [--batch 1,3] [--seed 1]
//                 [--samples 20] [--step 1e-6] [--atol 1e-6] [--rtol 1e-4]
//                 [--specialize]
//
// For each model of MODEL.dnn that has a loss (or just NAME) and each batch
// size: derives the backward graph as dnnc does (dnn-simplify, then
// dnn-differentiate: dnn-autodiff, canonicalize, cse), binds random inputs
// and parameters, evaluates the gradient graph with the reference
// interpreter in double precision (no f32 rounding anywhere), and compares
// every `dnn.gradient` with central finite differences of the loss,
//
//   fd = (loss(p + h e_i) - loss(p - h e_i)) / 2h,  h = step * max(1, |p_i|),
//
// at up to --samples random entries of each parameter. An entry fails when
// |fd - analytic| > atol + rtol * |fd|. The forward graph is evaluated
// before differentiation, with every dnn.stop_gradient held at its value at
// the unperturbed point: its gradient is zero by definition, so it is a
// constant for the finite differences too.
//
// Everything runs in training mode (batch_norm's batch statistics) with one
// fixed random key, so every evaluation draws the same dropout masks.
//
// The function is only piecewise smooth (relu, abs, max, maxpool). Random
// continuous values make a kink within h of a sampled point unlikely, not
// impossible. An entry that fails is looked at again with step h / 10:
//
// - if that agrees with the analytic value, a kink lay between h / 10 and h
//   away from p ("near a kink");
// - if the one-sided slopes (loss(p + h) - loss(p)) / h and (loss(p) -
//   loss(p - h)) / h stay apart as h shrinks (on a smooth piece their gap
//   shrinks with h) and the analytic value lies between them, p is at a kink
//   ("at a kink");
//
// both are skipped and reported; anything else fails.
//
// Prints one line per parameter and one summary per model and batch size;
// exits 1 if any entry of any gradient fails.
//
//===----------------------------------------------------------------------===//

#include "../dnn-verify/InputRanges.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Dialect/DNN/Transforms/Passes.h"
#include "dnnc/Driver/Driver.h"
#include "dnnc/Pipelines/Pipelines.h"
#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Support/Shape.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

namespace cl = llvm::cl;
using namespace dnnc;
using reference::NamedTensors;
using reference::Tensor;
using reference::ValueTensors;

using verify::formatIndex;
using verify::formatValue;

static cl::OptionCategory gradcheckCategory("dnn-gradcheck options");

static cl::opt<std::string> inputFile(cl::Positional, cl::Required, cl::desc("<model.dnn>"),
                                      cl::cat(gradcheckCategory));
static cl::opt<std::string> modelName("model",
                                      cl::desc("Model to check (default: every model "
                                               "with a loss)"),
                                      cl::value_desc("name"), cl::cat(gradcheckCategory));
static cl::list<int64_t> batchSizes("batch", cl::CommaSeparated,
                                    cl::desc("Sizes for the symbolic dimensions "
                                             "(default: 1,3)"),
                                    cl::value_desc("n,n,..."), cl::cat(gradcheckCategory));
static cl::opt<uint64_t> seed("seed", cl::init(1),
                              cl::desc("Seed of the parameters, the inputs and the "
                                       "sampled entries"),
                              cl::value_desc("n"), cl::cat(gradcheckCategory));
static cl::opt<unsigned> samples("samples", cl::init(20),
                                 cl::desc("Entries checked per parameter, at most "
                                          "(all of a smaller parameter)"),
                                 cl::value_desc("k"), cl::cat(gradcheckCategory));
static cl::opt<double> step("step", cl::init(1e-6),
                            cl::desc("Finite-difference step, relative: h = step * "
                                     "max(1, |p|)"),
                            cl::cat(gradcheckCategory));
static cl::opt<double> absTolerance("atol", cl::init(1e-6),
                                    cl::desc("Absolute tolerance of a gradient entry"),
                                    cl::cat(gradcheckCategory));
static cl::opt<double> relTolerance("rtol", cl::init(1e-4),
                                    cl::desc("Relative tolerance of a gradient entry "
                                             "(of the finite difference)"),
                                    cl::cat(gradcheckCategory));
static cl::opt<bool> specialize(
    "specialize",
    cl::desc("Bind the symbolic dimensions to the batch size before differentiating "
             "(default: differentiate the symbolic model, as dnnc compiles it)"),
    cl::init(false), cl::cat(gradcheckCategory));

/// The rounding noise of a one-sided slope with step h is about
/// eps * |loss| / h; gaps below this many times that are noise, not kinks.
static constexpr double kRoundingSlack = 1e3;

static bool error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dnn-gradcheck") << message << "\n";
  return false;
}

static int fail(const llvm::Twine &message) {
  error(message);
  return 1;
}

/// A uniform double in [0, 1) from 53 random bits (the same on every
/// standard library, unlike std::uniform_real_distribution).
static double unit(std::mt19937_64 &rng) { return (double)(rng() >> 11) * 0x1.0p-53; }

//===----------------------------------------------------------------------===//
// Bindings
//===----------------------------------------------------------------------===//

/// Random parameters and inputs for `model` with every symbol at `batch`.
/// Parameters are U(-a, a), a = 1/sqrt(fan_in) or 0.5 without fans, like
/// dnn-verify's, so that activations stay O(1) and biases are nonzero.
static bool bindModel(dnn::ModelOp model, int64_t batch, NamedTensors &bindings,
                      std::string &ranges, llvm::StringRef where) {
  std::mt19937_64 rng(seed);
  int64_t p = 0;
  for (auto param : model.getBody().getOps<dnn::ParamOp>()) {
    auto type = llvm::cast<mlir::RankedTensorType>(param.getType());
    if (!type.hasStaticShape())
      return error(where + ": param '" + param.getName() + "' has a dynamic shape");
    std::mt19937_64 paramRng(seed * 7919 + p++);
    int64_t fan = parameterFans(type.getShape()).first;
    double bound = fan > 0 ? 1.0 / std::sqrt((double)fan) : 0.5;
    Tensor t = reference::makeTensor(type.getShape());
    for (double &v : t.data)
      v = bound * (2 * unit(paramRng) - 1);
    bindings[param.getName().str()] = std::move(t);
  }
  for (auto input : model.getBody().getOps<dnn::InputOp>()) {
    auto type = llvm::cast<mlir::RankedTensorType>(input.getType());
    verify::InputRange range = verify::chooseInputRange(input, batch);
    ranges += (ranges.empty() ? "" : "; ") + verify::describeRange(input.getName(), range);
    std::vector<int64_t> shape;
    for (int64_t d = 0; d < type.getRank(); ++d)
      shape.push_back(type.isDynamicDim(d) ? batch : type.getDimSize(d));
    Tensor t = reference::makeTensor(shape, range.isInteger);
    for (double &v : t.data)
      v = verify::drawValue(range, rng);
    bindings[input.getName().str()] = std::move(t);
  }
  return true;
}

//===----------------------------------------------------------------------===//
// Checking one model at one batch size
//===----------------------------------------------------------------------===//

namespace {

/// Evaluates the loss of the forward model in double, with the results of
/// dnn.stop_gradient held at their unperturbed values.
struct LossFunction {
  dnn::ModelOp model;
  std::string lossName;
  ValueTensors stopped;

  llvm::Expected<double> operator()(const NamedTensors &bindings) const {
    reference::EvaluateOptions options;
    options.roundToElementType = false;
    options.fixedValues = &stopped;
    options.training = true;
    options.rngKey = seed;
    auto results = reference::evaluate(model, bindings, options);
    if (!results)
      return results.takeError();
    auto it = results->find(lossName);
    if (it == results->end() || it->second.data.size() != 1)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the loss '" + lossName + "' was not computed");
    return it->second.data[0];
  }
};

struct ParamReport {
  int64_t checked = 0;
  double maxAbsErr = 0, maxRelErr = 0;
  std::vector<std::string> kinks;    // skipped entries
  std::vector<std::string> failures; // first few failing entries
  int64_t numFailures = 0;

  /// Records the error of an entry that is not skipped. The relative error
  /// is only meaningful where the finite difference is above atol.
  void note(double err, double fd) {
    if (std::isnan(err) || err > maxAbsErr) // NaN sticks
      maxAbsErr = err;
    if (std::fabs(fd) > absTolerance)
      maxRelErr = std::max(maxRelErr, err / std::fabs(fd));
  }
};

} // namespace

/// Picks up to `k` distinct flat indices of [0, n), in increasing order.
static std::vector<int64_t> sampleIndices(int64_t n, int64_t k, std::mt19937_64 &rng) {
  std::vector<int64_t> all(n);
  for (int64_t i = 0; i < n; ++i)
    all[i] = i;
  if (k >= n)
    return all;
  // Partial Fisher-Yates.
  for (int64_t i = 0; i < k; ++i)
    std::swap(all[i], all[i + (int64_t)(rng() % (uint64_t)(n - i))]);
  all.resize(k);
  std::sort(all.begin(), all.end());
  return all;
}

static bool checkModel(dnn::ModelOp forward, dnn::ModelOp differentiated, int64_t batch,
                       llvm::StringRef where) {
  dnn::LossOp lossOp = forward.getLossOp();
  NamedTensors bindings;
  std::string ranges;
  if (!bindModel(forward, batch, bindings, ranges, where))
    return false;

  reference::EvaluateOptions exact;
  exact.roundToElementType = false;
  // Gradients are taken in training mode (batch statistics, dropout with
  // one fixed mask: the loss is then smooth in the params).
  exact.training = true;
  exact.rngKey = seed;
  auto analytic = reference::evaluate(differentiated, bindings, exact);
  if (!analytic)
    return error(where + ": reference interpreter on the gradient graph: " +
                 llvm::toString(analytic.takeError()));

  LossFunction loss{forward, lossOp.getName().str(), ValueTensors()};
  auto base = reference::evaluateValues(forward, bindings, exact);
  if (!base)
    return error(where + ": reference interpreter: " + llvm::toString(base.takeError()));
  forward.walk([&](dnn::StopGradientOp op) {
    auto it = base->find(op.getResult());
    if (it != base->end())
      loss.stopped[op.getResult()] = it->second;
  });
  auto baseLoss = base->find(lossOp.getValue());
  if (baseLoss == base->end())
    return error(where + ": the loss '" + loss.lossName + "' was not computed");
  double f0 = baseLoss->second.data[0];
  if (!std::isfinite(f0))
    return error(where + ": the loss is " + formatValue(f0) + "; inputs: " + ranges);
  // Canonicalization may reassociate a little, so allow for rounding.
  auto lossIt = analytic->find(loss.lossName);
  if (lossIt == analytic->end() ||
      !(std::fabs(lossIt->second.data[0] - f0) <= 1e-9 * (1 + std::fabs(f0))))
    return error(where + ": the differentiated model computes the loss as " +
                 (lossIt == analytic->end() ? std::string("nothing")
                                            : formatValue(lossIt->second.data[0])) +
                 ", the forward model as " + formatValue(f0));
  llvm::outs() << where << ": loss " << formatValue(f0) << "\n";

  std::mt19937_64 sampleRng(seed * 104729 + batch);
  bool ok = true;
  int64_t numParams = 0;
  for (auto param : forward.getBody().getOps<dnn::ParamOp>()) {
    ++numParams;
    std::string name = param.getName().str();
    auto gradIt = analytic->find(reference::gradientKey(name));
    if (gradIt == analytic->end()) {
      ok = error(where + ": no dnn.gradient for param '" + name + "'");
      continue;
    }
    const Tensor &grad = gradIt->second;
    Tensor &value = bindings[name];
    if (grad.shape != value.shape) {
      ok = error(where + ": the gradient of '" + name + "' has shape " +
                 reference::shapeString(grad.shape) + " but the param " +
                 reference::shapeString(value.shape));
      continue;
    }
    ParamReport report;
    // The central difference and the one-sided slopes at entry i, step h.
    struct Differences {
      double central, left, right;
    };
    auto differences = [&](int64_t i, double h) -> llvm::Expected<Differences> {
      double p = value.data[i];
      value.data[i] = p + h;
      auto plus = loss(bindings);
      value.data[i] = p - h;
      auto minus = loss(bindings);
      value.data[i] = p;
      if (!plus) {
        llvm::consumeError(minus.takeError());
        return plus.takeError();
      }
      if (!minus)
        return minus.takeError();
      return Differences{(*plus - *minus) / (2 * h), (f0 - *minus) / h, (*plus - f0) / h};
    };
    for (int64_t i : sampleIndices(value.numElements(), samples, sampleRng)) {
      double h = step * std::max(1.0, std::fabs(value.data[i]));
      auto d = differences(i, h);
      if (!d)
        return error(where + ": reference interpreter: " + llvm::toString(d.takeError()));
      double fd = d->central, a = grad.data[i];
      double err = std::fabs(fd - a);
      double tolerance = absTolerance + relTolerance * std::fabs(fd);
      ++report.checked;
      if (err <= tolerance) {
        report.note(err, fd);
        continue;
      }
      // Off by more than the tolerance: a kink within h of p, or a wrong
      // gradient. Look again with a step ten times smaller.
      std::string entry = formatIndex(value.shape, i);
      auto fine = differences(i, h / 10);
      if (!fine)
        return error(where + ": reference interpreter: " + llvm::toString(fine.takeError()));
      double fineTolerance = absTolerance + relTolerance * std::fabs(fine->central);
      // A kink between p - h and p + h, but not within h / 10: the smaller
      // step stays on p's smooth piece and agrees. A wrong gradient
      // disagrees at every step.
      if (std::fabs(fine->central - a) <= fineTolerance) {
        report.kinks.push_back("near a kink: " + entry + " (finite difference " +
                               formatValue(fd) + " with step " + formatValue(h) + ", " +
                               formatValue(fine->central) + " with step " +
                               formatValue(h / 10) + ", analytic " + formatValue(a) + ")");
        continue;
      }
      // A kink at p: the one-sided slopes stay apart as h shrinks (on a
      // smooth piece their gap shrinks with h, down to rounding noise), and
      // a sound rule gives one of them or something in between.
      double noise = kRoundingSlack * std::numeric_limits<double>::epsilon() *
                     (1 + std::fabs(f0)) / (h / 10);
      double slack = std::max(fineTolerance, noise);
      double gap = std::fabs(d->right - d->left);
      double fineGap = std::fabs(fine->right - fine->left);
      if (fineGap > std::max(0.5 * gap, slack) &&
          a >= std::min(fine->left, fine->right) - slack &&
          a <= std::max(fine->left, fine->right) + slack) {
        report.kinks.push_back("at a kink: " + entry + " (one-sided slopes " +
                               formatValue(fine->left) + " and " + formatValue(fine->right) +
                               ", analytic " + formatValue(a) + ")");
        continue;
      }
      report.note(err, fd);
      if (report.numFailures++ < 3)
        report.failures.push_back(entry + ": finite difference " + formatValue(fd) +
                                  " (one-sided " + formatValue(d->left) + " and " +
                                  formatValue(d->right) + "), analytic " + formatValue(a) +
                                  " (abs err " + formatValue(err) + " > tolerance " +
                                  formatValue(tolerance) + ")");
    }
    llvm::outs() << "  " << name << " " << reference::shapeString(value.shape) << ": "
                 << report.checked << " of " << value.numElements() << " entries, max abs err "
                 << llvm::format("%.1e", report.maxAbsErr) << ", max rel err "
                 << llvm::format("%.1e", report.maxRelErr)
                 << (report.numFailures ? ", FAILED" : "") << "\n";
    for (const std::string &kink : report.kinks)
      llvm::outs() << "    skipped " << kink << "\n";
    if (report.numFailures) {
      ok = false;
      std::string detail = llvm::join(report.failures, "; ");
      error(where + ": gradient of '" + name + "': " + llvm::Twine(report.numFailures) +
            " of " + llvm::Twine(report.checked) + " entries differ: " + detail);
    }
  }
  if (!ok) {
    llvm::WithColor::note(llvm::errs(), "dnn-gradcheck")
        << "seed " << seed << "; inputs: " << (ranges.empty() ? "none" : ranges) << "\n";
    llvm::outs() << where << ": gradients FAILED\n";
    return false;
  }
  llvm::outs() << where << ": " << numParams << (numParams == 1 ? " gradient" : " gradients")
               << " OK\n";
  return true;
}

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

/// The symbols of `model`'s inputs, in order of first appearance.
static llvm::SmallVector<std::string> symbolsOf(dnn::ModelOp model) {
  llvm::SmallVector<std::string> symbols;
  for (auto in : model.getBody().getOps<dnn::InputOp>())
    for (mlir::Attribute s : in.getSymbols())
      if (!llvm::is_contained(symbols, llvm::cast<mlir::StringAttr>(s).getValue()))
        symbols.push_back(llvm::cast<mlir::StringAttr>(s).getValue().str());
  return symbols;
}

/// Runs the pipeline that `build` builds on `module`; diagnostics go to stderr
/// through `sourceMgr`.
static bool runPasses(mlir::ModuleOp module, llvm::SourceMgr &sourceMgr,
                      llvm::function_ref<void(mlir::OpPassManager &)> build) {
  mlir::MLIRContext *context = module.getContext();
  mlir::SourceMgrDiagnosticHandler handler(sourceMgr, context, llvm::errs());
  mlir::PassManager pm(context);
  build(pm);
  return mlir::succeeded(pm.run(module));
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(gradcheckCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dnn-gradcheck: check the gradients that dnn-autodiff derives "
                              "against finite differences\n");
  std::vector<int64_t> batches(batchSizes.begin(), batchSizes.end());
  if (batches.empty())
    batches = {1, 3};
  for (int64_t b : batches)
    if (b < 1)
      return fail("batch sizes must be positive, got " + llvm::Twine(b));
  if (!(step > 0) || !(absTolerance >= 0) || !(relTolerance >= 0))
    return fail("--step must be positive and the tolerances non-negative");
  if (samples < 1)
    return fail("--samples must be at least 1");

  mlir::DialectRegistry registry;
  registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(inputFile);
  if (!buffer)
    return fail("cannot read '" + inputFile + "': " + buffer.getError().message());
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  FrontendResult frontend = runFrontend(sourceMgr, context, llvm::errs());
  if (frontend.numErrors || !frontend.module)
    return fail("'" + inputFile + "' has errors");
  // The forward graph as dnnc sees it before differentiating.
  if (!runPasses(*frontend.module, sourceMgr, buildDNNSimplifyPipeline))
    return fail("simplifying '" + inputFile + "' failed");
  mlir::ModuleOp forwardModule = *frontend.module;

  std::vector<dnn::ModelOp> models;
  for (auto model : forwardModule.getOps<dnn::ModelOp>())
    if (modelName.empty() || model.getSymName() == modelName)
      models.push_back(model);
  if (!modelName.empty() && models.empty())
    return fail("'" + inputFile + "' has no model '" + modelName + "'");
  if (!modelName.empty() && !models.front().getLossOp())
    return fail("model '" + modelName + "' has no loss");
  llvm::erase_if(models, [](dnn::ModelOp m) { return !m.getLossOp(); });
  if (models.empty())
    return fail("'" + inputFile + "' has no model with a loss");

  // The models to check, alone in a module of their own, so that nothing
  // else is differentiated.
  auto cloneModels = [&](llvm::ArrayRef<dnn::ModelOp> which) {
    mlir::OwningOpRef<mlir::ModuleOp> module = mlir::ModuleOp::create(forwardModule.getLoc());
    for (dnn::ModelOp m : which)
      module->getBody()->push_back(m->clone());
    return module;
  };
  // Without --specialize one differentiated copy serves every batch size.
  mlir::OwningOpRef<mlir::ModuleOp> shared;
  if (!specialize) {
    shared = cloneModels(models);
    if (!runPasses(*shared, sourceMgr, [](mlir::OpPassManager &pm) { buildDifferentiatePipeline(pm); }))
      return fail("differentiating '" + inputFile + "' failed");
  }

  bool ok = true;
  for (dnn::ModelOp model : models) {
    llvm::SmallVector<std::string> symbols = symbolsOf(model);
    for (int64_t batch : batches) {
      std::string where = model.getSymName().str();
      if (!symbols.empty())
        where += " " + llvm::join(llvm::map_range(symbols,
                                                  [&](const std::string &s) {
                                                    return s + "=" + std::to_string(batch);
                                                  }),
                                  ", ");
      mlir::OwningOpRef<mlir::ModuleOp> specialized;
      mlir::ModuleOp diffModule = shared ? *shared : mlir::ModuleOp();
      if (specialize) {
        specialized = cloneModels(model);
        dnn::DNNSpecializeShapesPassOptions options;
        for (const std::string &s : symbols)
          options.bindings.push_back(s + "=" + std::to_string(batch));
        bool passed = runPasses(*specialized, sourceMgr, [&](mlir::OpPassManager &pm) {
          pm.addNestedPass<dnn::ModelOp>(dnn::createDNNSpecializeShapesPass(options));
          buildDifferentiatePipeline(pm);
        });
        if (!passed) {
          ok = error(where + ": differentiating the specialized model failed");
          continue;
        }
        diffModule = *specialized;
      }
      dnn::ModelOp differentiated;
      for (auto m : diffModule.getOps<dnn::ModelOp>())
        if (m.getSymName() == model.getSymName())
          differentiated = m;
      if (!differentiated)
        return fail(where + ": the model is missing after differentiation");
      ok &= checkModel(model, differentiated, batch, where);
      if (symbols.empty())
        break;
    }
  }
  return ok ? 0 : 1;
}
