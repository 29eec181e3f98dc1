//===- dnn-run.cpp - Inspect and run compiled dnnc model libraries --------===//
//
//   dnn-run info    MODEL.so [--model NAME]
//   dnn-run init    MODEL.so [--model NAME] --seed S -o PARAMS.safetensors
//   dnn-run predict MODEL.so [--model NAME] (--params P.safetensors | --seed S)
//                   --input NAME=FILE.npy ... --out DIR [--threads T]
//
// Everything goes through the runtime embedded in MODEL.so (ModelLibrary), so
// its error messages are the ones the user sees.
//
//===----------------------------------------------------------------------===//

#include "ModelLibrary.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <map>

namespace cl = llvm::cl;
using namespace dnn;

static cl::OptionCategory runCategory("dnn-run options");

static cl::SubCommand infoCmd("info", "Describe the models of a compiled library");
static cl::SubCommand initCmd("init", "Initialise parameters from a seed and save them");
static cl::SubCommand predictCmd("predict", "Run entry point 'predict' on .npy inputs");

// Options shared by subcommands name each of them.
static cl::opt<std::string> libraryPath(cl::Positional, cl::Required, cl::desc("<model.so>"),
                                        cl::sub(infoCmd), cl::sub(initCmd), cl::sub(predictCmd),
                                        cl::cat(runCategory));
static cl::opt<std::string> modelName("model", cl::desc("Model to use (default: the only one)"),
                                      cl::value_desc("name"), cl::sub(infoCmd), cl::sub(initCmd),
                                      cl::sub(predictCmd), cl::cat(runCategory));
static cl::opt<uint64_t> seed("seed", cl::desc("Initialise parameters from this seed"),
                              cl::value_desc("n"), cl::sub(initCmd), cl::sub(predictCmd),
                              cl::cat(runCategory));
static cl::opt<std::string> outputFile("o", cl::desc("Parameters file to write"),
                                       cl::value_desc("file.safetensors"), cl::sub(initCmd),
                                       cl::cat(runCategory));
static cl::opt<std::string> paramsFile("params", cl::desc("Parameters to load"),
                                       cl::value_desc("file.safetensors"), cl::sub(predictCmd),
                                       cl::cat(runCategory));
static cl::list<std::string> inputArgs("input", cl::desc("An input of the entry point"),
                                       cl::value_desc("name=file.npy"), cl::sub(predictCmd),
                                       cl::cat(runCategory));
static cl::opt<std::string> outDir("out", cl::desc("Directory for <output>.npy files"),
                                   cl::value_desc("dir"), cl::sub(predictCmd),
                                   cl::cat(runCategory));
static cl::opt<int> numThreads("threads", cl::desc("Threads (default: all hardware threads)"),
                               cl::value_desc("n"), cl::sub(predictCmd), cl::cat(runCategory));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "dnn-run") << message << "\n";
  return 1;
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
    for (int32_t i = 0; i < model->num_inputs; ++i)
      os << "  input " << formatTensor(model->inputs[i]) << "\n";
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
    for (int32_t e = 0; e < model->num_entries; ++e) {
      const dnn_entry_info &entry = model->entries[e];
      auto names = [](const dnn_tensor_info *tensors, int32_t count, const int32_t *indices) {
        return count ? joinNames(tensors, count, indices) : std::string();
      };
      os << "  entry " << entry.name << "("
         << names(model->inputs, entry.num_inputs, entry.inputs) << ") -> ("
         << names(model->outputs, entry.num_outputs, entry.outputs) << ")\n";
    }
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

