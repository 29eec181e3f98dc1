//===- dnn-run.cpp - Inspect, run and train compiled dnnc model libraries -===//
//
//   dnn-run info    MODEL.so [--model NAME]
//   dnn-run init    MODEL.so [--model NAME] --seed S -o PARAMS.safetensors
//   dnn-run predict MODEL.so [--model NAME] (--params P.safetensors | --seed S)
//                   --input NAME=FILE.npy ... --out DIR [--threads T]
//   dnn-run train   MODEL.so [--model NAME] (--params P.safetensors | --seed S)
//                   --data SPEC [--eval-data SPEC] --epochs E --batch-size B
//                   [--shuffle-seed S2 | --no-shuffle] [--steps K] [--lr LR]
//                   [--threads T] [--save OUT.safetensors] [--curve loss.csv]
//                   [--plot loss.svg] [--train-accuracy] [--quiet]
//   dnn-run eval    MODEL.so [--model NAME] (--params P.safetensors | --seed S)
//                   --data SPEC [--batch-size B] [--split train|test] [--threads T]
//   dnn-run grad    MODEL.so [--model NAME] (--params P.safetensors | --seed S)
//                   --input NAME=FILE.npy ... --out DIR [--threads T]
//
// Everything goes through the runtime embedded in MODEL.so (ModelLibrary), so
// its error messages are the ones the user sees. Datasets (SPEC: .npy
// columns, a CSV file or MNIST) are described in Dataset.h; the loss plot is
// Plot.h.
//
// Training runs entry train_step over mini-batches in an order that depends
// only on (shuffle seed, epoch), so a run resumed from a checkpoint with step
// counter k skips the first k batches of that order and continues exactly as
// if it had not stopped. After each epoch, entry eval measures the loss (and
// the accuracy, for models with an i32 label input and an i32 prediction
// output over the same batch dimension) on --eval-data.
//
//===----------------------------------------------------------------------===//

#include "Dataset.h"
#include "Evaluator.h"
#include "ModelLibrary.h"
#include "Plot.h"
#include "Profile.h"
#include "Trainer.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <optional>

namespace cl = llvm::cl;
using namespace dnn;

static cl::OptionCategory runCategory("dnn-run options");

static cl::SubCommand infoCmd("info", "Describe the models of a compiled library");
static cl::SubCommand initCmd("init", "Initialise parameters from a seed and save them");
static cl::SubCommand predictCmd("predict", "Run entry point 'predict' on .npy inputs");
static cl::SubCommand trainCmd("train", "Train a model with its optimizer on a dataset");
static cl::SubCommand evalCmd("eval", "Compute the loss (and accuracy) of a model on a dataset");
static cl::SubCommand gradCmd("grad", "Write the loss and the gradient of every parameter");
static cl::SubCommand profileCmd("profile",
                                 "Time an entry point per parallel region on random inputs");

// Options shared by subcommands name each of them.
static cl::opt<std::string> libraryPath(cl::Positional, cl::Required, cl::desc("<model.so>"),
                                        cl::sub(infoCmd), cl::sub(initCmd), cl::sub(predictCmd),
                                        cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(gradCmd),
                                        cl::sub(profileCmd), cl::cat(runCategory));
static cl::opt<std::string> modelName("model", cl::desc("Model to use (default: the only one)"),
                                      cl::value_desc("name"), cl::sub(infoCmd), cl::sub(initCmd),
                                      cl::sub(predictCmd), cl::sub(trainCmd), cl::sub(evalCmd),
                                      cl::sub(gradCmd), cl::sub(profileCmd), cl::cat(runCategory));
enum class Device { Any, CPU, CUDA };
static cl::opt<Device> device(
    "device", cl::desc("Where the model must run: the library decides (dnnc --target); this "
                       "checks that it is the one asked for"),
    cl::init(Device::Any),
    cl::values(clEnumValN(Device::CPU, "cpu", "the CPU"),
               clEnumValN(Device::CUDA, "cuda", "an NVIDIA GPU (dnnc --target=cuda)")),
    cl::sub(initCmd), cl::sub(predictCmd), cl::sub(trainCmd), cl::sub(evalCmd),
    cl::sub(gradCmd), cl::sub(profileCmd), cl::cat(runCategory));
