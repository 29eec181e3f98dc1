//===- dnn-verify.cpp - Check compiled models against the reference -------===//
//
//   dnn-verify MODEL.dnn MODEL.so [--model NAME] [--batch 1,7,128] [--seed 1]
//              [--rtol 1e-4] [--atol 1e-5]
//
// For each model of MODEL.dnn (or just NAME) and each batch size: binds every
// symbolic dimension to the batch size, initialises the compiled model's
// parameters from the seed, feeds random inputs to entry point "predict" and
// to the reference interpreter (with the same parameters), and compares every
// output. Prints one line per model and batch size; exits 1 on the first
// model whose outputs differ, naming the output, element, expected and
// actual value.
//
//===----------------------------------------------------------------------===//

#include "InputRanges.h"
#include "ModelLibrary.h"

#include "dnnc/Dialect/DNN/IR/DNNOps.h"
#include "dnnc/Driver/Driver.h"
#include "dnnc/Reference/Interpreter.h"
#include "dnnc/Tools/Registration.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
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
#include <map>
#include <random>

namespace cl = llvm::cl;
using dnnc::reference::NamedTensors;
using dnnc::reference::Tensor;
using dnnc::reference::ValueTensors;

using dnnc::verify::formatIndex;
using dnnc::verify::formatValue;

static cl::OptionCategory verifyCategory("dnn-verify options");

static cl::list<std::string> positional(cl::Positional, cl::OneOrMore,
                                        cl::desc("<model.dnn> <model.so>"),
                                        cl::cat(verifyCategory));
static cl::opt<std::string> modelName("model",
                                      cl::desc("Model to check (default: every model)"),
                                      cl::value_desc("name"), cl::cat(verifyCategory));
static cl::list<int64_t> batchSizes("batch", cl::CommaSeparated,
                                    cl::desc("Sizes for the symbolic dimensions "
                                             "(default: 1,7,128)"),
                                    cl::value_desc("n,n,..."), cl::cat(verifyCategory));
static cl::opt<uint64_t> seed("seed", cl::init(1),
                              cl::desc("Seed of the parameters and of the random inputs"),
                              cl::value_desc("n"), cl::cat(verifyCategory));
static cl::opt<bool> declaredInit(
    "declared-init",
    cl::desc("Keep the parameters' declared initializers (default: overwrite every "
             "parameter with U(-a, a), a = 1/sqrt(fan_in) or 0.5 without fans, so that zero-initialised biases are exercised)"),
    cl::init(false), cl::cat(verifyCategory));
// An f32 element passes when |actual - expected| <= atol + rtol * |expected|.
static cl::opt<double> relTolerance("rtol", cl::init(1e-4),
                                    cl::desc("Relative tolerance of f32 outputs"),
                                    cl::cat(verifyCategory));
static cl::opt<double> absTolerance("atol", cl::init(1e-5),
                                    cl::desc("Absolute tolerance of f32 outputs"),
                                    cl::cat(verifyCategory));

/// How far argmax's winner may fall below the maximum and still be accepted:
/// where two candidates are this close, f32 rounding may pick either.
static constexpr double kNearTie = 1e-5;

static bool error(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dnn-verify") << message << "\n";
  return false;
}

/// For main: reports and gives the exit code.
static int fail(const llvm::Twine &message) {
  error(message);
  return 1;
}

//===----------------------------------------------------------------------===//
// Near ties: integer results that f32 rounding may legitimately change
//===----------------------------------------------------------------------===//

namespace {
/// The values an argmax chose among, for one element of its result.
struct Candidates {
  const Tensor *input = nullptr;
  int64_t axis = 0;

  /// Whether choosing `index` is within kNearTie of the true maximum for
  /// result element `flat`.
  bool accepts(int64_t flat, int64_t index) const {
    int64_t length = input->shape[axis], inner = 1;
    for (int64_t d = axis + 1; d < input->rank(); ++d)
      inner *= input->shape[d];
    if (index < 0 || index >= length)
      return false;
    int64_t outer = flat / inner, in = flat % inner;
    auto at = [&](int64_t k) { return input->data[(outer * length + k) * inner + in]; };
    double best = at(0);
    for (int64_t k = 1; k < length; ++k)
      best = std::max(best, at(k));
    return best - at(index) <= kNearTie * std::max(1.0, std::fabs(best));
  }