static int runPredict(const ModelLibrary &lib, const dnn_model_info &model) {
  const dnn_entry_info *entry = findEntry(model, "predict");
  if (!entry) {
    std::string entries;
    for (int32_t e = 0; e < model.num_entries; ++e)
      entries += std::string(e ? ", " : "") + model.entries[e].name;
    return fail("model '" + llvm::Twine(model.name) + "' has no entry point 'predict' (entries: " +
                (entries.empty() ? "none" : entries) + ")");
  }
  if (paramsFile.getNumOccurrences() == seed.getNumOccurrences())
    return fail("predict needs either --params <file.safetensors> or --seed <n>");
  if (outDir.empty())
    return fail("predict needs --out <dir>");

  // NAME=FILE pairs, checked against the entry's inputs before anything runs.
  std::string expected = joinNames(model.inputs, entry->num_inputs, entry->inputs);
  std::map<std::string, std::string> files;
  for (const std::string &arg : inputArgs) {
    auto [name, file] = llvm::StringRef(arg).split('=');
    if (name.empty() || file.empty() || name.size() == arg.size())
      return fail("invalid --input '" + arg + "'; expected NAME=FILE.npy");
    bool known = false;
    for (int32_t i = 0; i < entry->num_inputs; ++i)
      known |= name == model.inputs[entry->inputs[i]].name;
    if (!known)
      return fail("model '" + llvm::Twine(model.name) + "' has no input '" + name +
                  "' (inputs: " + expected + ")");
    if (!files.emplace(name.str(), file.str()).second)
      return fail("input '" + name + "' given twice");
  }
  for (int32_t i = 0; i < entry->num_inputs; ++i) {
    const char *name = model.inputs[entry->inputs[i]].name;
    if (!files.count(name))
      return fail("missing input '" + llvm::Twine(name) + "' (give --input " + name +
                  "=FILE.npy; inputs: " + expected + ")");
  }

  const RuntimeApi &api = lib.api();
  dnn_status status;
  if (numThreads.getNumOccurrences() && (status = api.set_num_threads(numThreads)) != DNN_OK)
    return fail(lib.lastError(status));

  ScopedSession s(api);
  if ((status = api.session_create(&model, &s.session)) != DNN_OK)
    return fail(lib.lastError(status));
  status = paramsFile.getNumOccurrences()
               ? api.session_load_params(s.session, paramsFile.c_str())
               : api.session_init_params(s.session, seed);
  if (status != DNN_OK)
    return fail(lib.lastError(status));

  ScopedTensors inputs(api);
  for (const auto &[name, file] : files) {
    dnn_tensor tensor{};
    if ((status = api.npy_read(file.c_str(), &tensor)) != DNN_OK)
      return fail(lib.lastError(status));
    tensor.name = name.c_str(); // npy files carry no name; `files` outlives the run
    inputs.tensors.push_back(tensor);
  }

  std::vector<dnn_tensor> outputs(entry->num_outputs);
  for (int32_t i = 0; i < entry->num_outputs; ++i)
    outputs[i].name = model.outputs[entry->outputs[i]].name;
  if ((status = api.session_run(s.session, entry->name, (int32_t)inputs.tensors.size(),
                                inputs.tensors.data(), (int32_t)outputs.size(),
                                outputs.data())) != DNN_OK)
    return fail(lib.lastError(status));

  if (std::error_code ec = llvm::sys::fs::create_directories(outDir))
    return fail("cannot create directory '" + outDir + "': " + ec.message());
  for (const dnn_tensor &output : outputs) {
    llvm::SmallString<256> path(outDir);
    llvm::sys::path::append(path, llvm::Twine(output.name) + ".npy");
    if ((status = api.npy_write(path.c_str(), &output)) != DNN_OK)
      return fail(lib.lastError(status));
    llvm::outs() << "wrote " << path << ": " << dtypeName(output.dtype) << formatShape(output)
                 << "\n";
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  // libLLVM registers hundreds of codegen options; --help should not list them.
  cl::HideUnrelatedOptions(runCategory);
  cl::ParseCommandLineOptions(argc, argv,
                              "dnn-run: inspect and run compiled dnnc model libraries\n");
  if (!infoCmd && !initCmd && !predictCmd)
    return fail("no subcommand; use 'info', 'init' or 'predict' (see --help)");

  std::string error;
  std::unique_ptr<ModelLibrary> lib = ModelLibrary::open(libraryPath, error);
  if (!lib)
    return fail(error);
  if (infoCmd)
    return runInfo(*lib);

  const dnn_model_info *model = lib->findModel(modelName, error);
  if (!model)
    return fail(error);
  return initCmd ? runInit(*lib, *model) : runPredict(*lib, *model);
}
