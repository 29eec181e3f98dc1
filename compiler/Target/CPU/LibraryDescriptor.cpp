//===- LibraryDescriptor.cpp - The descriptor a model library exports -----===//
//
// The LLVM struct types below mirror the C structs of dnn/model.h field by
// field; the target's data layout gives them the C ABI's padding.
//
//===----------------------------------------------------------------------===//

#include "dnnc/Target/CPU/LibraryDescriptor.h"

#include "dnn/model.h"

#include "llvm/IR/Constants.h"
#include "llvm/IR/DerivedTypes.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

using namespace llvm;

unsigned dnnc::getEmittedABIVersion() { return DNN_ABI_VERSION; }

namespace {

class DescriptorBuilder {
public:
  explicit DescriptorBuilder(Module &module)
      : module(module), ctx(module.getContext()), ptr(PointerType::getUnqual(ctx)),
        i32(Type::getInt32Ty(ctx)), i64(Type::getInt64Ty(ctx)) {
    dimType = StructType::get(ctx, {i64, ptr});
    tensorType = StructType::get(ctx, {ptr, i32, i32, ptr});
    initArgType = StructType::get(ctx, {ptr, Type::getDoubleTy(ctx)});
    paramType = StructType::get(ctx, {tensorType, i32, i32, ptr, i64, i64});
    entryType =
        StructType::get(ctx, {ptr, i32, ptr, ptr, i32, ptr, i32, ptr, ptr, i64, ptr, ptr});
    optimizerType = StructType::get(ctx, {i32, i32, ptr, i32, ptr});
    modelType =
        StructType::get(ctx, {ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, i32, ptr, ptr,
                              i32, ptr, i32, ptr, i32, ptr});
    trainingCheckType = StructType::get(ctx, {ptr, i32, ptr});
    libraryType = StructType::get(ctx, {i32, ptr, i32, ptr});
  }

  Error build(ArrayRef<dnnc::ModelSignature> models, StringRef producer,
              const dnnc::LibraryDevice &device) {
    this->device = &device;
    std::vector<Constant *> modelInfos;
    for (const dnnc::ModelSignature &model : models) {
      auto info = buildModel(model);
      if (!info)
        return info.takeError();
      modelInfos.push_back(*info);
    }
    Constant *library = ConstantStruct::get(
        libraryType, {ConstantInt::get(i32, DNN_ABI_VERSION), string(producer),
                      ConstantInt::get(i32, models.size()), array(modelType, modelInfos)});
    auto *global = new GlobalVariable(module, libraryType, /*isConstant=*/true,
                                      GlobalValue::PrivateLinkage, library, "dnn.library");

    // const dnn_library_info *dnn_library(void) { return &library; }
    auto *fnType = FunctionType::get(ptr, false);
    Function *fn = Function::Create(fnType, GlobalValue::ExternalLinkage, DNN_LIBRARY_SYMBOL,
                                    module);
    fn->setVisibility(GlobalValue::DefaultVisibility);
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", fn));
    b.CreateRet(global);
    return Error::success();
  }

private:
  Constant *string(StringRef s) {
    auto [it, inserted] = strings.try_emplace(s, nullptr);
    if (inserted) {
      Constant *data = ConstantDataArray::getString(ctx, s);
      auto *global = new GlobalVariable(module, data->getType(), true,
                                        GlobalValue::PrivateLinkage, data, "dnn.str");
      global->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
      it->second = global;
    }
    return it->second;
  }

  /// A private constant array, or null when empty.
  Constant *array(Type *elementType, ArrayRef<Constant *> elements) {
    if (elements.empty())
      return ConstantPointerNull::get(ptr);
    auto *type = ArrayType::get(elementType, elements.size());
    return new GlobalVariable(module, type, true, GlobalValue::PrivateLinkage,
                              ConstantArray::get(type, elements), "dnn.array");
  }

  Constant *indexArray(ArrayRef<unsigned> indices) {
    if (indices.empty())
      return ConstantPointerNull::get(ptr);
    SmallVector<int32_t> values(indices.begin(), indices.end());
    Constant *data = ConstantDataArray::get(ctx, values);
    return new GlobalVariable(module, data->getType(), true, GlobalValue::PrivateLinkage, data,
                              "dnn.indices");
  }