static cl::opt<uint64_t> seed("seed", cl::desc("Initialise parameters from this seed"),
                              cl::value_desc("n"), cl::sub(initCmd), cl::sub(predictCmd),
                              cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(gradCmd),
                              cl::sub(profileCmd), cl::cat(runCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Parameters file to write"),
                                       cl::value_desc("file.safetensors"), cl::sub(initCmd),
                                       cl::cat(runCategory));
static cl::opt<std::string> paramsFile("params",
                                       cl::desc("Parameters (train: or a checkpoint) to load"),
                                       cl::value_desc("file.safetensors"), cl::sub(predictCmd),
                                       cl::sub(trainCmd), cl::sub(evalCmd), cl::sub(gradCmd),
                                       cl::sub(profileCmd), cl::cat(runCategory));
static cl::list<std::string> inputArgs("input", cl::desc("An input of the entry point"),
                                       cl::value_desc("name=file.npy"), cl::sub(predictCmd),
                                       cl::sub(gradCmd), cl::cat(runCategory));
static cl::opt<std::string> outDir("out", cl::desc("Directory for the .npy files written"),
                                   cl::value_desc("dir"), cl::sub(predictCmd), cl::sub(gradCmd),
                                   cl::cat(runCategory));
static cl::opt<int> numThreads("threads", cl::desc("Threads (default: all hardware threads)"),
                               cl::value_desc("n"), cl::sub(predictCmd), cl::sub(trainCmd),
                               cl::sub(evalCmd), cl::sub(gradCmd), cl::sub(profileCmd),
                               cl::cat(runCategory));
static cl::opt<std::string> profileEntryName("entry",
                                             cl::desc("Entry point to profile (default: "
                                                      "train_step, else predict)"),
                                             cl::value_desc("name"), cl::sub(profileCmd),
                                             cl::cat(runCategory));
static cl::opt<int64_t> profileWarmup("warmup", cl::desc("Calls before measuring (default 5)"),
                                      cl::init(5), cl::value_desc("n"), cl::sub(profileCmd),
                                      cl::cat(runCategory));
static cl::opt<int64_t> profileClasses("classes",
                                       cl::desc("i32 inputs are uniform in [0, n) (default: "
                                                "the width of the first [N, K] output)"),
                                       cl::value_desc("n"), cl::sub(profileCmd),
                                       cl::cat(runCategory));
static cl::opt<bool> showMemory("memory",
                                cl::desc("Bytes of params, optimizer state and each entry's "
                                         "workspace at --batch-size"),
                                cl::sub(infoCmd), cl::cat(runCategory));

// Training and evaluation.
static cl::opt<std::string>
    dataSpec("data",
             cl::desc("Dataset: NAME=FILE.npy[,NAME=FILE.npy...], FILE.csv[:label=COLUMN], "
                      "an MNIST directory or mnist[:DIR]"),
             cl::value_desc("spec"), cl::sub(trainCmd), cl::sub(evalCmd), cl::cat(runCategory));
static cl::opt<std::string> evalDataSpec("eval-data",
                                         cl::desc("Held-out dataset evaluated after each epoch "
                                                  "(MNIST: the test files)"),
                                         cl::value_desc("spec"), cl::sub(trainCmd),
                                         cl::cat(runCategory));
static cl::opt<int64_t> numEpochs("epochs", cl::desc("Train until this many epochs are done"),
                                  cl::value_desc("n"), cl::sub(trainCmd), cl::cat(runCategory));
static cl::opt<int64_t> batchSize("batch-size",
                                  cl::desc("Samples per batch (eval: default 256); the last "
                                           "batch of an epoch may be smaller"),
                                  cl::value_desc("n"), cl::sub(trainCmd), cl::sub(evalCmd),
                                  cl::sub(profileCmd), cl::sub(infoCmd), cl::cat(runCategory));
static cl::opt<uint64_t> shuffleSeed("shuffle-seed",
                                     cl::desc("Seed of the per-epoch sample order (default: "
                                              "--seed, or 0)"),
                                     cl::value_desc("n"), cl::sub(trainCmd),
                                     cl::cat(runCategory));
static cl::opt<bool> noShuffle("no-shuffle", cl::desc("Visit the samples in file order"),
                               cl::sub(trainCmd), cl::cat(runCategory));
static cl::opt<int64_t> maxSteps("steps",
                                 cl::desc("Stop after this many steps in this run (profile: "
                                          "calls measured, default 50)"),
                                 cl::value_desc("n"), cl::sub(trainCmd), cl::sub(profileCmd),
                                 cl::cat(runCategory));
static cl::opt<double> learningRate("lr",
                                    cl::desc("Learning rate (default: the model's, or the "
                                             "checkpoint's)"),
                                    cl::value_desc("x"), cl::sub(trainCmd), cl::cat(runCategory));
static cl::opt<std::string> saveFile("save",
                                     cl::desc("Checkpoint written after each epoch and at the "
                                              "end (params, optimizer state, step)"),
                                     cl::value_desc("file.safetensors"), cl::sub(trainCmd),
                                     cl::cat(runCategory));
static cl::opt<std::string> curveFile("curve",
                                      cl::desc("Loss curve as CSV: step,epoch,split,loss,"
                                               "accuracy"),
                                      cl::value_desc("file.csv"), cl::sub(trainCmd),
                                      cl::cat(runCategory));
static cl::opt<std::string> plotFile("plot", cl::desc("Loss curve as an SVG plot"),
                                     cl::value_desc("file.svg"), cl::sub(trainCmd),
                                     cl::cat(runCategory));
static cl::opt<bool> trainAccuracy("train-accuracy",
                                   cl::desc("Also evaluate the training set after each epoch"),
                                   cl::sub(trainCmd), cl::cat(runCategory));
static cl::opt<bool> quiet("quiet", cl::desc("Print only the final line"), cl::sub(trainCmd),
                           cl::cat(runCategory));
static cl::opt<bool> stopOnNan("stop-on-nan",
                               cl::desc("Stop with an error at the first step whose loss is NaN or "
                                        "infinite (nothing is saved)"),
                               cl::sub(trainCmd), cl::cat(runCategory));
static cl::opt<Split> evalSplit("split", cl::desc("MNIST files that eval reads"),
                                cl::values(clEnumValN(Split::Test, "test", "t10k-* (default)"),
                                           clEnumValN(Split::Train, "train", "train-*")),
                                cl::init(Split::Test), cl::sub(evalCmd), cl::cat(runCategory));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dnn-run") << message << "\n";
  return 1;
}

static void warn(const llvm::Twine &message) {
  llvm::WithColor::warning(llvm::errs(), "dnn-run") << message << "\n";
}


/// printf-style formatting into a std::string.
template <typename... Args> static std::string format(const char *fmt, Args... args) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, fmt, args...);
  return buffer;
}

static std::string formatLoss(double loss) { return format("%.4g", loss); }
static std::string formatAccuracy(double accuracy) { return format("%.4f", accuracy); }

/// Bytes of an f32/i32/f64 tensor with every symbolic dim taken as `batch`.
static int64_t tensorBytes(const dnn_tensor_info &t, int64_t batch) {
  int64_t bytes = t.dtype == DNN_DTYPE_F64 ? 8 : 4;
  for (int32_t d = 0; d < t.rank; ++d)
    bytes *= t.dims[d].size < 0 ? batch : t.dims[d].size;
  return bytes;
}

