//===- HeaderGenerator.cpp - The C header of a model library --------------===//

#include "dnnc/Target/CPU/HeaderGenerator.h"

#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/ErrorHandling.h"

#include <fmt/format.h>

#include <map>

using namespace dnnc;

namespace {

/// How each dtype appears in the header.
struct DTypeSpelling {
  const char *name;   // in comments, as the language writes it: "f32"
  const char *cType;  // the element type of the entry point's pointers
  const char *constant; // the dnn_dtype enumerator
};

DTypeSpelling spell(DType dtype) {
  switch (dtype) {
  case DType::F32:
    return {"f32", "float", "DNN_DTYPE_F32"};
  case DType::F64:
    return {"f64", "double", "DNN_DTYPE_F64"};
  case DType::I32:
    return {"i32", "int32_t", "DNN_DTYPE_I32"};
  }
  llvm_unreachable("unknown dtype");
}

/// Each dim as its size, or its symbol spelled by `symbol`.
std::vector<std::string> dimStrings(const TensorSignature &t,
                                    llvm::function_ref<std::string(const std::string &)> symbol) {
  std::vector<std::string> dims;
  for (const DimSignature &d : t.dims)
    dims.push_back(d.symbol.empty() ? std::to_string(d.size) : symbol(d.symbol));
  return dims;
}

/// "f32[N, 784]"
std::string describe(const TensorSignature &t) {
  auto dims = dimStrings(t, [](const std::string &s) { return s; });
  return fmt::format("{}[{}]", spell(t.dtype).name, fmt::join(dims, ", "));
}

/// "N, 784" as C expressions for a dnn_tensor's dims.
std::string dimsInitializer(const TensorSignature &t,
                            std::map<std::string, std::string> &symbolNames) {
  auto dims = dimStrings(t, [&](const std::string &s) { return symbolNames[s]; });
  return dims.empty() ? "0" : llvm::join(dims, ", ");
}

/// C and C++ keywords and the names the generated functions use themselves.
bool isReserved(llvm::StringRef name) {
  static const char *const reserved[] = {
      "auto", "bool", "break", "case", "char", "class", "const", "continue", "default",
      "delete", "do", "double", "else", "enum", "extern", "false", "float", "for", "goto",
      "if", "inline", "int", "long", "namespace", "new", "operator", "private", "protected",
      "public", "register", "restrict", "return", "short", "signed", "sizeof", "static",
      "struct", "switch", "template", "this", "throw", "true", "try", "typedef", "typename",
      "union", "unsigned", "using", "virtual", "void", "volatile", "while", "session",
      "dnn_inputs", "dnn_outputs", "NULL", "int32_t", "int64_t"};
  return llvm::is_contained(reserved, name);
}

/// A C identifier for `name` distinct from `taken`: reserved words and
/// clashes get a trailing underscore.
std::string cName(const std::string &name, std::vector<std::string> &taken) {
  std::string result = name;
  while (isReserved(result) || llvm::is_contained(taken, result))
    result += "_";
  taken.push_back(result);
  return result;
}

void generateEntry(const ModelSignature &model, const EntrySignature &entry,
                   llvm::raw_ostream &os) {
  // grad and train_step return the loss; gradients and updated params stay
  // in the session (dnn_session_gradient, dnn_session_param).
  bool training = entry.kind == EntryKind::Grad || entry.kind == EntryKind::TrainStep;
  std::vector<std::string> taken, symbols, params = {"dnn_session *session"};
  std::map<std::string, std::string> symbolNames, inputNames, outputNames;
  for (unsigned i : entry.inputs)
    inputNames[model.inputs[i].name] = cName(model.inputs[i].name, taken);
  if (!training)
    for (unsigned i : entry.outputs)
      outputNames[model.outputs[i].name] = cName(model.outputs[i].name, taken);
  for (unsigned i : entry.inputs)
    for (const DimSignature &d : model.inputs[i].dims)
      if (!d.symbol.empty() && llvm::find(symbols, d.symbol) == symbols.end())
        symbols.push_back(d.symbol);
  for (const std::string &s : symbols) {
    symbolNames[s] = cName(s, taken);
    params.push_back("int64_t " + symbolNames[s]);
  }
  os << fmt::format("/* {}.{}: ", model.name, entry.name);
  std::vector<std::string> ins, outs;
  for (unsigned i : entry.inputs) {
    const TensorSignature &t = model.inputs[i];
    ins.push_back(t.name + ": " + describe(t));
    params.push_back(fmt::format("const {} *{}", spell(t.dtype).cType, inputNames[t.name]));
  }
  std::string lossName;
  if (training) {
    lossName = cName("loss", taken);
    params.push_back("double *" + lossName);
    os << fmt::format("({}) -> loss\n   {}. */\n", fmt::join(ins, ", "),
                      entry.kind == EntryKind::Grad
                          ? "Gradients are read with dnn_session_gradient"
                          : "One optimizer step: params and optimizer state are updated in "
                            "the session");
  } else {
    for (unsigned i : entry.outputs) {
      const TensorSignature &t = model.outputs[i];
      outs.push_back(t.name + ": " + describe(t));
      params.push_back(fmt::format("{} *{}", spell(t.dtype).cType, outputNames[t.name]));
    }
    os << fmt::format("({}) -> ({})\n   Outputs are written to caller buffers of the sizes "
                      "shown. */\n",
                      fmt::join(ins, ", "), fmt::join(outs, ", "));
  }
  os << fmt::format("static inline dnn_status {}_{}({}) {{\n", model.name, entry.name,
                    fmt::join(params, ", "));
  auto tensorList = [&](const char *var, const std::vector<TensorSignature> &all,
                        const std::vector<unsigned> &indices, bool isConst,
                        std::map<std::string, std::string> &names) {
    if (indices.empty())
      return;
    os << fmt::format("  dnn_tensor {}[{}] = {{\n", var, indices.size());
    for (unsigned i : indices) {
      const TensorSignature &t = all[i];
      os << fmt::format("    {{\"{}\", {}, {}, {{{}}}, {}{}}},\n", t.name, spell(t.dtype).constant,
                        t.dims.size(), dimsInitializer(t, symbolNames),
                        isConst ? "(void *)" : "", names[t.name]);
    }
    os << "  };\n";
  };
  tensorList("dnn_inputs", model.inputs, entry.inputs, true, inputNames);
  if (training) {
    os << fmt::format("  return dnn_session_{}(session, {}, {}, {});\n}}\n\n",
                      entry.kind == EntryKind::Grad ? "grad" : "train_step", entry.inputs.size(),
                      entry.inputs.empty() ? "NULL" : "dnn_inputs", lossName);
    return;
  }
  tensorList("dnn_outputs", model.outputs, entry.outputs, false, outputNames);
  os << fmt::format("  return dnn_session_run(session, \"{}\", {}, {}, {}, {});\n}}\n\n",
                    entry.name, entry.inputs.size(), entry.inputs.empty() ? "NULL" : "dnn_inputs",
                    entry.outputs.size(), entry.outputs.empty() ? "NULL" : "dnn_outputs");
}

} // namespace