  Constant *tensor(const dnnc::TensorSignature &t) {
    std::vector<Constant *> dims;
    for (const dnnc::DimSignature &d : t.dims)
      dims.push_back(ConstantStruct::get(
          dimType, {ConstantInt::get(i64, d.size, /*isSigned=*/true),
                    d.symbol.empty() ? ConstantPointerNull::get(ptr) : string(d.symbol)}));
    return ConstantStruct::get(tensorType,
                               {string(t.name), ConstantInt::get(i32, (int)t.dtype),
                                ConstantInt::get(i32, t.dims.size()), array(dimType, dims)});
  }

  /// dnn_model_info.input_index_bounds: one bound per input, or NULL when
  /// no input is read as class indices.
  Constant *indexBounds(ArrayRef<dnnc::TensorSignature> inputs) {
    if (llvm::none_of(inputs, [](const dnnc::TensorSignature &t) { return t.indexBound > 0; }))
      return ConstantPointerNull::get(ptr);
    std::vector<Constant *> bounds;
    for (const dnnc::TensorSignature &t : inputs)
      bounds.push_back(ConstantInt::get(i64, t.indexBound));
    return array(i64, bounds);
  }

  /// An array of dnn_init_arg (name, value) pairs.
  Constant *namedValues(ArrayRef<std::pair<std::string, double>> values) {
    std::vector<Constant *> args;
    for (const auto &[name, value] : values)
      args.push_back(ConstantStruct::get(
          initArgType, {string(name), ConstantFP::get(Type::getDoubleTy(ctx), value)}));
    return array(initArgType, args);
  }

  Constant *optimizer(const std::optional<dnnc::OptimizerSignature> &o) {
    if (!o)
      return ConstantPointerNull::get(ptr);
    std::vector<Constant *> slots;
    for (const std::string &slot : o->slots)
      slots.push_back(string(slot));
    Constant *info = ConstantStruct::get(
        optimizerType,
        {ConstantInt::get(i32, o->kind), ConstantInt::get(i32, o->hyperparameters.size()),
         namedValues(o->hyperparameters), ConstantInt::get(i32, slots.size()),
         array(ptr, slots)});
    return new GlobalVariable(module, optimizerType, true, GlobalValue::PrivateLinkage, info,
                              "dnn.optimizer");
  }

  Constant *param(const dnnc::ParamSignature &p) {
    std::vector<Constant *> args;
    for (const auto &[name, value] : p.initArgs)
      args.push_back(ConstantStruct::get(
          initArgType, {string(name), ConstantFP::get(Type::getDoubleTy(ctx), value)}));
    return ConstantStruct::get(paramType,
                               {tensor(p.tensor), ConstantInt::get(i32, p.init),
                                ConstantInt::get(i32, args.size()), array(initArgType, args),
                                ConstantInt::get(i64, p.fanIn), ConstantInt::get(i64, p.fanOut)});
  }

  /// `<name>(void **args)`, returning `result` (void or i64): unpacks the
  /// descriptor pointers and calls the C interface `_mlir_ciface_<target>`.
  Expected<Function *> wrap(StringRef name, StringRef target, Type *result) {
    Function *callee = module.getFunction(("_mlir_ciface_" + target).str());
    if (!callee)
      return createStringError("no lowered function '%s'", target.str().c_str());
    auto *type = FunctionType::get(result, {ptr}, false);
    Function *wrapper = Function::Create(type, GlobalValue::InternalLinkage, name, module);
    IRBuilder<> b(BasicBlock::Create(ctx, "entry", wrapper));
    SmallVector<Value *> args;
    for (unsigned i = 0; i < callee->arg_size(); ++i) {
      Value *slot = b.CreateConstGEP1_64(ptr, wrapper->getArg(0), i);
      args.push_back(b.CreateLoad(ptr, slot));
    }
    Value *call = b.CreateCall(callee, args);
    if (result->isVoidTy())
      b.CreateRetVoid();
    else
      b.CreateRet(call);
    return wrapper;
  }

  /// void dnn_entry_<fn>(void **args): runs the entry point `symbol`.
  Expected<Function *> entryWrapper(StringRef symbol) {
    return wrap(("dnn_entry_" + symbol).str(), symbol, Type::getVoidTy(ctx));
  }

  /// int64_t dnn_workspace_<fn>(void **args): the workspace bytes the entry
  /// needs for these argument shapes (dnn-plan-workspace); the args are the
  /// entry's, less the workspace itself.
  Expected<Function *> workspaceWrapper(StringRef symbol) {
    return wrap(("dnn_workspace_" + symbol).str(), (symbol + "_workspace").str(), i64);
  }