/// info --memory: what a session holds at --batch-size (default 1): params,
/// optimizer state, gradients, and each entry's workspace (every temporary
/// of the entry, planned at compile time; the session keeps the largest).
static int printMemory(const ModelLibrary &lib, const dnn_model_info &model) {
  int64_t batch = batchSize.getNumOccurrences() ? batchSize : 1;
  if (batch < 1)
    return fail("--batch-size must be at least 1");
  int64_t paramBytes = 0;
  for (int32_t i = 0; i < model.num_params; ++i)
    paramBytes += tensorBytes(model.params[i].tensor, batch); // static shapes
  int64_t slots = model.optimizer ? model.optimizer->num_slots : 0;
  llvm::raw_ostream &os = llvm::outs();
  auto line = [&](llvm::StringRef what, int64_t bytes) {
    os << llvm::format("  memory %-28s %12lld bytes (%.2f MiB)\n", what.str().c_str(),
                       (long long)bytes, double(bytes) / (1 << 20));
  };
  os << "  memory at batch " << batch << ":\n";
  line("params", paramBytes);
  if (model.num_buffers > 0) {
    int64_t bufferBytes = 0;
    for (int32_t i = 0; i < model.num_buffers; ++i)
      bufferBytes += tensorBytes(model.buffers[i].tensor, batch);
    line("buffers", bufferBytes);
  }
  if (model.optimizer)
    line("optimizer state", slots * paramBytes);
  if (model.loss >= 0)
    line("gradients (grad only)", paramBytes);
  if (model.optimizer) {
    // Part of train_step's workspace; every symbolic dim taken as the batch.
    int64_t savedBytes = 0;
    for (int32_t i = 0; i < model.num_saved; ++i)
      savedBytes += tensorBytes(model.saved[i], batch);
    line("activations for backward", savedBytes);
  }
  for (int32_t e = 0; e < model.num_entries; ++e) {
    int64_t bytes = 0;
    const char *name = model.entries[e].name;
    if (dnn_status status = lib.api().entry_workspace_bytes(&model, name, batch, &bytes))
      return fail(lib.lastError(status));
    line(("workspace of " + llvm::Twine(name)).str(), bytes);
  }
  return 0;
}

static int runInfo(const ModelLibrary &lib) {
  const dnn_library_info *info = lib.info();
  std::vector<const dnn_model_info *> models;
  if (modelName.getNumOccurrences()) {
    std::string error;
    const dnn_model_info *model = lib.findModel(modelName, error);
    if (!model)
      return fail(error);
    models.push_back(model);
  } else {
    for (int32_t m = 0; m < info->num_models; ++m)
      models.push_back(&info->models[m]);
  }

  llvm::raw_ostream &os = llvm::outs();
  os << "producer: " << (info->producer ? info->producer : "unknown") << "\n";
  os << "abi version: " << info->abi_version << "\n";
  os << "models:";
  for (int32_t m = 0; m < info->num_models; ++m)
    os << (m ? ", " : " ") << info->models[m].name;
  os << "\n";

  for (const dnn_model_info *model : models) {
    os << "model " << model->name << "\n";
    if (model->device == DNN_DEVICE_CUDA)
      os << "  device: cuda (" << (model->device_archs ? model->device_archs : "") << ")\n";
    for (int32_t i = 0; i < model->num_inputs; ++i) {
      os << "  input " << formatTensor(model->inputs[i]);
      if (model->input_index_bounds && model->input_index_bounds[i] > 0)
        os << ", class indices in [0, " << model->input_index_bounds[i] << ")";
      os << "\n";
    }
    for (int32_t i = 0; i < model->num_outputs; ++i)
      os << "  output " << formatTensor(model->outputs[i]) << "\n";
    int64_t numValues = 0;
    for (int32_t i = 0; i < model->num_params; ++i) {
      const dnn_param_info &param = model->params[i];
      os << "  param " << formatTensor(param.tensor) << " = " << formatInit(param);
      if (param.fan_in || param.fan_out)
        os << ", fan_in " << param.fan_in << ", fan_out " << param.fan_out;
      os << "\n";
      int64_t size = 1;
      for (int32_t d = 0; d < param.tensor.rank; ++d)
        size *= param.tensor.dims[d].size;
      numValues += size;
    }
    os << "  total: " << model->num_params << " params, " << numValues << " values\n";
    for (int32_t i = 0; i < model->num_buffers; ++i)
      os << "  buffer " << formatTensor(model->buffers[i].tensor) << " = "
         << formatInit(model->buffers[i]) << " (not trained)\n";
    if (model->loss >= 0)
      os << "  loss " << model->outputs[model->loss].name << "\n";
    if (const dnn_optimizer_info *opt = model->optimizer) {
      const char *kind = dnn_optimizer_kind_name(opt->kind);
      os << "  train with " << (kind ? kind : "?") << "(";
      for (int32_t h = 0; h < opt->num_hyperparameters; ++h)
        os << (h ? ", " : "") << opt->hyperparameters[h].name << "="
           << llvm::format("%g", opt->hyperparameters[h].value);
      os << ")";
      for (int32_t k = 0; k < opt->num_slots; ++k)
        os << (k ? ", " : ", state per param: ") << opt->slots[k];
      os << "\n";
    }
    for (int32_t i = 0; i < model->num_training_checks; ++i) {
      const dnn_training_check &check = model->training_checks[i];
      std::string product;
      for (int32_t k = 0; k < check.num_symbols; ++k)
        product += (k ? " * " : "") + std::string(check.symbols[k]);
      os << "  training needs " << product << " >= 2 (" << check.what
         << ": more than one value per channel)\n";
    }
    for (int32_t e = 0; e < model->num_entries; ++e) {
      const dnn_entry_info &entry = model->entries[e];
      auto names = [](const dnn_tensor_info *tensors, int32_t count, const int32_t *indices) {
        return count ? joinNames(tensors, count, indices) : std::string();
      };
      os << "  entry " << entry.name << "("
         << names(model->inputs, entry.num_inputs, entry.inputs) << ") -> ("
         << names(model->outputs, entry.num_outputs, entry.outputs) << ")";
      if (entry.specialized_fn)
        os << ", also compiled for " << entry.specialized_symbol << "="
           << entry.specialized_size;
      os << "\n";
    }
    if (showMemory)
      if (int rc = printMemory(lib, *model))
        return rc;
  }
  return 0;
}