  /// Rows of [N, C] logits whose two largest values are near-tied.
  int64_t nearTiedRows() const {
    int64_t rows = 0;
    for (int64_t n = 0; n < input->shape[0]; ++n) {
      int64_t c = input->shape[1];
      std::vector<double> row(input->data.begin() + n * c, input->data.begin() + (n + 1) * c);
      std::sort(row.rbegin(), row.rend());
      rows += c > 1 && row[0] - row[1] <= kNearTie * std::max(1.0, std::fabs(row[0]));
    }
    return rows;
  }
};
} // namespace

/// The op that computes `value`, looking through stop_gradient.
static mlir::Operation *producer(mlir::Value value) {
  mlir::Operation *op = value.getDefiningOp();
  while (auto sg = llvm::dyn_cast_or_null<dnnc::dnn::StopGradientOp>(op))
    op = sg.getInput().getDefiningOp();
  return op;
}

//===----------------------------------------------------------------------===//
// Comparing one output
//===----------------------------------------------------------------------===//

namespace {
struct Stats {
  double maxAbsErr = 0, maxRelErr = 0;
  int64_t nearTies = 0;
};
} // namespace

/// Compares the compiled model's `actual` output with the interpreter's
/// `expected`; on a mismatch reports it and returns false.
static bool compareOutput(llvm::StringRef where, llvm::StringRef name, const dnn_tensor &actual,
                          const Tensor &expected, mlir::Value value,
                          const ValueTensors &values, Stats &stats) {
  std::string prefix = (where + ": output '" + name + "'").str();
  bool actualInt = actual.dtype == DNN_DTYPE_I32;
  if (actual.dtype != DNN_DTYPE_F32 && !actualInt)
    return error(prefix + " has unknown dtype " + llvm::Twine(actual.dtype));
  if (actualInt != expected.isInteger)
    return error(prefix + " is " + (actualInt ? "i32" : "f32") + " but the reference is " +
                 (expected.isInteger ? "i32" : "float"));
  std::vector<int64_t> shape(actual.dims, actual.dims + std::max(0, actual.rank));
  if (shape != expected.shape)
    return error(prefix + " has shape " + dnnc::reference::shapeString(shape) +
                 " but the reference has " + dnnc::reference::shapeString(expected.shape));

  // Integer results of argmax and accuracy depend on comparisons that f32
  // rounding can flip when two logits are nearly equal.
  Candidates candidates;
  mlir::Operation *def = producer(value);
  if (def && llvm::isa<dnnc::dnn::ArgmaxOp, dnnc::dnn::AccuracyOp>(def)) {
    auto it = values.find(def->getOperand(0));
    if (it != values.end()) {
      candidates.input = &it->second;
      if (auto argmax = llvm::dyn_cast<dnnc::dnn::ArgmaxOp>(def)) {
        int64_t axis = argmax.getAxisAttr().getInt();
        candidates.axis = axis < 0 ? axis + it->second.rank() : axis;
      } else {
        candidates.axis = 1;
      }
    }
  }
  // Integer candidates are exact: there the first maximum must win.
  bool floatCandidates = candidates.input && !candidates.input->isInteger;
  bool isArgmax = floatCandidates && llvm::isa<dnnc::dnn::ArgmaxOp>(def);
  bool isAccuracy = floatCandidates && llvm::isa<dnnc::dnn::AccuracyOp>(def);

  int64_t mismatches = 0;
  std::string first;
  for (int64_t i = 0; i < expected.numElements(); ++i) {
    double b = expected.data[i];
    double a = actualInt ? (double)static_cast<const int32_t *>(actual.data)[i]
                         : (double)static_cast<const float *>(actual.data)[i];
    std::string detail;
    if (actualInt) {
      if (a == b)
        continue;
      if (isArgmax && candidates.accepts(i, (int64_t)a)) {
        ++stats.nearTies;
        continue;
      }
      detail = "integers differ";
    } else {
      if ((std::isnan(a) && std::isnan(b)) || a == b)
        continue;
      double err = std::fabs(a - b), tolerance = absTolerance + relTolerance * std::fabs(b);
      // Accuracy moves in steps of 1/N; each near-tied row may cost one step.
      double tieSlack = 0;
      if (isAccuracy && candidates.input->shape[0] > 0)
        tieSlack = (double)candidates.nearTiedRows() / (double)candidates.input->shape[0];
      if (err <= tolerance) {
        stats.maxAbsErr = std::max(stats.maxAbsErr, err);
        // Relative error is only meaningful away from zero.
        if (std::fabs(b) > absTolerance)
          stats.maxRelErr = std::max(stats.maxRelErr, err / std::fabs(b));
        continue;
      }
      if (err <= tolerance + tieSlack) {
        stats.nearTies += (int64_t)std::lround(err * (double)candidates.input->shape[0]);
        continue;
      }
      detail = "abs err " + formatValue(err) + " > tolerance " + formatValue(tolerance);
      if (!std::isfinite(err))
        detail = "not finite in one of them";
    }
    if (mismatches++ == 0)
      first = prefix + " element " + formatIndex(shape, i) + " (flat " + std::to_string(i) +
              "): expected " + formatValue(b) + ", got " + formatValue(a) + " (" + detail +
              ")";
  }
  if (!mismatches)
    return true;
  return error(first + (mismatches > 1 ? "; " + std::to_string(mismatches) + " of " +
                                             std::to_string(expected.numElements()) +
                                             " elements differ"
                                       : std::string()));
}