  /// The entry and workspace wrappers of the lowered function `symbol`.
  Expected<std::pair<Function *, Function *>> entryFunctions(StringRef symbol) {
    auto fn = entryWrapper(symbol);
    if (!fn)
      return fn.takeError();
    auto workspace = workspaceWrapper(symbol);
    if (!workspace)
      return workspace.takeError();
    return std::make_pair(*fn, *workspace);
  }

  Expected<Constant *> buildModel(const dnnc::ModelSignature &model) {
    std::vector<Constant *> inputs, outputs, params, buffers, entries;
    for (const auto &t : model.inputs)
      inputs.push_back(tensor(t));
    for (const auto &t : model.outputs)
      outputs.push_back(tensor(t));
    for (const auto &p : model.params)
      params.push_back(param(p));
    for (const auto &b : model.buffers)
      buffers.push_back(param(b));
    for (const auto &e : model.entries) {
      auto functions = entryFunctions(e.symbolName);
      if (!functions)
        return functions.takeError();
      Constant *specializedSymbol = ConstantPointerNull::get(ptr);
      Constant *specializedFn = ConstantPointerNull::get(ptr);
      Constant *specializedWorkspace = ConstantPointerNull::get(ptr);
      if (!e.specializedSymbolName.empty()) {
        auto specialized = entryFunctions(e.specializedSymbolName);
        if (!specialized)
          return specialized.takeError();
        specializedSymbol = string(e.specializedSymbol);
        std::tie(specializedFn, specializedWorkspace) = *specialized;
      }
      entries.push_back(ConstantStruct::get(
          entryType, {string(e.name), ConstantInt::get(i32, (int)e.kind), functions->first,
                      functions->second,
                      ConstantInt::get(i32, e.inputs.size()),
                      indexArray(e.inputs), ConstantInt::get(i32, e.outputs.size()),
                      indexArray(e.outputs), specializedSymbol,
                      ConstantInt::get(i64, e.specializedSize), specializedFn,
                      specializedWorkspace}));
    }
    std::vector<Constant *> saved;
    for (const auto &t : model.saved)
      saved.push_back(tensor(t));
    return ConstantStruct::get(
        modelType, {string(model.name), ConstantInt::get(i32, inputs.size()),
                    array(tensorType, inputs), ConstantInt::get(i32, outputs.size()),
                    array(tensorType, outputs), ConstantInt::get(i32, params.size()),
                    array(paramType, params), ConstantInt::get(i32, entries.size()),
                    array(entryType, entries), ConstantInt::get(i32, model.loss, true),
                    optimizer(model.optimizer), ConstantInt::get(i32, saved.size()),
                    array(tensorType, saved), indexBounds(model.inputs),
                    ConstantInt::get(i32, buffers.size()), array(paramType, buffers),
                    ConstantInt::get(i32, device->kind), string(device->archs),
                    ConstantInt::get(i32, model.trainingChecks.size()),
                    trainingChecks(model.trainingChecks)});
  }

  /// dnn_model_info.training_checks.
  Constant *trainingChecks(ArrayRef<dnnc::TrainingCheck> checks) {
    std::vector<Constant *> infos;
    for (const dnnc::TrainingCheck &check : checks) {
      std::vector<Constant *> symbols;
      for (const std::string &symbol : check.symbols)
        symbols.push_back(string(symbol));
      infos.push_back(ConstantStruct::get(
          trainingCheckType, {string(check.what), ConstantInt::get(i32, symbols.size()),
                              array(ptr, symbols)}));
    }
    return array(trainingCheckType, infos);
  }

  Module &module;
  const dnnc::LibraryDevice *device = nullptr;
  LLVMContext &ctx;
  PointerType *ptr;
  IntegerType *i32, *i64;
  StructType *dimType, *tensorType, *initArgType, *paramType, *entryType, *optimizerType,
      *modelType, *trainingCheckType, *libraryType;
  StringMap<Constant *> strings;
};

} // namespace

Error dnnc::emitLibraryDescriptor(Module &module, ArrayRef<ModelSignature> models,
                                  StringRef producer, const LibraryDevice &device) {
  return DescriptorBuilder(module).build(models, producer, device);
}