static int runInit(const ModelLibrary &lib, const dnn_model_info &model) {
  if (!seed.getNumOccurrences())
    return fail("init needs --seed");
  if (outputFile.empty())
    return fail("init needs -o <file.safetensors>");
  const RuntimeApi &api = lib.api();
  ScopedSession s(api);
  dnn_status status;
  if ((status = api.session_create(&model, &s.session)) != DNN_OK ||
      (status = api.session_init_params(s.session, seed)) != DNN_OK ||
      (status = api.session_save_params(s.session, outputFile.c_str())) != DNN_OK)
    return fail(lib.lastError(status));
  llvm::outs() << "wrote " << outputFile << ": " << model.num_params << " params\n";
  return 0;
}

/// Checks the NAME=FILE pairs of --input against the inputs of `entry`.
static int collectInputs(const dnn_model_info &model, const dnn_entry_info &entry,
                         std::map<std::string, std::string> &files) {
  std::string expected = joinNames(model.inputs, entry.num_inputs, entry.inputs);
  for (const std::string &arg : inputArgs) {
    auto [name, file] = llvm::StringRef(arg).split('=');
    if (name.empty() || file.empty() || name.size() == arg.size())
      return fail("invalid --input '" + arg + "'; expected NAME=FILE.npy");
    bool known = false;
    for (int32_t i = 0; i < entry.num_inputs; ++i)
      known |= name == model.inputs[entry.inputs[i]].name;
    if (!known)
      return fail("model '" + llvm::Twine(model.name) + "' has no input '" + name +
                  "' (inputs: " + expected + ")");
    if (!files.emplace(name.str(), file.str()).second)
      return fail("input '" + name + "' given twice");
  }
  for (int32_t i = 0; i < entry.num_inputs; ++i) {
    const char *name = model.inputs[entry.inputs[i]].name;
    if (!files.count(name))
      return fail("missing input '" + llvm::Twine(name) + "' (give --input " + name +
                  "=FILE.npy; inputs: " + expected + ")");
  }
  return 0;
}

/// Reads the .npy files of `files` (from collectInputs) into `inputs`.
static int readInputs(const ModelLibrary &lib, const std::map<std::string, std::string> &files,
                      ScopedTensors &inputs) {
  for (const auto &[name, file] : files) {
    dnn_tensor tensor{};
    if (dnn_status status = lib.api().npy_read(file.c_str(), &tensor))
      return fail(lib.lastError(status));
    tensor.name = name.c_str(); // npy files carry no name; `files` outlives the run
    inputs.tensors.push_back(tensor);
  }
  return 0;
}

/// `--threads`, when given.
static int applyThreads(const ModelLibrary &lib) {
  if (!numThreads.getNumOccurrences())
    return 0;
  if (dnn_status status = lib.api().set_num_threads(numThreads))
    return fail(lib.lastError(status));
  return 0;
}

/// Creates a session and loads --params or initialises from --seed.
static int openSession(const ModelLibrary &lib, const dnn_model_info &model, ScopedSession &s) {
  const RuntimeApi &api = lib.api();
  dnn_status status = api.session_create(&model, &s.session);
  if (status == DNN_OK)
    status = paramsFile.getNumOccurrences()
                 ? api.session_load_params(s.session, paramsFile.c_str())
                 : api.session_init_params(s.session, seed);
  return status == DNN_OK ? 0 : fail(lib.lastError(status));
}

/// What predict and grad share before running `entry`: --params or --seed and
/// --out given, the --input files checked (into `files`, which keeps the
/// input names alive) and read into `inputs`, --threads and the session.
static int prepareRun(llvm::StringRef command, const ModelLibrary &lib,
                      const dnn_model_info &model, const dnn_entry_info &entry,
                      std::map<std::string, std::string> &files, ScopedSession &s,
                      ScopedTensors &inputs) {
  if (paramsFile.getNumOccurrences() == seed.getNumOccurrences())
    return fail(command + " needs either --params <file.safetensors> or --seed <n>");
  if (outDir.empty())
    return fail(command + " needs --out <dir>");
  if (int rc = collectInputs(model, entry, files))
    return rc;
  if (int rc = applyThreads(lib))
    return rc;
  if (int rc = openSession(lib, model, s))
    return rc;
  return readInputs(lib, files, inputs);
}

/// Creates --out (and parents) for the .npy files a run writes.
static int createOutDir() {
  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create directory '" + outDir + "': " + ec.message());
  return 0;
}

/// Writes `tensor` to --out/`file` and says so.
static int writeNpy(const ModelLibrary &lib, const dnn_tensor &tensor, const llvm::Twine &file) {
  llvm::SmallString<256> path(outDir);
  llvm::sys::path::append(path, file);
  if (dnn_status status = lib.api().npy_write(path.c_str(), &tensor))
    return fail(lib.lastError(status));
  llvm::outs() << "wrote " << path << ": " << dtypeName(tensor.dtype) << formatShape(tensor)
               << "\n";
  return 0;
}