//===----------------------------------------------------------------------===//
// One model at one batch size
//===----------------------------------------------------------------------===//

/// Copies a runtime tensor (a parameter) into the interpreter's form.
static Tensor fromRuntime(const dnn_tensor &t) {
  Tensor out;
  out.isInteger = t.dtype == DNN_DTYPE_I32;
  out.shape.assign(t.dims, t.dims + std::max(0, t.rank));
  int64_t n = dnnc::reference::numElementsOf(out.shape);
  for (int64_t i = 0; i < n; ++i)
    out.data.push_back(out.isInteger ? (double)static_cast<const int32_t *>(t.data)[i]
                                     : (double)static_cast<const float *>(t.data)[i]);
  return out;
}

static bool verifyModel(const dnn::ModelLibrary &lib, dnnc::dnn::ModelOp model,
                        const dnn_model_info &info, int64_t batch, llvm::StringRef where) {
  const dnn::RuntimeApi &api = lib.api();
  const dnn_entry_info *entry = dnn::findEntry(info, "predict");
  if (!entry) {
    llvm::outs() << where << ": no entry point 'predict'; nothing to check\n";
    return true;
  }

  dnn::ScopedSession session(api);
  dnn_status status;
  if ((status = api.session_create(&info, &session.session)) != DNN_OK ||
      (status = api.session_init_params(session.session, seed)) != DNN_OK)
    return error(where + ": " + lib.lastError(status));

  // The interpreter gets exactly the parameters the runtime initialised.
  NamedTensors bindings;
  for (int32_t p = 0; p < info.num_params; ++p) {
    const char *name = info.params[p].tensor.name;
    dnn_tensor tensor{};
    if ((status = api.session_param(session.session, name, &tensor)) != DNN_OK)
      return error(where + ": " + lib.lastError(status));
    if (!declaredInit && tensor.dtype == DNN_DTYPE_F32) {
      std::mt19937_64 paramRng(seed * 7919 + p);
      // Scaled like a real initializer so activations stay O(1) through
      // deep models and f32 rounding stays within the tolerances.
      int64_t fanIn = info.params[p].fan_in;
      float bound = fanIn > 0 ? 1.0f / std::sqrt(float(fanIn)) : 0.5f;
      std::uniform_real_distribution<float> uniform(-bound, bound);
      int64_t count = 1;
      for (int32_t d = 0; d < tensor.rank; ++d)
        count *= tensor.dims[d];
      auto *data = static_cast<float *>(tensor.data);
      for (int64_t i = 0; i < count; ++i)
        data[i] = uniform(paramRng);
    }
    bindings[name] = fromRuntime(tensor);
  }

  std::map<std::string, dnnc::dnn::InputOp> inputOps;
  for (auto in : model.getBody().getOps<dnnc::dnn::InputOp>())
    inputOps[in.getName().str()] = in;

  // Random inputs; each run draws from a generator started at the seed, so a
  // failure at one batch size reproduces alone.
  std::mt19937_64 rng(seed);
  std::string ranges; // for the report of a mismatch
  std::vector<dnn_tensor> inputs;
  std::vector<std::vector<float>> floatData;
  std::vector<std::vector<int32_t>> intData;
  floatData.reserve(entry->num_inputs);
  intData.reserve(entry->num_inputs);
  for (int32_t i = 0; i < entry->num_inputs; ++i) {
    const dnn_tensor_info &in = info.inputs[entry->inputs[i]];
    auto it = inputOps.find(in.name);
    if (it == inputOps.end())
      return error(where + ": the library's input '" + in.name + "' is not in the .dnn model");
    if (in.rank > DNN_MAX_RANK)
      return error(where + ": input '" + in.name + "' has rank above DNN_MAX_RANK");
    dnnc::verify::InputRange range = dnnc::verify::chooseInputRange(it->second, batch);
    ranges += (ranges.empty() ? "" : "; ") + dnnc::verify::describeRange(in.name, range);
    dnn_tensor t{};
    t.name = in.name;
    t.dtype = in.dtype;
    t.rank = in.rank;
    Tensor ref;
    ref.isInteger = in.dtype == DNN_DTYPE_I32;
    for (int32_t d = 0; d < in.rank; ++d) {
      t.dims[d] = in.dims[d].symbol ? batch : in.dims[d].size;
      ref.shape.push_back(t.dims[d]);
    }
    int64_t n = dnnc::reference::numElementsOf(ref.shape);
    floatData.emplace_back();
    intData.emplace_back();
    for (int64_t e = 0; e < n; ++e) {
      double v = dnnc::verify::drawValue(range, rng);
      ref.data.push_back(v);
      if (ref.isInteger)
        intData.back().push_back((int32_t)v);
      else
        floatData.back().push_back((float)v);
    }
    t.data = ref.isInteger ? (void *)intData.back().data() : (void *)floatData.back().data();
    inputs.push_back(t);
    bindings[in.name] = std::move(ref);
  }

  // Outputs stay in session-owned buffers until the session is destroyed.
  std::vector<dnn_tensor> outputs(entry->num_outputs);
  for (int32_t i = 0; i < entry->num_outputs; ++i)
    outputs[i].name = info.outputs[entry->outputs[i]].name;
  if ((status = api.session_run(session.session, entry->name, (int32_t)inputs.size(),
                                inputs.data(), (int32_t)outputs.size(), outputs.data())) !=
      DNN_OK)
    return error(where + ": running 'predict': " + lib.lastError(status));

  auto values = dnnc::reference::evaluateValues(model, bindings);
  if (!values)
    return error(where + ": reference interpreter: " + llvm::toString(values.takeError()));

  std::map<std::string, mlir::Value> outputValues;
  for (auto out : model.getBody().getOps<dnnc::dnn::OutputOp>())
    outputValues[out.getName().str()] = out.getValue();

  Stats stats;
  for (const dnn_tensor &out : outputs) {
    auto it = outputValues.find(out.name);
    if (it == outputValues.end())
      return error(where + ": the library's output '" + out.name +
                   "' is not in the .dnn model");
    auto expected = values->find(it->second);
    if (expected == values->end())
      return error(where + ": the reference cannot compute output '" + out.name +
                   "' from the inputs of 'predict'");
    if (!compareOutput(where, out.name, out, expected->second, it->second, *values, stats)) {
      llvm::WithColor::note(llvm::errs(), "dnn-verify")
          << "seed " << seed << "; inputs: " << (ranges.empty() ? "none" : ranges) << "\n";
      return false;
    }
  }

  llvm::outs() << where << ": " << outputs.size()
               << (outputs.size() == 1 ? " output" : " outputs") << " OK (max abs err "
               << llvm::format("%.1e", stats.maxAbsErr) << ", max rel err "
               << llvm::format("%.1e", stats.maxRelErr) << ")";
  if (stats.nearTies)
    llvm::outs() << ", " << stats.nearTies << " near "
                 << (stats.nearTies == 1 ? "tie" : "ties") << " accepted";
  llvm::outs() << "\n";
  return true;
}