void dnnc::generateHeader(llvm::ArrayRef<ModelSignature> models, llvm::StringRef libraryName,
                          llvm::raw_ostream &os) {
  std::string guard = "DNNC_MODEL_" + libraryName.upper() + "_H";
  for (char &c : guard)
    if (!llvm::isAlnum(c))
      c = '_';
  os << "/* Generated by dnnc for the model library '" << libraryName
     << "'; do not edit.\n   See docs/runtime-abi.md. */\n";
  os << fmt::format("#ifndef {0}\n#define {0}\n\n", guard);
  os << "#include <dnn/runtime.h>\n\n#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  os << "/* Exported by the library: its descriptor. */\n"
        "DNN_API const dnn_library_info *dnn_library(void);\n\n";
  for (const ModelSignature &model : models) {
    os << fmt::format("/* Model '{}'. Parameters:\n", model.name);
    for (const ParamSignature &p : model.params)
      os << fmt::format("     {}: {}\n", p.tensor.name, describe(p.tensor));
    os << "*/\n";
    os << fmt::format("static inline const dnn_model_info *{0}_model(void) {{\n"
                      "  return dnn_find_model(dnn_library(), \"{0}\");\n}}\n\n",
                      model.name);
    // dnn_find_model has set the error message when the model is missing.
    os << fmt::format("static inline dnn_status {0}_session_create(dnn_session **session) {{\n"
                      "  const dnn_model_info *model = {0}_model();\n"
                      "  if (!model)\n    return DNN_ERROR_NOT_FOUND;\n"
                      "  return dnn_session_create(model, session);\n}}\n\n",
                      model.name);
    for (const EntrySignature &entry : model.entries)
      generateEntry(model, entry, os);
  }
  os << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* " << guard << " */\n";
}