static int runPredict(const ModelLibrary &lib, const dnn_model_info &model) {
  const dnn_entry_info *entry = findEntry(model, "predict");
  if (!entry)
    return fail("model '" + llvm::Twine(model.name) +
                "' has no entry point 'predict' (entries: " + entryNames(model) + ")");
  const RuntimeApi &api = lib.api();
  std::map<std::string, std::string> files;
  ScopedSession s(api);
  ScopedTensors inputs(api);
  if (int rc = prepareRun("predict", lib, model, *entry, files, s, inputs))
    return rc;

  std::vector<dnn_tensor> outputs(entry->num_outputs);
  for (int32_t i = 0; i < entry->num_outputs; ++i)
    outputs[i].name = model.outputs[entry->outputs[i]].name;
  if (dnn_status status = api.session_run(s.session, entry->name, (int32_t)inputs.tensors.size(),
                                          inputs.tensors.data(), (int32_t)outputs.size(),
                                          outputs.data()))
    return fail(lib.lastError(status));

  if (int rc = createOutDir())
    return rc;
  for (const dnn_tensor &output : outputs)
    if (int rc = writeNpy(lib, output, llvm::Twine(output.name) + ".npy"))
      return rc;
  return 0;
}

//===----------------------------------------------------------------------===//
// grad
//===----------------------------------------------------------------------===//

static int runGrad(const ModelLibrary &lib, const dnn_model_info &model) {
  const dnn_entry_info *entry = findEntry(model, "grad");
  if (!entry || model.loss < 0)
    return fail("model '" + llvm::Twine(model.name) +
                "' has no entry point 'grad' (entries: " + entryNames(model) +
                "); grad needs a model with a loss");
  const RuntimeApi &api = lib.api();
  std::map<std::string, std::string> files;
  ScopedSession s(api);
  ScopedTensors inputs(api);
  if (int rc = prepareRun("grad", lib, model, *entry, files, s, inputs))
    return rc;

  double loss = 0;
  if (dnn_status status = api.session_grad(s.session, (int32_t)inputs.tensors.size(),
                                           inputs.tensors.data(), &loss))
    return fail(lib.lastError(status));

  if (int rc = createOutDir())
    return rc;
  const char *lossName = model.outputs[model.loss].name;
  llvm::outs() << "loss " << lossName << " = " << format("%.9g", loss) << "\n";
  float lossValue = (float)loss;
  dnn_tensor lossTensor{};
  lossTensor.name = lossName;
  lossTensor.dtype = DNN_DTYPE_F32;
  lossTensor.rank = 0;
  lossTensor.data = &lossValue;
  if (int rc = writeNpy(lib, lossTensor, llvm::Twine(lossName) + ".npy"))
    return rc;
  for (int32_t p = 0; p < model.num_params; ++p) {
    const char *name = model.params[p].tensor.name;
    dnn_tensor gradient{};
    if (dnn_status status = api.session_gradient(s.session, name, &gradient))
      return fail(lib.lastError(status));
    if (int rc = writeNpy(lib, gradient, "grad." + llvm::Twine(name) + ".npy"))
      return rc;
  }
  return 0;
}

//===----------------------------------------------------------------------===//
// eval
//===----------------------------------------------------------------------===//

/// Loads --data (and friends) with a prefix naming the option in errors.
static int loadData(const ModelLibrary &lib, const std::string &option, const std::string &spec,
                    const LoadOptions &options, Dataset &data) {
  std::string error;
  if (!loadDataset(spec, lib.api(), options, data, error))
    return fail(option + ": " + error);
  return 0;
}

static std::string labelMapping(const Dataset &data) {
  std::string s = "labels (" + data.labelColumn + "):";
  for (size_t k = 0; k < data.labelNames.size(); ++k)
    s += (k ? ", " : " ") + data.labelNames[k] + "=" + std::to_string(k);
  return s;
}

static int runEval(const ModelLibrary &lib, const dnn_model_info &model) {
  if (paramsFile.getNumOccurrences() == seed.getNumOccurrences())
    return fail("eval needs either --params <file.safetensors> or --seed <n>");
  if (dataSpec.empty())
    return fail("eval needs --data <spec> (NAME=FILE.npy,..., FILE.csv[:label=COLUMN] or "
                "mnist[:DIR])");
  int64_t batch = batchSize.getNumOccurrences() ? (int64_t)batchSize : 256;
  if (batch < 1)
    return fail("--batch-size must be at least 1, got " + llvm::Twine(batch));

  LoadOptions options;
  options.split = evalSplit;
  Dataset data;
  if (int rc = loadData(lib, "--data", dataSpec, options, data))
    return rc;
  std::string error;
  const dnn_entry_info *entry = findEvalEntry(model, error);
  Evaluator eval;
  if (!entry || !prepareEvaluator(model, *entry, data, eval, error))
    return fail(error);

  ScopedSession s(lib.api());
  if (int rc = applyThreads(lib))
    return rc;
  if (int rc = openSession(lib, model, s))
    return rc;
  EvalResult result;
  if (!evaluate(lib.api(), s.session, eval, batch, result, error))
    return fail(error);
  llvm::raw_ostream &os = llvm::outs();
  if (!data.labelNames.empty())
    os << labelMapping(data) << "\n";
  os << "eval: " << result.samples << " samples, loss " << formatLoss(result.loss);
  if (eval.hasAccuracy())
    os << ", accuracy " << formatAccuracy(result.accuracy);
  os << "\n";
  return 0;
}

//===----------------------------------------------------------------------===//
// train
//===----------------------------------------------------------------------===//

namespace {

using Clock = std::chrono::steady_clock;

double secondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

/// Progress within an epoch: on a terminal a bar redrawn in place (at most
/// ten times a second), otherwise a plain line at every tenth of the epoch
/// (at most one a second, so short epochs print only their summary).
class Progress {
public:
  Progress(bool enabled, bool terminal, std::string prefix, int64_t first, int64_t total)
      : enabled(enabled), terminal(terminal), prefix(std::move(prefix)), first(first),
        total(total), lastDraw(terminal ? Clock::time_point() : Clock::now()) {}