//===----------------------------------------------------------------------===//
// main
//===----------------------------------------------------------------------===//

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers hundreds of codegen options; --help should not list them.
  cl::HideUnrelatedOptions(verifyCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dnn-verify: check a compiled model library against the "
                              "reference interpreter\n");
  if (positional.size() != 2)
    return fail("expected MODEL.dnn and MODEL.so");
  std::vector<int64_t> batches(batchSizes.begin(), batchSizes.end());
  if (batches.empty())
    batches = {1, 7, 128};
  for (int64_t b : batches)
    if (b < 1)
      return fail("batch sizes must be positive, got " + llvm::Twine(b));

  mlir::DialectRegistry registry;
  dnnc::registerAllDialects(registry);
  mlir::MLIRContext context(registry);
  llvm::SourceMgr sourceMgr;
  auto buffer = llvm::MemoryBuffer::getFileOrSTDIN(positional[0]);
  if (!buffer)
    return fail("cannot read '" + positional[0] + "': " + buffer.getError().message());
  sourceMgr.AddNewSourceBuffer(std::move(*buffer), llvm::SMLoc());
  dnnc::FrontendResult frontend = dnnc::runFrontend(sourceMgr, context, llvm::errs());
  if (frontend.numErrors || !frontend.module)
    return fail("'" + positional[0] + "' has errors");

  std::vector<dnnc::dnn::ModelOp> models;
  for (auto model : frontend.module->getOps<dnnc::dnn::ModelOp>())
    if (modelName.empty() || model.getSymName() == modelName)
      models.push_back(model);
  if (models.empty())
    return fail(modelName.empty() ? "'" + positional[0] + "' has no models"
                                  : "'" + positional[0] + "' has no model '" + modelName + "'");

  std::string message;
  std::unique_ptr<dnn::ModelLibrary> lib = dnn::ModelLibrary::open(positional[1], message);
  if (!lib)
    return fail(message);

  for (dnnc::dnn::ModelOp model : models) {
    const dnn_model_info *info = lib->findModel(model.getSymName().str(), message);
    if (!info)
      return fail(message);
    // Every symbol takes the batch size; a model without symbols runs once.
    llvm::SmallVector<std::string> symbols;
    for (auto in : model.getBody().getOps<dnnc::dnn::InputOp>())
      for (mlir::Attribute s : in.getSymbols())
        if (!llvm::is_contained(symbols, llvm::cast<mlir::StringAttr>(s).getValue()))
          symbols.push_back(llvm::cast<mlir::StringAttr>(s).getValue().str());
    for (int64_t batch : batches) {
      std::string where = model.getSymName().str();
      if (!symbols.empty())
        where += " " + llvm::join(llvm::map_range(symbols,
                                                  [&](const std::string &s) {
                                                    return s + "=" + std::to_string(batch);
                                                  }),
                                  ", ");
      if (!verifyModel(*lib, model, *info, batch, where))
        return 1;
      if (symbols.empty())
        break;
    }
  }
  return 0;
}