  /// `done` batches of the epoch's `total` are done (the epoch started at
  /// `first`).
  void update(int64_t done, double meanLoss, double samplesPerSecond) {
    if (!enabled)
      return;
    llvm::raw_ostream &os = llvm::outs();
    if (terminal) {
      if (done < total && secondsSince(lastDraw) < 0.1)
        return;
      lastDraw = Clock::now();
      std::string totalText = std::to_string(total);
      std::string counts = " " + format("%*lld", (int)totalText.size(), (long long)done) + "/" +
                           totalText + "  loss " + formatLoss(meanLoss) + "  " +
                           format("%.0f", samplesPerSecond) + " samples/s";
      // The bar takes what the terminal's width leaves, 10 to 30 columns.
      int width = 30;
      if (unsigned columns = llvm::sys::Process::StandardOutColumns())
        width = std::clamp((int)columns - (int)(prefix.size() + counts.size()) - 4, 10, 30);
      int filled = (int)(width * done / std::max<int64_t>(total, 1));
      std::string bar(filled, '=');
      if (filled < width)
        bar += '>' + std::string(width - filled - 1, ' ');
      std::string line = prefix + " [" + bar + "]" + counts;
      os << "\r" << line;
      if (line.size() < drawn)
        os.indent(drawn - line.size());
      drawn = line.size();
      os.flush();
      return;
    }
    int64_t span = total - first;
    int64_t tenth = span > 0 ? (done - first) * 10 / span : 10;
    if (tenth > lastTenth && done < total && secondsSince(lastDraw) >= 1) {
      lastTenth = tenth;
      lastDraw = Clock::now();
      os << prefix << ": " << done << "/" << total << " batches, loss " << formatLoss(meanLoss)
         << ", " << format("%.0f", samplesPerSecond) << " samples/s\n";
      os.flush();
    }
  }

  /// Erases the bar, so that the epoch's summary line takes its place.
  void clear() {
    if (!enabled || !terminal || !drawn)
      return;
    llvm::outs() << "\r";
    llvm::outs().indent(drawn);
    llvm::outs() << "\r";
    drawn = 0;
  }

private:
  bool enabled, terminal;
  std::string prefix;
  int64_t first, total;
  Clock::time_point lastDraw{};
  size_t drawn = 0;
  int64_t lastTenth = 0;
};

/// A row of the loss curve: the batch loss of a step ("batch"), or an
/// evaluation after an epoch ("train" set with --train-accuracy, "test").
struct CurveRow {
  int64_t step, epoch;
  std::string split;
  double loss, accuracy;
};

} // namespace

static int writeTextFile(const std::string &path, const std::string &text) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return fail("cannot write '" + path + "': " + ec.message());
  os << text;
  os.close();
  if (os.has_error())
    return fail("cannot write '" + path + "': " + os.error().message());
  return 0;
}

static std::string curveCsv(const std::vector<CurveRow> &rows) {
  std::string csv = "step,epoch,split,loss,accuracy\n";
  for (const CurveRow &row : rows) {
    csv += std::to_string(row.step) + "," + std::to_string(row.epoch) + "," + row.split + "," +
           format("%.9g", row.loss) + ",";
    if (!std::isnan(row.accuracy))
      csv += format("%.6f", row.accuracy);
    csv += "\n";
  }
  return csv;
}

static std::string curveSvg(const dnn_model_info &model, const Dataset &data,
                            const std::vector<CurveRow> &rows, int64_t batchesPerEpoch,
                            int64_t lastStep) {
  Plot plot;
  plot.title = "dnn-run train: model " + std::string(model.name) + " on " + data.source;
  plot.xLabel = "step (" + std::to_string(batchesPerEpoch) + " per epoch)";
  plot.yLabel = "loss";
  PlotSeries batch{"train loss per step", PlotSeries::Line, "#1f77b4", 0.35, {}};
  PlotSeries train{"train set loss, per epoch", PlotSeries::Markers, "#2ca02c", 1, {}};
  PlotSeries test{"test loss, per epoch", PlotSeries::Markers, "#ff7f0e", 1, {}};
  for (const CurveRow &row : rows) {
    PlotSeries &series = row.split == "batch" ? batch : row.split == "train" ? train : test;
    series.points.emplace_back((double)row.step, row.loss);
  }
  // A trailing mean over about 2% of the steps shows the trend of the noisy
  // batch losses.
  PlotSeries smooth{"train loss, running mean", PlotSeries::Line, "#0b3d91", 1, {}};
  size_t window = std::max<size_t>(1, batch.points.size() / 50);
  double sum = 0;
  for (size_t i = 0; i < batch.points.size(); ++i) {
    sum += batch.points[i].second;
    if (i >= window)
      sum -= batch.points[i - window].second;
    size_t n = std::min(i + 1, window);
    smooth.points.emplace_back(batch.points[i].first, sum / (double)n);
  }
  if (window == 1)
    batch.opacity = 1; // Few steps: the losses themselves.
  plot.series.push_back(std::move(batch));
  if (!train.points.empty())
    plot.series.push_back(std::move(train));
  if (!test.points.empty())
    plot.series.push_back(std::move(test));
  if (window > 1)
    plot.series.push_back(std::move(smooth)); // On top of the markers.
  for (int64_t s = batchesPerEpoch; s < lastStep; s += batchesPerEpoch)
    plot.guides.push_back((double)s);
  return renderSvg(plot);
}

namespace {

/// What `dnn-run train` shows and writes of a run: the progress bar, one line
/// per epoch, warnings, the loss curve (--curve, --plot) and the checkpoints
/// (--save after each complete epoch and at the end).
class ConsoleObserver final : public TrainObserver {
public:
  ConsoleObserver(const ModelLibrary &lib, const dnn_model_info &model, const Dataset &train,
                  const Trainer &trainer, dnn_session *session, const TrainPlan &plan)
      : lib(lib), model(model), train(train), trainer(trainer), session(session), plan(plan),
        terminal(llvm::sys::Process::StandardOutIsDisplayed()) {}

  void epochStarted(int64_t epoch, int64_t firstBatch, int64_t batchesPerEpoch) override {
    prefix = "epoch " + std::to_string(epoch) + "/" + std::to_string((int64_t)numEpochs);
    progress.emplace(!quiet, terminal, prefix, firstBatch, batchesPerEpoch);
  }

  void stepDone(const StepResult &step) override {
    curve.push_back({step.step, step.epoch, "batch", step.loss,
                     std::numeric_limits<double>::quiet_NaN()});
    progress->update(step.batch, step.epochMeanLoss, step.samplesPerSecond);
  }

  void nonFiniteLoss(const StepResult &step) override {
    progress->clear();
    warn("the loss is " + llvm::Twine(format("%g", step.loss)) + " at step " +
         llvm::Twine(step.step) + "; try a smaller --lr");
  }

  void evaluated(const std::string &split, int64_t step, int64_t epoch,
                 const EvalResult &result) override {
    curve.push_back({step, epoch, split, result.loss, result.accuracy});
  }

  bool epochDone(const EpochResult &epoch, std::string &error) override {
    progress->clear();
    if (!quiet) {
      llvm::raw_ostream &os = llvm::outs();
      os << prefix;
      if (epoch.firstBatch != 0 || !epoch.complete())
        os << " (batches " << epoch.firstBatch + 1 << "-" << epoch.endBatch << " of "
           << epoch.batchesPerEpoch << ")";
      os << ": train loss " << formatLoss(epoch.trainLoss) << evalText(epoch.test, epoch.train)
         << " (" << epoch.steps << " steps, " << format("%.1f", epoch.seconds) << " s, "
         << format("%.0f", (double)epoch.samples / epoch.seconds) << " samples/s)\n";
      os.flush();
    }
    int64_t current = (epoch.epoch - 1) * epoch.batchesPerEpoch + epoch.endBatch;
    if (epoch.complete())
      if (save())
        return stop(error);
    // The curve files are rewritten whole: after an epoch only when half a
    // minute has passed since the last time (long runs stay observable, short
    // epochs do not spend their time rewriting), and at the end.
    if (current < plan.end && secondsSince(lastCurveWrite) >= 30)
      if (writeCurves(current))
        return stop(error);
    return true;
  }

  void interrupted() override {
    if (progress)
      progress->clear();
  }

  /// ", train accuracy A, test loss L, test accuracy A" as far as known.
  std::string evalText(const std::optional<EvalResult> &test,
                       const std::optional<EvalResult> &trainResult) const {
    std::string text;
    if (trainResult && trainer.trainHasAccuracy())
      text += ", train accuracy " + formatAccuracy(trainResult->accuracy);
    if (test) {
      text += ", test loss " + formatLoss(test->loss);
      if (trainer.testHasAccuracy())
        text += ", test accuracy " + formatAccuracy(test->accuracy);
    }
    return text;
  }

  /// --save, when given.
  int save() {
    if (saveFile.empty())
      return 0;
    if (dnn_status status = lib.api().session_save_params(session, saveFile.c_str()))
      return fail(lib.lastError(status));
    return 0;
  }

  /// --curve and --plot, when given, up to step `upTo`.
  int writeCurves(int64_t upTo) {
    lastCurveWrite = Clock::now();
    if (!curveFile.empty())
      if (int rc = writeTextFile(curveFile, curveCsv(curve)))
        return rc;
    if (!plotFile.empty())
      if (int rc = writeTextFile(plotFile,
                                 curveSvg(model, train, curve, plan.batchesPerEpoch, upTo)))
        return rc;
    return 0;
  }

private:
  /// The message is already printed (fail); the run stops with it.
  static bool stop(std::string &error) {
    error.clear();
    return false;
  }

  const ModelLibrary &lib;
  const dnn_model_info &model;
  const Dataset &train;
  const Trainer &trainer;
  dnn_session *session;
  TrainPlan plan;
  bool terminal;
  std::string prefix;
  std::optional<Progress> progress;
  std::vector<CurveRow> curve;
  Clock::time_point lastCurveWrite = Clock::now();
};

} // namespace

static int runTrain(const ModelLibrary &lib, const dnn_model_info &model) {
  // Options first, then the data, then the model: every check before any
  // training.
  if (paramsFile.getNumOccurrences() == seed.getNumOccurrences())
    return fail("train needs either --params <file.safetensors> or --seed <n>");
  if (dataSpec.empty())
    return fail("train needs --data <spec> (NAME=FILE.npy,..., FILE.csv[:label=COLUMN] or "
                "mnist[:DIR])");
  if (!numEpochs.getNumOccurrences())
    return fail("train needs --epochs <n>");
  if (!batchSize.getNumOccurrences())
    return fail("train needs --batch-size <n>");
  if (noShuffle && shuffleSeed.getNumOccurrences())
    return fail("--shuffle-seed and --no-shuffle exclude each other");
  TrainOptions options;
  options.epochs = numEpochs;
  options.batchSize = batchSize;
  if (maxSteps.getNumOccurrences())
    options.maxSteps = maxSteps;
  options.shuffle = !noShuffle;
  options.shuffleSeed = shuffleSeed.getNumOccurrences() ? (uint64_t)shuffleSeed
                        : seed.getNumOccurrences()      ? (uint64_t)seed
                                                        : 0;
  if (learningRate.getNumOccurrences())
    options.learningRate = learningRate;
  options.trainAccuracy = trainAccuracy;
  options.stopOnNonFinite = stopOnNan;
  options.trainDataName = "--data";
  options.testDataName = "--eval-data";
  options.epochsName = "--epochs";
  options.batchSizeName = "--batch-size";
  options.maxStepsName = "--steps";
  options.learningRateName = "--lr";
  if (std::string invalid = options.validate(); !invalid.empty())
    return fail(invalid);

  const RuntimeApi &api = lib.api();
  llvm::raw_ostream &os = llvm::outs();
  Dataset train, test;
  if (int rc = loadData(lib, "--data", dataSpec, LoadOptions{Split::Train, {}}, train))
    return rc;
  bool haveTest = !evalDataSpec.empty();
  if (haveTest &&
      loadData(lib, "--eval-data", evalDataSpec, LoadOptions{Split::Test, train.labelNames}, test))
    return 1;
  if (haveTest && !train.labelNames.empty() && test.labelNames.size() > train.labelNames.size()) {
    std::string unseen;
    for (size_t k = train.labelNames.size(); k < test.labelNames.size(); ++k)
      unseen += (unseen.empty() ? "" : ", ") + test.labelNames[k];
    warn("--eval-data has labels that --data does not: " + unseen);
  }

  std::string error;
  std::unique_ptr<Trainer> trainer =
      Trainer::create(api, model, train, haveTest ? &test : nullptr, options, error);
  if (!trainer)
    return fail(error);

  ScopedSession s(api);
  if (int rc = applyThreads(lib))
    return rc;
  if (int rc = openSession(lib, model, s))
    return rc;
  TrainPlan plan;
  if (!trainer->prepare(s.session, plan, error))
    return fail(error);
  const int64_t perEpoch = plan.batchesPerEpoch, start = plan.start, total = plan.total;

  if (!quiet) {
    if (!train.labelNames.empty())
      os << labelMapping(train) << "\n";
    const char *optimizer = dnn_optimizer_kind_name(model.optimizer->kind);
    os << "train: model '" << model.name << "', " << train.rows << " samples from "
       << train.source << ", " << perEpoch << " batches of " << batchSize << " per epoch, "
       << (optimizer ? optimizer : "optimizer") << " with lr "
       << format("%g", api.session_learning_rate(s.session)) << "\n";
    if (haveTest)
      os << "eval data: " << test.rows << " samples from " << test.source << "\n";
    if (start > 0 && start < total)
      os << "resuming at step " << start << " (epoch " << start / perEpoch + 1 << ", batch "
         << start % perEpoch + 1 << " of " << perEpoch << "), shuffle seed "
         << (noShuffle ? std::string("none") : std::to_string(options.shuffleSeed)) << "\n";
    if (start >= total)
      os << "nothing to train: step " << start << " already completes " << numEpochs
         << " epochs\n";
  }

  ConsoleObserver console(lib, model, train, *trainer, s.session, plan);
  TrainResult result;
  if (!trainer->run(s.session, console, result, error)) {
    if (error.empty()) // the observer stopped the run and said why
      return 1;
    if (result.stoppedOnNonFinite)
      return fail(error + "; stopped by --stop-on-nan, nothing saved; try a smaller --lr");
    return fail(error);
  }
  if (int rc = console.save())
    return rc;
  if (int rc = console.writeCurves(result.step))
    return rc;

  const int64_t current = result.step;
  int64_t finalEpoch = current == 0 ? 0 : (current - 1) / perEpoch + 1;
  os << "final: epoch " << finalEpoch << ", step " << current;
  if (current > start)
    os << ", train loss " << formatLoss(result.lastEpochLoss);
  os << console.evalText(result.test, result.train) << "\n";
  if (!saveFile.empty() && !quiet)
    os << "wrote " << saveFile << " (step " << current << ")\n";
  return 0;
}

//===----------------------------------------------------------------------===//
// profile
//===----------------------------------------------------------------------===//

static int runProfile(const ModelLibrary &lib, const dnn_model_info &model) {
  if (paramsFile.getNumOccurrences() && seed.getNumOccurrences())
    return fail("profile takes --params or --seed, not both");
  ProfileOptions options;
  options.entry = profileEntryName;
  if (options.entry.empty()) {
    options.entry = "predict";
    for (int32_t e = 0; e < model.num_entries; ++e)
      if (model.entries[e].kind == DNN_ENTRY_TRAIN_STEP)
        options.entry = model.entries[e].name;
  }
  if (batchSize.getNumOccurrences())
    options.batch = batchSize;
  if (maxSteps.getNumOccurrences())
    options.calls = maxSteps;
  options.warmup = profileWarmup;
  options.classes = profileClasses;
  if (int rc = applyThreads(lib))
    return rc;
  ScopedSession s(lib.api());
  if (int rc = openSession(lib, model, s))
    return rc;
  std::string error;
  if (!profileEntry(lib, model, s.session, options, error))
    return fail(error);
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers hundreds of codegen options; --help should not list them.
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dnn-run: inspect, run and train compiled dnnc model libraries\n");
  if (!infoCmd && !initCmd && !predictCmd && !trainCmd && !evalCmd && !gradCmd && !profileCmd)
    return fail("no subcommand; use 'info', 'init', 'predict', 'train', 'eval', 'grad' or "
                "'profile' (see --help)");

  std::string error;
  std::unique_ptr<ModelLibrary> lib = ModelLibrary::open(libraryPath, error);
  if (!lib)
    return fail(error);
  if (infoCmd)
    return runInfo(*lib);

  const dnn_model_info *model = lib->findModel(modelName, error);
  if (!model)
    return fail(error);
  bool onCUDA = model->device == DNN_DEVICE_CUDA;
  if ((device == Device::CUDA && !onCUDA) || (device == Device::CPU && onCUDA))
    return fail("--device=" + std::string(device == Device::CUDA ? "cuda" : "cpu") +
                ": model '" + model->name + "' of '" + libraryPath.getValue() + "' runs on the " +
                (onCUDA ? "GPU" : "CPU") + "; compile it with dnnc --target=" +
                (device == Device::CUDA ? "cuda" : "cpu"));
  if (initCmd)
    return runInit(*lib, *model);
  if (trainCmd)
    return runTrain(*lib, *model);
  if (evalCmd)
    return runEval(*lib, *model);
  if (gradCmd)
    return runGrad(*lib, *model);
  if (profileCmd)
    return runProfile(*lib, *model);
  return runPredict(*lib, *model);
}
